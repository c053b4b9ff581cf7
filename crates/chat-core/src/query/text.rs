//! Message search tokens: the one definition of how message text and search queries are
//! split into words, which every store reproduces exactly.
//!
//! * **Normalise** each character with [`normalise`]: a *separator* becomes a space, a
//!   folded capital becomes its small letter, everything else stays.
//!   - Separators: every ASCII character that is not a letter or a digit (spaces,
//!     punctuation, controls), U+0080–U+00BF (C1 controls, no-break space, Latin-1
//!     punctuation and symbols), `×` and `÷`, the General Punctuation block
//!     U+2000–U+206F (typographic spaces, dashes, quotes, ellipsis, invisible format
//!     characters), U+1680 (Ogham space), U+3000–U+3003 (ideographic space, comma, full
//!     stop, ditto) and U+FEFF (BOM).
//!   - Folding: characters of U+0000–U+04FF (Latin, Latin-1, Latin Extended-A/B, IPA,
//!     Greek, Cyrillic) whose Unicode lowercase is a single other character become it
//!     (`É` → `é`, `Ω` → `ω`, `Ж` → `ж`), and final sigma `ς` becomes `σ`. Other scripts
//!     are compared as written.
//! * **Split** the normalised text on spaces; drop empty pieces; keep the first
//!   [`MAX_TOKEN_CHARS`] characters of longer pieces. The *tokens* of a text are the set
//!   of those pieces.
//! * **`$q`**: every token of the query is a token of the text.
//! * **`$autocomplete`**: every token of the query but the last is a token of the text,
//!   and the last is a prefix of some token of the text.
//!
//! No stemming, no stop words, no ranking by frequency: the same text gives the same
//! tokens in every store and on every database locale. The rules are fixed character
//! tables rather than Unicode properties, so a store can reproduce them without Unicode
//! tables of its own (PostgreSQL: one `translate()` with the pairs of [`normalisation`]).

use std::collections::BTreeSet;

/// Longest token, in characters; longer words are cut (so two words that share their
/// first 64 characters are the same token).
pub const MAX_TOKEN_CHARS: usize = 64;

/// Whether `c` separates tokens.
pub fn is_separator(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{2f}'
        | '\u{3a}'..='\u{40}'
        | '\u{5b}'..='\u{60}'
        | '\u{7b}'..='\u{bf}'
        | '\u{d7}'
        | '\u{f7}'
        | '\u{1680}'
        | '\u{2000}'..='\u{206f}'
        | '\u{3000}'..='\u{3003}'
        | '\u{feff}')
}

/// The highest code point that is case-folded.
const FOLDED_UP_TO: char = '\u{4ff}';

/// `c` after normalisation: a space for a separator, the folded form of a capital, else
/// `c` itself.
pub fn normalise(c: char) -> char {
    if is_separator(c) {
        return ' ';
    }
    if c == 'ς' {
        return 'σ';
    }
    if c > FOLDED_UP_TO {
        return c;
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Every character [`normalise`] changes, with what it becomes, in code point order
/// (U+0000 excluded: no store keeps it in text). A store that cannot call Rust applies
/// exactly this map (PostgreSQL: `translate(text, from, to)`).
pub fn normalisation() -> impl Iterator<Item = (char, char)> {
    ('\u{1}'..='\u{ffff}').filter_map(|c| {
        let n = normalise(c);
        (n != c).then_some((c, n))
    })
}

/// The pieces of `text` in order, with repeats (see the module docs).
fn pieces(text: &str) -> impl Iterator<Item = String> + '_ {
    let normalised: String = text.chars().map(normalise).collect();
    normalised
        .split(' ')
        .filter(|p| !p.is_empty())
        .map(|p| p.chars().take(MAX_TOKEN_CHARS).collect::<String>())
        .collect::<Vec<_>>()
        .into_iter()
}

/// The tokens of a text, as a set.
pub fn tokens(text: &str) -> BTreeSet<String> {
    pieces(text).collect()
}

/// A parsed `$q` or `$autocomplete` operand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextQuery {
    /// Tokens that must each be a token of the text, in query order, without repeats.
    pub exact: Vec<String>,
    /// For `$autocomplete`: the last query token, which must start some token of the text.
    pub prefix: Option<String>,
}

impl TextQuery {
    /// `$q`: every token must match. `None` when the query has no token.
    pub fn all_words(query: &str) -> Option<Self> {
        let mut exact = Vec::new();
        for p in pieces(query) {
            if !exact.contains(&p) {
                exact.push(p);
            }
        }
        (!exact.is_empty()).then_some(Self {
            exact,
            prefix: None,
        })
    }

    /// `$autocomplete`: the last token is a prefix. `None` when the query has no token.
    pub fn autocomplete(query: &str) -> Option<Self> {
        let mut all: Vec<String> = pieces(query).collect();
        let prefix = all.pop()?;
        let mut exact = Vec::new();
        for p in all {
            if !exact.contains(&p) {
                exact.push(p);
            }
        }
        Some(Self {
            exact,
            prefix: Some(prefix),
        })
    }

    /// Whether a text with these tokens matches.
    pub fn matches(&self, text_tokens: &BTreeSet<String>) -> bool {
        self.exact.iter().all(|t| text_tokens.contains(t))
            && self.prefix.as_ref().is_none_or(|p| {
                text_tokens
                    .range(p.clone()..)
                    .next()
                    .is_some_and(|t| t.starts_with(p.as_str()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        tokens(s).into_iter().collect()
    }

    #[test]
    fn splits_folds_and_dedups() {
        assert_eq!(toks("Hello, World! hello"), ["hello", "world"]);
        assert_eq!(
            toks("don't e-mail me@x.io"),
            ["don", "e", "io", "mail", "me", "t", "x"]
        );
        assert_eq!(
            toks("ÉCOLE Straße ΣΟΦΟΣ Жук"),
            ["straße", "école", "σοφοσ", "жук"]
        );
        assert_eq!(toks("«quoted»—dash…end"), ["dash", "end", "quoted"]);
        assert_eq!(toks("日本語 テキスト"), ["テキスト", "日本語"]);
        assert_eq!(toks("a\u{3000}b\u{a0}c"), ["a", "b", "c"]);
        assert_eq!(toks("🎉party🎉"), ["🎉party🎉"]);
        assert!(toks(" ... !!! ").is_empty());
        let long = "x".repeat(100);
        assert_eq!(toks(&long), ["x".repeat(MAX_TOKEN_CHARS)]);
    }

    #[test]
    fn q_needs_every_token() {
        let text = tokens("The quick brown fox");
        let q = |s| TextQuery::all_words(s).unwrap().matches(&text);
        assert!(q("fox"));
        assert!(q("QUICK fox"));
        assert!(q("fox, the"));
        assert!(!q("qui"));
        assert!(!q("fox cat"));
        assert_eq!(TextQuery::all_words(" -- "), None);
    }

    #[test]
    fn autocomplete_prefixes_the_last_token() {
        let text = tokens("The quick brown fox");
        let a = |s| TextQuery::autocomplete(s).unwrap().matches(&text);
        assert!(a("qui"));
        assert!(a("the br"));
        assert!(a("brown"));
        assert!(!a("th br"));
        assert!(!a("x"));
        assert_eq!(TextQuery::autocomplete("!!"), None);
    }

    #[test]
    fn normalisation_lists_exactly_the_changes() {
        let pairs: Vec<(char, char)> = normalisation().collect();
        assert!(pairs.contains(&('A', 'a')));
        assert!(pairs.contains(&(',', ' ')));
        assert!(pairs.contains(&('Ж', 'ж')));
        assert!(pairs.contains(&('ς', 'σ')));
        assert!(!pairs.iter().any(|(c, _)| *c == 'a' || *c == '日'));
        // Folding never produces a separator or a character that folds again.
        for (_, to) in &pairs {
            assert_eq!(normalise(*to), *to, "{to:?}");
        }
    }
}
