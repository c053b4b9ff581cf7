//! Percent-encoding of query values (RFC 3986 unreserved characters pass through).

/// Encodes `s` for use as a query value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn reserved_characters_are_escaped() {
        assert_eq!(super::encode(r#"{"a":1} x"#), "%7B%22a%22%3A1%7D%20x");
        assert_eq!(super::encode("a-b_c.d~e"), "a-b_c.d~e");
    }
}
