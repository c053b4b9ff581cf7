//! The in-memory evaluator: does a row match a [`Filter`], and how do two rows compare
//! under a list of [`Sort`] keys. The memory store uses it directly, and it is the oracle
//! the Postgres translation is property-tested against, so its semantics are the
//! reference:
//!
//! * **Missing and null.** A row reports [`FieldValue::Missing`] for absent values and
//!   [`FieldValue::Null`] for a JSON `null` in custom data; the two behave the same.
//!   `$eq: null` matches both; `$exists: true` means present and not null; every other
//!   operator is false on them, so `$ne`/`$nin` (negations) match them.
//! * **Types.** Comparisons across mismatched types are false (a string never equals or
//!   exceeds a number). Integers and floats compare numerically, exactly.
//! * **Lists.** A list field matches a scalar operand if any element does (`$eq`, `$in`,
//!   `$gt`…), so `{members: {$in: [a, b]}}` means "shares a member" and `{members: a}`
//!   means "contains a". An array operand to `$eq`/`$ne` means the same set: same
//!   elements, ignoring order and duplicates (`{members: [a, b]}` = exactly a and b). The
//!   spec's other reading of `$eq` on `members` (exact set for a scalar) is not used.
//! * **`$contains`**: a list contains the value; on a string (custom data) it is a
//!   case-sensitive substring test.
//! * **`$autocomplete`**: case-insensitive; the text (trimmed) is a prefix of the value or
//!   of the value from the start of any word on, where words are runs of letters and
//!   digits. So "smi", "jane sm" and "john-d" all match "Jane Smith" / "John-Doe".
//! * **`$q`**: case-insensitive; every word of the query is a prefix of some word of the
//!   value (a cheap stand-in for full-text search, without stemming or ranking).
//! * **Sorting.** Values order as missing/null < numbers < strings < times < booleans <
//!   lists < objects (so missing sorts first ascending and last descending); within a
//!   type: numerically, lexicographically by bytes, chronologically, `false < true`,
//!   lists element-wise, objects all equal. Rows equal on every key compare `Equal`;
//!   callers append their tie-breaker (cid, id) and use a stable sort.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value as Json;

use super::{Direction, Filter, Op, Sort, Value};
use crate::time::Timestamp;

/// A field's value in one row, borrowed from the row where possible.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue<'a> {
    /// The field is absent (an unset optional, a missing custom key).
    Missing,
    /// JSON `null` in custom data.
    Null,
    /// Boolean.
    Bool(bool),
    /// Integer.
    Int(i64),
    /// Non-integer number.
    Float(f64),
    /// String.
    Str(Cow<'a, str>),
    /// Timestamp.
    Time(Timestamp),
    /// A list (built-in lists, custom arrays).
    List(Vec<FieldValue<'a>>),
    /// A custom JSON object.
    Json(&'a Json),
}

impl<'a> FieldValue<'a> {
    /// A borrowed string.
    pub fn str(s: &'a str) -> Self {
        Self::Str(Cow::Borrowed(s))
    }

    /// A custom JSON value: scalars become typed values, arrays lists, objects stay JSON.
    pub fn from_json(v: &'a Json) -> Self {
        match v {
            Json::Null => Self::Null,
            Json::Bool(b) => Self::Bool(*b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => Self::Int(i),
                None => Self::Float(n.as_f64().unwrap_or(f64::MAX)),
            },
            Json::String(s) => Self::str(s),
            Json::Array(items) => Self::List(items.iter().map(Self::from_json).collect()),
            Json::Object(_) => Self::Json(v),
        }
    }

    /// A custom value that may be absent.
    pub fn from_opt_json(v: Option<&'a Json>) -> Self {
        v.map_or(Self::Missing, Self::from_json)
    }

    /// Whether the value is present and not null (`$exists`).
    pub fn is_present(&self) -> bool {
        !matches!(self, Self::Missing | Self::Null)
    }

    /// A filter operand viewed as a field value, so both sides compare with one set of
    /// rules.
    fn operand(v: &'a Value) -> Self {
        match v {
            Value::Null => Self::Null,
            Value::Bool(b) => Self::Bool(*b),
            Value::Int(i) => Self::Int(*i),
            Value::Float(f) => Self::Float(*f),
            Value::Str(s) => Self::str(s),
            Value::Time(t) => Self::Time(*t),
            Value::Json(j) => Self::from_json(j),
        }
    }
}

/// A row the evaluator can read fields `F` from.
pub trait FieldSource<F> {
    /// The field's value in this row.
    fn get(&self, field: &F) -> FieldValue<'_>;
}

/// Whether the row matches the filter.
pub fn matches<F, S: FieldSource<F> + ?Sized>(filter: &Filter<F>, row: &S) -> bool {
    match filter {
        Filter::All => true,
        Filter::And(parts) => parts.iter().all(|f| matches(f, row)),
        Filter::Or(parts) => parts.iter().any(|f| matches(f, row)),
        Filter::Nor(parts) => !parts.iter().any(|f| matches(f, row)),
        Filter::Cond(field, op) => eval(&row.get(field), op),
    }
}

/// How two rows order under the sort keys (first key first). `Equal` when they tie on
/// every key.
pub fn compare<F, S: FieldSource<F> + ?Sized>(sort: &[Sort<F>], a: &S, b: &S) -> Ordering {
    for key in sort {
        let order = sort_order(&a.get(&key.field), &b.get(&key.field));
        let order = match key.direction {
            Direction::Asc => order,
            Direction::Desc => order.reverse(),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

/// One condition on one value.
fn eval(v: &FieldValue<'_>, op: &Op) -> bool {
    match op {
        Op::Eq(x) => equals(v, x),
        Op::Ne(x) => !equals(v, x),
        Op::Gt(x) => ordered(v, x, Ordering::is_gt),
        Op::Gte(x) => ordered(v, x, Ordering::is_ge),
        Op::Lt(x) => ordered(v, x, Ordering::is_lt),
        Op::Lte(x) => ordered(v, x, Ordering::is_le),
        Op::In(xs) => xs.iter().any(|x| equals(v, x)),
        Op::Nin(xs) => !xs.iter().any(|x| equals(v, x)),
        Op::Exists(want) => v.is_present() == *want,
        Op::Autocomplete(text) => any_text(v, |s| autocomplete(s, text)),
        Op::Q(query) => any_text(v, |s| full_text(s, query)),
        Op::Contains(x) => contains(v, x),
    }
}

/// `$eq`: the value equals the operand, or is a list with an element that does.
fn equals(v: &FieldValue<'_>, x: &Value) -> bool {
    let x = FieldValue::operand(x);
    match v {
        FieldValue::List(items) => same(v, &x) || items.iter().any(|i| same(i, &x)),
        _ => same(v, &x),
    }
}

/// Equality of two values of the same type; lists compare as sets.
fn same(a: &FieldValue<'_>, b: &FieldValue<'_>) -> bool {
    use FieldValue as V;
    match (a, b) {
        (V::Missing | V::Null, V::Missing | V::Null) => true,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Str(x), V::Str(y)) => x == y,
        (V::Time(x), V::Time(y)) => x == y,
        (V::List(x), V::List(y)) => {
            x.iter().all(|i| y.iter().any(|j| same(i, j)))
                && y.iter().all(|j| x.iter().any(|i| same(i, j)))
        }
        (V::Json(x), V::Json(y)) => x == y,
        _ => numeric_order(a, b) == Some(Ordering::Equal),
    }
}

/// `$gt`…`$lte`: the value (or some element of a list) orders against the operand as
/// `want` says. Only same-typed values order.
fn ordered(v: &FieldValue<'_>, x: &Value, want: fn(Ordering) -> bool) -> bool {
    let x = FieldValue::operand(x);
    let test = |v: &FieldValue<'_>| typed_order(v, &x).is_some_and(want);
    match v {
        FieldValue::List(items) => items.iter().any(test),
        _ => test(v),
    }
}

/// The order of two values of the same type (numbers across Int/Float); `None` otherwise.
fn typed_order(a: &FieldValue<'_>, b: &FieldValue<'_>) -> Option<Ordering> {
    use FieldValue as V;
    match (a, b) {
        (V::Str(x), V::Str(y)) => Some(x.cmp(y)),
        (V::Time(x), V::Time(y)) => Some(x.cmp(y)),
        (V::Bool(x), V::Bool(y)) => Some(x.cmp(y)),
        _ => numeric_order(a, b),
    }
}

/// Numeric order across Int and Float; `None` if either is not a number.
fn numeric_order(a: &FieldValue<'_>, b: &FieldValue<'_>) -> Option<Ordering> {
    use FieldValue as V;
    match (a, b) {
        (V::Int(x), V::Int(y)) => Some(x.cmp(y)),
        (V::Float(x), V::Float(y)) => x.partial_cmp(y),
        (V::Int(x), V::Float(y)) => int_float_order(*x, *y),
        (V::Float(x), V::Int(y)) => int_float_order(*y, *x).map(Ordering::reverse),
        _ => None,
    }
}

/// Exact order of an integer and a float: `i as f64` would round above 2^53.
fn int_float_order(i: i64, f: f64) -> Option<Ordering> {
    // 2^63: every i64 is below it, and every float at or above it exceeds every i64.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() {
        return None;
    }
    if f >= TWO_63 {
        return Some(Ordering::Less);
    }
    if f < -TWO_63 {
        return Some(Ordering::Greater);
    }
    let floor = f.floor();
    // In range and integral, so the cast is exact.
    let whole = floor as i64;
    Some(match i.cmp(&whole) {
        Ordering::Equal if f > floor => Ordering::Less,
        other => other,
    })
}

/// `$contains`: a list has an element equal to the operand; a string has it as a
/// substring.
fn contains(v: &FieldValue<'_>, x: &Value) -> bool {
    let x = FieldValue::operand(x);
    match (v, &x) {
        (FieldValue::List(items), _) => items.iter().any(|i| same(i, &x)),
        (FieldValue::Str(s), FieldValue::Str(needle)) => s.contains(needle.as_ref()),
        _ => false,
    }
}

/// Applies a text test to a string, or to each string of a list.
fn any_text(v: &FieldValue<'_>, test: impl Fn(&str) -> bool) -> bool {
    match v {
        FieldValue::Str(s) => test(s),
        FieldValue::List(items) => items.iter().any(|i| match i {
            FieldValue::Str(s) => test(s),
            _ => false,
        }),
        _ => false,
    }
}

/// Whether the text is a prefix of the value from its start or from any word start.
fn autocomplete(value: &str, text: &str) -> bool {
    let text = text.trim().to_lowercase();
    if text.is_empty() {
        return false;
    }
    let value = value.to_lowercase();
    let mut prev_is_word = false;
    for (at, c) in value.char_indices() {
        let is_word = c.is_alphanumeric();
        let word_start = at == 0 || (is_word && !prev_is_word);
        if word_start && value[at..].starts_with(&text) {
            return true;
        }
        prev_is_word = is_word;
    }
    false
}

/// The lowercase words (runs of letters and digits) of a string.
fn words(s: &str) -> Vec<String> {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether every query word is a prefix of some word of the value.
fn full_text(value: &str, query: &str) -> bool {
    let wanted = words(query);
    if wanted.is_empty() {
        return false;
    }
    let have = words(value);
    wanted
        .iter()
        .all(|w| have.iter().any(|h| h.starts_with(w.as_str())))
}

/// Where a value's type sorts relative to other types.
fn type_rank(v: &FieldValue<'_>) -> u8 {
    match v {
        FieldValue::Missing | FieldValue::Null => 0,
        FieldValue::Int(_) | FieldValue::Float(_) => 1,
        FieldValue::Str(_) => 2,
        FieldValue::Time(_) => 3,
        FieldValue::Bool(_) => 4,
        FieldValue::List(_) => 5,
        FieldValue::Json(_) => 6,
    }
}

/// A total order over all values, for sorting.
fn sort_order(a: &FieldValue<'_>, b: &FieldValue<'_>) -> Ordering {
    type_rank(a).cmp(&type_rank(b)).then_with(|| match (a, b) {
        (FieldValue::List(x), FieldValue::List(y)) => x
            .iter()
            .zip(y)
            .map(|(i, j)| sort_order(i, j))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| x.len().cmp(&y.len())),
        // Same rank: same type, or Int vs Float. Objects (and nulls) tie.
        _ => typed_order(a, b).unwrap_or(Ordering::Equal),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    /// A row of named values, for testing the evaluator without a model.
    struct Row(HashMap<&'static str, FieldValue<'static>>);

    impl FieldSource<&'static str> for Row {
        fn get(&self, field: &&'static str) -> FieldValue<'_> {
            self.0.get(field).cloned().unwrap_or(FieldValue::Missing)
        }
    }

    fn row(fields: Vec<(&'static str, FieldValue<'static>)>) -> Row {
        Row(fields.into_iter().collect())
    }

    fn s(v: &str) -> Value {
        Value::Str(v.into())
    }

    fn fs(v: &'static str) -> FieldValue<'static> {
        FieldValue::str(v)
    }

    fn t(secs: i64) -> FieldValue<'static> {
        FieldValue::Time(Timestamp::from_secs(secs))
    }

    fn vt(secs: i64) -> Value {
        Value::Time(Timestamp::from_secs(secs))
    }

    fn cond(field: &'static str, op: Op) -> Filter<&'static str> {
        Filter::Cond(field, op)
    }

    static NESTED: std::sync::LazyLock<Json> =
        std::sync::LazyLock::new(|| json!({"a": {"b": [1, 2]}, "n": null}));

    fn sample() -> Row {
        row(vec![
            ("flag", FieldValue::Bool(true)),
            ("count", FieldValue::Int(5)),
            ("ratio", FieldValue::Float(2.5)),
            ("at", t(100)),
            ("name", fs("Jane Smith-Jones")),
            ("tags", FieldValue::List(vec![fs("a"), fs("b")])),
            (
                "nums",
                FieldValue::List(vec![FieldValue::Int(1), FieldValue::Float(7.5)]),
            ),
            ("null", FieldValue::Null),
            ("obj", FieldValue::from_json(&NESTED)),
            ("arr", FieldValue::from_opt_json(NESTED.pointer("/a/b"))),
            ("gone", FieldValue::from_opt_json(NESTED.pointer("/x"))),
        ])
    }

    #[test]
    fn every_operator_on_every_type() {
        let r = sample();
        let cases: Vec<(&'static str, Op, bool)> = vec![
            // bool
            ("flag", Op::Eq(Value::Bool(true)), true),
            ("flag", Op::Eq(Value::Bool(false)), false),
            ("flag", Op::Ne(Value::Bool(false)), true),
            ("flag", Op::Eq(s("true")), false),
            (
                "flag",
                Op::In(vec![Value::Bool(false), Value::Bool(true)]),
                true,
            ),
            ("flag", Op::Gt(Value::Bool(false)), true),
            // int, with floats compared numerically
            ("count", Op::Eq(Value::Int(5)), true),
            ("count", Op::Eq(Value::Float(5.0)), true),
            ("count", Op::Eq(s("5")), false),
            ("count", Op::Ne(Value::Int(5)), false),
            ("count", Op::Gt(Value::Int(4)), true),
            ("count", Op::Gt(Value::Float(4.9)), true),
            ("count", Op::Gt(Value::Float(5.0)), false),
            ("count", Op::Gte(Value::Int(5)), true),
            ("count", Op::Lt(Value::Float(5.1)), true),
            ("count", Op::Lte(Value::Int(4)), false),
            ("count", Op::Gt(s("1")), false),
            ("count", Op::Lt(s("9")), false),
            ("count", Op::In(vec![Value::Int(1), Value::Int(5)]), true),
            ("count", Op::Nin(vec![Value::Int(1), Value::Int(5)]), false),
            ("count", Op::Nin(vec![]), true),
            ("count", Op::In(vec![]), false),
            ("count", Op::Exists(true), true),
            ("count", Op::Contains(Value::Int(5)), false),
            ("ratio", Op::Lt(Value::Int(3)), true),
            ("ratio", Op::Gt(Value::Int(2)), true),
            ("ratio", Op::Eq(Value::Float(2.5)), true),
            // time
            ("at", Op::Eq(vt(100)), true),
            ("at", Op::Gt(vt(99)), true),
            ("at", Op::Gt(vt(100)), false),
            ("at", Op::Gte(vt(100)), true),
            ("at", Op::Lt(vt(101)), true),
            ("at", Op::Lte(vt(99)), false),
            ("at", Op::Gt(Value::Int(1)), false),
            ("at", Op::Exists(false), false),
            // string
            ("name", Op::Eq(s("Jane Smith-Jones")), true),
            ("name", Op::Eq(s("jane smith-jones")), false),
            ("name", Op::Gt(s("Jane")), true),
            ("name", Op::Lt(s("Jane")), false),
            ("name", Op::Autocomplete("JAN".into()), true),
            ("name", Op::Autocomplete("smi".into()), true),
            ("name", Op::Autocomplete("jones".into()), true),
            ("name", Op::Autocomplete("jane sm".into()), true),
            ("name", Op::Autocomplete("smith-j".into()), true),
            ("name", Op::Autocomplete("mith".into()), false),
            ("name", Op::Autocomplete("  ".into()), false),
            ("name", Op::Q("smi JANE".into()), true),
            ("name", Op::Q("jane doe".into()), false),
            ("name", Op::Contains(s("Smith")), true),
            ("name", Op::Contains(s("smith")), false),
            ("name", Op::In(vec![s("x"), s("Jane Smith-Jones")]), true),
            // list
            ("tags", Op::Eq(s("a")), true),
            ("tags", Op::Eq(s("c")), false),
            ("tags", Op::Ne(s("a")), false),
            ("tags", Op::Ne(s("c")), true),
            ("tags", Op::In(vec![s("c"), s("b")]), true),
            ("tags", Op::Nin(vec![s("c"), s("b")]), false),
            ("tags", Op::Nin(vec![s("c")]), true),
            ("tags", Op::Contains(s("b")), true),
            ("tags", Op::Contains(s("c")), false),
            ("tags", Op::Eq(Value::Json(json!(["b", "a"]))), true),
            ("tags", Op::Eq(Value::Json(json!(["a", "b", "a"]))), true),
            ("tags", Op::Eq(Value::Json(json!(["a"]))), false),
            ("tags", Op::Eq(Value::Json(json!(["a", "b", "c"]))), false),
            ("tags", Op::Ne(Value::Json(json!(["a"]))), true),
            ("tags", Op::Autocomplete("B".into()), true),
            ("tags", Op::Exists(true), true),
            ("nums", Op::Gt(Value::Int(7)), true),
            ("nums", Op::Lt(Value::Int(1)), false),
            ("nums", Op::Eq(Value::Float(1.0)), true),
            // null and missing
            ("null", Op::Eq(Value::Null), true),
            ("null", Op::Exists(true), false),
            ("null", Op::Exists(false), true),
            ("null", Op::Ne(s("x")), true),
            ("missing", Op::Eq(Value::Null), true),
            ("missing", Op::Ne(Value::Null), false),
            ("missing", Op::Eq(s("x")), false),
            ("missing", Op::Ne(s("x")), true),
            ("missing", Op::Gt(Value::Int(0)), false),
            ("missing", Op::Lte(Value::Int(0)), false),
            ("missing", Op::In(vec![Value::Null]), true),
            ("missing", Op::Nin(vec![s("x")]), true),
            ("missing", Op::Exists(false), true),
            ("missing", Op::Autocomplete("x".into()), false),
            ("missing", Op::Contains(s("x")), false),
            ("gone", Op::Exists(false), true),
            // custom JSON
            (
                "obj",
                Op::Eq(Value::Json(json!({"a": {"b": [1, 2]}, "n": null}))),
                true,
            ),
            ("obj", Op::Eq(Value::Json(json!({"a": {}}))), false),
            ("obj", Op::Exists(true), true),
            ("obj", Op::Gt(Value::Int(0)), false),
            ("arr", Op::Eq(Value::Int(2)), true),
            ("arr", Op::Contains(Value::Int(1)), true),
            ("arr", Op::Eq(Value::Json(json!([2, 1]))), true),
        ];
        for (field, op, want) in cases {
            assert_eq!(
                matches(&cond(field, op.clone()), &r),
                want,
                "{field} {op:?}"
            );
        }
    }

    #[test]
    fn combinators() {
        let r = sample();
        let yes = || cond("flag", Op::Eq(Value::Bool(true)));
        let no = || cond("count", Op::Gt(Value::Int(10)));
        assert!(matches(&Filter::All, &r));
        assert!(matches(&Filter::And(vec![]), &r));
        assert!(!matches(&Filter::Or(vec![]), &r));
        assert!(matches(&Filter::Nor(vec![]), &r));
        assert!(matches(&Filter::And(vec![yes(), yes()]), &r));
        assert!(!matches(&Filter::And(vec![yes(), no()]), &r));
        assert!(matches(&Filter::Or(vec![no(), yes()]), &r));
        assert!(!matches(&Filter::Or(vec![no(), no()]), &r));
        assert!(matches(&Filter::Nor(vec![no(), no()]), &r));
        assert!(!matches(&Filter::Nor(vec![no(), yes()]), &r));
        let nested = Filter::And(vec![
            Filter::Or(vec![no(), Filter::Nor(vec![no()])]),
            Filter::Nor(vec![Filter::And(vec![yes(), no()])]),
        ]);
        assert!(matches(&nested, &r));
    }

    #[test]
    fn autocomplete_and_full_text() {
        assert!(autocomplete("Émile Zola", "émi"));
        assert!(autocomplete("ÉMILE", "émile"));
        assert!(autocomplete("@bob", "@b"));
        assert!(autocomplete("@bob", "bo"));
        assert!(autocomplete("user_42", "42"));
        assert!(!autocomplete("user42", "42"));
        assert!(!autocomplete("", "a"));
        assert!(full_text("The quick brown fox", "FOX qui"));
        assert!(!full_text("The quick brown fox", "fox dog"));
        assert!(!full_text("anything", "!!"));
    }

    #[test]
    fn exact_int_float_order() {
        let big = i64::MAX - 1;
        assert_eq!(int_float_order(big, 9.3e18), Some(Ordering::Less));
        assert_eq!(int_float_order(i64::MIN, -9.3e18), Some(Ordering::Greater));
        assert_eq!(int_float_order(3, 3.0), Some(Ordering::Equal));
        assert_eq!(int_float_order(3, 2.5), Some(Ordering::Greater));
        assert_eq!(int_float_order(-3, -2.5), Some(Ordering::Less));
        assert_eq!(int_float_order(-2, -2.5), Some(Ordering::Greater));
        assert_eq!(int_float_order(0, f64::NAN), None);
        // 2^53 + 1 is not representable as f64, but still exceeds 2^53.
        let p = 1_i64 << 53;
        assert_eq!(int_float_order(p + 1, p as f64), Some(Ordering::Greater));
    }

    #[test]
    fn sort_order_is_total_and_typed() {
        let ordered = [
            FieldValue::Missing,
            FieldValue::Int(-1),
            FieldValue::Float(0.5),
            FieldValue::Int(1),
            fs("B"),
            fs("a"),
            t(1),
            t(2),
            FieldValue::Bool(false),
            FieldValue::Bool(true),
            FieldValue::List(vec![fs("a")]),
            FieldValue::List(vec![fs("a"), fs("b")]),
            FieldValue::List(vec![fs("b")]),
            FieldValue::from_json(&NESTED),
        ];
        for (i, a) in ordered.iter().enumerate() {
            for (j, b) in ordered.iter().enumerate() {
                assert_eq!(sort_order(a, b), i.cmp(&j), "{a:?} vs {b:?}");
            }
        }
        assert_eq!(
            sort_order(&FieldValue::Null, &FieldValue::Missing),
            Ordering::Equal
        );
        assert_eq!(
            sort_order(&FieldValue::Int(2), &FieldValue::Float(2.0)),
            Ordering::Equal
        );
    }

    #[test]
    fn multi_key_compare_is_stable() {
        let rows: Vec<Row> = [
            (1, Some("b"), 0),
            (2, Some("a"), 1),
            (1, None, 2),
            (2, Some("a"), 3),
            (1, Some("b"), 4),
        ]
        .into_iter()
        .map(|(group, name, pos)| {
            let mut fields = vec![
                ("group", FieldValue::Int(group)),
                ("pos", FieldValue::Int(pos)),
            ];
            if let Some(n) = name {
                fields.push(("name", fs(n)));
            }
            row(fields)
        })
        .collect();
        let sort = [
            Sort {
                field: "group",
                direction: Direction::Desc,
            },
            Sort {
                field: "name",
                direction: Direction::Asc,
            },
        ];
        let mut sorted: Vec<&Row> = rows.iter().collect();
        sorted.sort_by(|a, b| compare(&sort, *a, *b));
        let positions: Vec<FieldValue<'_>> = sorted.iter().map(|r| r.get(&"pos")).collect();
        let want: Vec<FieldValue<'_>> = [1, 3, 2, 0, 4].into_iter().map(FieldValue::Int).collect();
        assert_eq!(positions, want);
        assert_eq!(
            compare::<&str, Row>(&[], &rows[0], &rows[1]),
            Ordering::Equal
        );
        // Descending puts missing last.
        let desc = [Sort {
            field: "name",
            direction: Direction::Desc,
        }];
        assert_eq!(compare(&desc, &rows[2], &rows[0]), Ordering::Greater);
    }
}
