//! Translation of chat-core filters and sorts to parameterised SQL, with the reference
//! evaluator (`chat_core::query::{matches, compare}`) as the semantics to reproduce.
//!
//! A field maps to a [`Column`] (a fixed SQL expression from `sql_fields.rs`: never a value
//! from the request); every operand is a bind parameter. A filter translates to a [`Tr`]:
//!
//! * [`Tr::Exact`]: SQL that is true exactly where `matches` is. Translated exactly:
//!   `$eq $ne $in $nin $gt $gte $lt $lte $exists $contains` and `$and $or $nor` on every
//!   scalar built-in field (strings, enums, booleans, integers, times), `$eq $ne $in $nin
//!   $contains` on the string-list fields (`members`, `filter_tags`, `teams`,
//!   `member.user.name`), and every one of those on custom data (jsonb), including the
//!   evaluator's rules for missing/null, mismatched types (never equal, never ordered),
//!   arrays (a scalar operand matches any element) and exact integer/float comparison.
//! * [`Tr::Superset`]: SQL that is true wherever `matches` is (a necessary condition), so
//!   the store fetches those rows and the evaluator decides. `$autocomplete` and `$q` are
//!   this: an ASCII operand must occur, case-insensitively, in an ASCII value, or the value
//!   is not ASCII (where Rust's Unicode lowercasing and word rules are left to the
//!   evaluator).
//! * [`Tr::Unknown`]: nothing usable; the evaluator sees every candidate. Used for operands
//!   whose comparison SQL cannot reproduce cheaply: object and array operands (set
//!   equality, structural JSON equality), numbers beyond ±2^53 (where numeric text and
//!   `f64` diverge), floats against integer columns, non-ASCII `$autocomplete`/`$q` text
//!   and operators on fields that do not take them.
//!
//! `$and` of parts is exact if every part is, else a superset of the parts that translated;
//! `$or` needs every part usable; `$nor` needs every part exact. A sort translates to
//! `ORDER BY` keys where missing sorts first ascending and last descending, as
//! `compare` orders them; custom fields sort by (type rank, number, string, boolean) with an
//! "inexact" condition true for the values SQL cannot order like the evaluator (arrays,
//! numbers beyond ±2^53), so a store can detect them and fall back.

use sqlx::{Postgres, QueryBuilder};

use chat_core::query::{Direction, Filter, Op, Sort, Value};

/// A bound parameter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bind {
    /// `text`.
    Text(String),
    /// `text[]`.
    Texts(Vec<String>),
    /// `bigint`.
    Int(i64),
    /// `boolean`.
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    /// SQL text written by this crate (never request data).
    Raw(String),
    Bind(Bind),
}

/// An SQL fragment: trusted text interleaved with bound parameters.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sql {
    parts: Vec<Part>,
}

impl Sql {
    /// A fragment of trusted SQL text.
    pub fn raw(text: impl Into<String>) -> Self {
        Self {
            parts: vec![Part::Raw(text.into())],
        }
    }

    /// A lone bound parameter.
    pub fn bind(value: Bind) -> Self {
        Self {
            parts: vec![Part::Bind(value)],
        }
    }

    /// Appends trusted SQL text.
    pub fn push(mut self, text: &str) -> Self {
        self.parts.push(Part::Raw(text.to_owned()));
        self
    }

    /// Appends a bound parameter.
    pub fn push_bind(mut self, value: Bind) -> Self {
        self.parts.push(Part::Bind(value));
        self
    }

    /// Appends another fragment.
    pub fn append(mut self, other: Sql) -> Self {
        self.parts.extend(other.parts);
        self
    }

    /// `(self)`.
    fn paren(self) -> Self {
        Sql::raw("(").append(self).push(")")
    }

    /// Joins fragments with a separator.
    pub fn join(items: Vec<Sql>, sep: &str) -> Self {
        let mut out = Sql::default();
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                out = out.push(sep);
            }
            out = out.append(item);
        }
        out
    }

    /// Writes the fragment into a query builder.
    pub fn build_into(self, q: &mut QueryBuilder<'_, Postgres>) {
        for part in self.parts {
            match part {
                Part::Raw(text) => {
                    q.push(text);
                }
                Part::Bind(Bind::Text(v)) => {
                    q.push_bind(v);
                }
                Part::Bind(Bind::Texts(v)) => {
                    q.push_bind(v);
                }
                Part::Bind(Bind::Int(v)) => {
                    q.push_bind(v);
                }
                Part::Bind(Bind::Bool(v)) => {
                    q.push_bind(v);
                }
            }
        }
    }

    /// The text with `$n` placeholders and the binds in order (tests, debugging).
    #[cfg(test)]
    pub fn render(&self) -> (String, Vec<Bind>) {
        let mut text = String::new();
        let mut binds = Vec::new();
        for part in &self.parts {
            match part {
                Part::Raw(t) => text.push_str(t),
                Part::Bind(b) => {
                    binds.push(b.clone());
                    text.push_str(&format!("${}", binds.len()));
                }
            }
        }
        (text, binds)
    }
}

/// The SQL type of a scalar column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scalar {
    /// `text COLLATE "C"`.
    Text,
    /// `boolean`.
    Bool,
    /// `bigint`.
    Int,
    /// `bigint` microseconds.
    Time,
}

/// How a field reads in SQL.
#[derive(Debug, Clone)]
pub(crate) enum Column {
    /// A scalar expression; SQL NULL means missing.
    Scalar(Scalar, Sql),
    /// A list of strings: `FROM … WHERE …` text (with no bound parameters) whose rows are
    /// the elements, and the element expression (non-null text). Conditions become
    /// `EXISTS (SELECT 1 <source> AND <test of element>)`, which the planner turns into a
    /// semi-join when the source correlates only in its `WHERE`.
    List {
        /// `FROM … WHERE …`.
        source: &'static str,
        /// The element.
        element: &'static str,
    },
    /// Custom data: a `jsonb` expression; SQL NULL means missing, JSON `null` is null.
    Json(Sql),
    /// The type part of a cid column (`type:id`, types never hold `:`): equality becomes a
    /// range of the cid, which the primary key serves and the planner can estimate.
    CidType(&'static str),
}

/// A translated filter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tr {
    /// True exactly where the evaluator matches.
    Exact(Sql),
    /// True wherever the evaluator matches (maybe elsewhere too).
    Superset(Sql),
    /// No usable SQL.
    Unknown,
}

impl Tr {
    fn exact(text: &str) -> Self {
        Tr::Exact(Sql::raw(text))
    }

    fn never() -> Self {
        Tr::exact("false")
    }

    /// The negation; only an exact condition can be negated. Conditions may be NULL where
    /// a value is missing (`WHERE` reads NULL as false, and AND/OR keep that reading), so
    /// a negation first turns NULL into false.
    fn not(self) -> Self {
        match self {
            Tr::Exact(sql) => Tr::Exact(Sql::raw("NOT coalesce(").append(sql).push(", false)")),
            _ => Tr::Unknown,
        }
    }

    /// The SQL of a usable condition (exact or superset).
    pub fn sql(&self) -> Option<&Sql> {
        match self {
            Tr::Exact(sql) | Tr::Superset(sql) => Some(sql),
            Tr::Unknown => None,
        }
    }
}

/// `$and`: exact if every part is, else the usable parts as a necessary condition.
fn all_of(parts: Vec<Tr>) -> Tr {
    if parts.is_empty() {
        return Tr::exact("true");
    }
    let exact = parts.iter().all(|p| matches!(p, Tr::Exact(_)));
    let usable: Vec<Sql> = parts
        .into_iter()
        .filter_map(|p| match p {
            Tr::Exact(s) | Tr::Superset(s) => Some(s.paren()),
            Tr::Unknown => None,
        })
        .collect();
    if usable.is_empty() {
        return Tr::Unknown;
    }
    let sql = Sql::join(usable, " AND ");
    if exact {
        Tr::Exact(sql)
    } else {
        Tr::Superset(sql)
    }
}

/// `$or`: usable only if every part is.
fn any_of(parts: Vec<Tr>) -> Tr {
    if parts.is_empty() {
        return Tr::never();
    }
    let exact = parts.iter().all(|p| matches!(p, Tr::Exact(_)));
    let mut usable = Vec::with_capacity(parts.len());
    for p in parts {
        match p {
            Tr::Exact(s) | Tr::Superset(s) => usable.push(s.paren()),
            Tr::Unknown => return Tr::Unknown,
        }
    }
    let sql = Sql::join(usable, " OR ");
    if exact {
        Tr::Exact(sql)
    } else {
        Tr::Superset(sql)
    }
}

/// Translates a filter; `column` maps each field to SQL (`None`: not translatable).
pub(crate) fn translate<F>(filter: &Filter<F>, column: &impl Fn(&F) -> Option<Column>) -> Tr {
    match filter {
        Filter::All => Tr::exact("true"),
        Filter::And(parts) => all_of(parts.iter().map(|p| translate(p, column)).collect()),
        Filter::Or(parts) => any_of(parts.iter().map(|p| translate(p, column)).collect()),
        Filter::Nor(parts) => any_of(parts.iter().map(|p| translate(p, column)).collect()).not(),
        Filter::Cond(field, op) => match column(field) {
            Some(Column::Scalar(kind, expr)) => scalar(kind, &expr, op),
            Some(Column::List { source, element }) => list(&List { source, element }, op),
            Some(Column::Json(expr)) => json(&expr, op),
            Some(Column::CidType(cid)) => cid_type(cid, op),
            None => Tr::Unknown,
        },
    }
}

// ---------------------------------------------------------------------------------------
// Operands
// ---------------------------------------------------------------------------------------

/// Magnitude up to which integers and floats compare the same as numeric text (beyond it,
/// a float's shortest decimal form is not its exact value).
const EXACT_NUMBERS: f64 = 9_007_199_254_740_992.0;

/// [`EXACT_NUMBERS`] as an integer.
const EXACT_INTS: u64 = 1 << 53;

/// An operand as SQL sees it for one kind of value.
enum Operand {
    /// Bind this value.
    Bind(Sql),
    /// JSON null / missing.
    Null,
    /// A type the field can never hold: equality and order are false.
    Mismatch,
    /// Not reproducible in SQL.
    Unknown,
}

/// The operand for a scalar column of `kind`.
fn scalar_operand(kind: Scalar, v: &Value) -> Operand {
    match (kind, v) {
        (_, Value::Null) => Operand::Null,
        (_, Value::Json(_)) => Operand::Unknown,
        (Scalar::Text, Value::Str(s)) => Operand::Bind(Sql::bind(Bind::Text(s.clone()))),
        (Scalar::Bool, Value::Bool(b)) => Operand::Bind(Sql::bind(Bind::Bool(*b))),
        (Scalar::Int, Value::Int(i)) => Operand::Bind(Sql::bind(Bind::Int(*i))),
        (Scalar::Int, Value::Float(_)) => Operand::Unknown,
        (Scalar::Time, Value::Time(t)) => Operand::Bind(Sql::bind(Bind::Int(t.as_micros()))),
        _ => Operand::Mismatch,
    }
}

/// The comparison operator of an ordering condition.
fn order_op(op: &Op) -> Option<(&'static str, &Value)> {
    match op {
        Op::Gt(v) => Some((" > ", v)),
        Op::Gte(v) => Some((" >= ", v)),
        Op::Lt(v) => Some((" < ", v)),
        Op::Lte(v) => Some((" <= ", v)),
        _ => None,
    }
}

/// `a <cmp> b`: NULL (false) when a side is missing, as in the evaluator; kept free of
/// `coalesce` so indexes on `a` stay usable.
fn compare_sql(a: &Sql, cmp: &str, b: Sql) -> Sql {
    a.clone().paren().push(cmp).append(b)
}

/// `$in` as `$eq` on each operand.
fn in_list(values: &[Value], eq: impl Fn(&Value) -> Tr) -> Tr {
    any_of(values.iter().map(eq).collect())
}

// ---------------------------------------------------------------------------------------
// Scalar columns
// ---------------------------------------------------------------------------------------

fn scalar_eq(kind: Scalar, expr: &Sql, v: &Value) -> Tr {
    match scalar_operand(kind, v) {
        Operand::Bind(b) => Tr::Exact(compare_sql(expr, " = ", b)),
        Operand::Null => Tr::Exact(expr.clone().paren().push(" IS NULL")),
        Operand::Mismatch => Tr::never(),
        Operand::Unknown => Tr::Unknown,
    }
}

fn scalar(kind: Scalar, expr: &Sql, op: &Op) -> Tr {
    if let Some((cmp, v)) = order_op(op) {
        return match scalar_operand(kind, v) {
            Operand::Bind(b) => Tr::Exact(compare_sql(expr, cmp, b)),
            Operand::Null | Operand::Mismatch => Tr::never(),
            Operand::Unknown => Tr::Unknown,
        };
    }
    match op {
        Op::Eq(v) => scalar_eq(kind, expr, v),
        Op::Ne(v) => scalar_eq(kind, expr, v).not(),
        Op::In(vs) => in_list(vs, |v| scalar_eq(kind, expr, v)),
        Op::Nin(vs) => in_list(vs, |v| scalar_eq(kind, expr, v)).not(),
        Op::Exists(want) => {
            Tr::Exact(
                expr.clone()
                    .paren()
                    .push(if *want { " IS NOT NULL" } else { " IS NULL" }),
            )
        }
        Op::Contains(v) => match (kind, v) {
            (Scalar::Text, Value::Str(s)) => Tr::Exact(
                Sql::raw("coalesce(strpos(")
                    .append(expr.clone())
                    .push(", ")
                    .push_bind(Bind::Text(s.clone()))
                    .push(") > 0, false)"),
            ),
            (_, Value::Json(_)) => Tr::Unknown,
            _ => Tr::never(),
        },
        Op::Autocomplete(text) => match kind {
            Scalar::Text => text_search(expr, &autocomplete_words(text)),
            _ => Tr::never(),
        },
        Op::Q(query) => match kind {
            Scalar::Text => text_search(expr, &query_words(query)),
            _ => Tr::never(),
        },
        _ => Tr::Unknown,
    }
}

// ---------------------------------------------------------------------------------------
// Channel types
// ---------------------------------------------------------------------------------------

/// `type = t` as `cid >= 't:' AND cid < 't;'` (`;` follows `:` in byte order).
fn cid_type_eq(cid: &str, v: &Value) -> Tr {
    match v {
        // No type holds ':', so the text before the first one never equals such a value.
        Value::Str(t) if t.contains(':') => Tr::never(),
        Value::Str(t) => Tr::Exact(
            Sql::raw(format!("({cid} >= "))
                .push_bind(Bind::Text(format!("{t}:")))
                .push(&format!(" AND {cid} < "))
                .push_bind(Bind::Text(format!("{t};")))
                .push(")"),
        ),
        Value::Json(_) => Tr::Unknown,
        // Always present, always a string.
        _ => Tr::never(),
    }
}

fn cid_type(cid: &'static str, op: &Op) -> Tr {
    match op {
        Op::Eq(v) => cid_type_eq(cid, v),
        Op::Ne(v) => cid_type_eq(cid, v).not(),
        Op::In(vs) => in_list(vs, |v| cid_type_eq(cid, v)),
        Op::Nin(vs) => in_list(vs, |v| cid_type_eq(cid, v)).not(),
        _ => scalar(
            Scalar::Text,
            &Sql::raw(format!("(split_part({cid}, ':', 1)) COLLATE \"C\"")),
            op,
        ),
    }
}

// ---------------------------------------------------------------------------------------
// Text search ($autocomplete, $q): a necessary condition
// ---------------------------------------------------------------------------------------

/// The needles `$autocomplete` needs: the trimmed, lowercased text. `None` when it is not
/// ASCII (left to the evaluator); empty when it can match nothing.
fn autocomplete_words(text: &str) -> Option<Vec<String>> {
    let text = text.trim().to_lowercase();
    if !text.is_ascii() {
        return None;
    }
    Some(if text.is_empty() {
        Vec::new()
    } else {
        vec![text]
    })
}

/// The needles `$q` needs: its lowercase words, as the evaluator splits them.
fn query_words(query: &str) -> Option<Vec<String>> {
    let words: Vec<String> = query
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    words.iter().all(|w| w.is_ascii()).then_some(words)
}

/// A text value can match only if it holds every needle, lowercased, or is not ASCII.
/// No needles: nothing matches (an empty `$autocomplete`, a `$q` without words).
fn text_predicate(value: &Sql, needles: &[String]) -> Sql {
    // `lower` under "C" folds ASCII only, which is all an ASCII value needs.
    let mut all = Vec::with_capacity(needles.len());
    for needle in needles {
        all.push(
            Sql::raw("strpos(lower((")
                .append(value.clone())
                .push(") COLLATE \"C\"), ")
                .push_bind(Bind::Text(needle.clone()))
                .push(") > 0"),
        );
    }
    let non_ascii = Sql::raw("octet_length(")
        .append(value.clone())
        .push(") <> char_length(")
        .append(value.clone())
        .push(")");
    Sql::raw("coalesce(")
        .append(non_ascii)
        .push(" OR (")
        .append(Sql::join(all, " AND "))
        .push("), false)")
}

fn text_search(expr: &Sql, needles: &Option<Vec<String>>) -> Tr {
    match needles {
        None => Tr::Unknown,
        Some(n) if n.is_empty() => Tr::never(),
        Some(n) => Tr::Superset(text_predicate(expr, n)),
    }
}

// ---------------------------------------------------------------------------------------
// String lists
// ---------------------------------------------------------------------------------------

/// A list column's parts.
struct List {
    source: &'static str,
    element: &'static str,
}

/// `EXISTS (SELECT 1 <source> AND <pred(element)>)`.
fn any_element(list: &List, pred: Sql) -> Sql {
    Sql::raw(format!("EXISTS (SELECT 1 {} AND ", list.source))
        .append(pred)
        .push(")")
}

/// Strings an operand list can equal; `None` if one is not reproducible.
fn list_strings<'a>(values: impl IntoIterator<Item = &'a Value>) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for v in values {
        match v {
            Value::Str(s) => out.push(s.clone()),
            Value::Json(_) => return None,
            // Other types never equal a string element.
            _ => {}
        }
    }
    Some(out)
}

/// Some element is one of the strings.
fn list_has(src: &List, strings: Option<Vec<String>>) -> Tr {
    match strings {
        None => Tr::Unknown,
        Some(s) if s.is_empty() => Tr::never(),
        Some(s) => Tr::Exact(any_element(
            src,
            Sql::raw(format!("{} = ANY(", src.element))
                .push_bind(Bind::Texts(s))
                .push(")"),
        )),
    }
}

fn list(src: &List, op: &Op) -> Tr {
    match op {
        Op::Eq(v) | Op::Contains(v) => list_has(src, list_strings([v])),
        Op::Ne(v) => list_has(src, list_strings([v])).not(),
        Op::In(vs) => list_has(src, list_strings(vs)),
        Op::Nin(vs) => list_has(src, list_strings(vs)).not(),
        Op::Autocomplete(text) => list_search(src, &autocomplete_words(text)),
        Op::Q(query) => list_search(src, &query_words(query)),
        _ => Tr::Unknown,
    }
}

fn list_search(src: &List, needles: &Option<Vec<String>>) -> Tr {
    match needles {
        None => Tr::Unknown,
        Some(n) if n.is_empty() => Tr::never(),
        Some(n) => Tr::Superset(any_element(src, text_predicate(&Sql::raw(src.element), n))),
    }
}

// ---------------------------------------------------------------------------------------
// Custom data (jsonb)
// ---------------------------------------------------------------------------------------

/// A jsonb value's elements if it is an array (none otherwise), as `j.v`.
fn elements(expr: &Sql) -> Sql {
    Sql::raw("jsonb_array_elements(CASE WHEN jsonb_typeof(")
        .append(expr.clone())
        .push(") = 'array' THEN ")
        .append(expr.clone())
        .push(" ELSE '[]'::jsonb END) AS j(v)")
}

/// Some element of a jsonb array satisfies `pred` (written over `j.v`).
fn some_element(expr: &Sql, pred: Sql) -> Sql {
    Sql::raw("EXISTS (SELECT 1 FROM ")
        .append(elements(expr))
        .push(" WHERE ")
        .append(pred)
        .push(")")
}

/// A jsonb value read as the operand's type, and the operand bound to compare with it.
enum JsonOperand {
    /// Compare `value` (NULL when the JSON type differs) with `operand`.
    Typed { value: Sql, operand: Sql },
    /// JSON null.
    Null,
    /// Custom data never holds this type.
    Mismatch,
    /// Not reproducible in SQL.
    Unknown,
}

/// The typed reading of jsonb value `x` for operand `v`.
fn json_typed(x: &Sql, v: &Value) -> JsonOperand {
    let typed = |jtype: &str, cast: &str| {
        Sql::raw("(CASE WHEN jsonb_typeof(")
            .append(x.clone())
            .push(&format!(") = '{jtype}' THEN "))
            .append(x.clone())
            .push(&format!("{cast} END)"))
    };
    let numeric = |b: Bind| Sql::raw("CAST(").push_bind(b).push(" AS numeric)");
    let (value, operand) = match v {
        Value::Null => return JsonOperand::Null,
        Value::Str(s) => (
            typed("string", " #>> '{}'").push(" COLLATE \"C\""),
            Sql::bind(Bind::Text(s.clone())),
        ),
        Value::Bool(b) => (typed("boolean", "::boolean"), Sql::bind(Bind::Bool(*b))),
        Value::Int(i) if i.unsigned_abs() <= EXACT_INTS => {
            (typed("number", "::numeric"), numeric(Bind::Int(*i)))
        }
        // The shortest decimal that reads back as `f`, order-preserving against the
        // shortest forms serde_json stored (see the module docs).
        Value::Float(f) if f.is_finite() && f.abs() <= EXACT_NUMBERS => (
            typed("number", "::numeric"),
            numeric(Bind::Text(f.to_string())),
        ),
        Value::Int(_) | Value::Float(_) | Value::Json(_) => return JsonOperand::Unknown,
        // Custom data holds JSON, never a time.
        Value::Time(_) => return JsonOperand::Mismatch,
    };
    JsonOperand::Typed { value, operand }
}

/// `x <cmp> v` for one jsonb value `x` (not looking into arrays); `None` if unknown.
fn json_scalar(x: &Sql, cmp: &str, v: &Value) -> Option<Sql> {
    match json_typed(x, v) {
        JsonOperand::Typed { value, operand } => Some(compare_sql(&value, cmp, operand)),
        JsonOperand::Null => Some(if cmp == " = " {
            Sql::raw("coalesce(jsonb_typeof(")
                .append(x.clone())
                .push(") = 'null', false)")
        } else {
            Sql::raw("false")
        }),
        JsonOperand::Mismatch => Some(Sql::raw("false")),
        JsonOperand::Unknown => None,
    }
}

/// `$eq`: the value equals the operand, or is an array with an element that does.
fn json_eq(expr: &Sql, v: &Value) -> Tr {
    let (Some(top), Some(elem)) = (
        json_scalar(expr, " = ", v),
        json_scalar(&Sql::raw("j.v"), " = ", v),
    ) else {
        return Tr::Unknown;
    };
    let top = if matches!(v, Value::Null) {
        // Missing equals null too.
        Sql::raw("(")
            .append(expr.clone())
            .push(" IS NULL OR ")
            .append(top)
            .push(")")
    } else {
        top
    };
    Tr::Exact(top.push(" OR ").append(some_element(expr, elem)))
}

fn json(expr: &Sql, op: &Op) -> Tr {
    if let Some((cmp, v)) = order_op(op) {
        // Ordering looks at array elements only, never at the array itself.
        let (Some(top), Some(elem)) = (
            json_scalar(expr, cmp, v),
            json_scalar(&Sql::raw("j.v"), cmp, v),
        ) else {
            return Tr::Unknown;
        };
        if matches!(v, Value::Null) {
            return Tr::never();
        }
        return Tr::Exact(top.push(" OR ").append(some_element(expr, elem)));
    }
    match op {
        Op::Eq(v) => json_eq(expr, v),
        Op::Ne(v) => json_eq(expr, v).not(),
        Op::In(vs) => in_list(vs, |v| json_eq(expr, v)),
        Op::Nin(vs) => in_list(vs, |v| json_eq(expr, v)).not(),
        Op::Exists(want) => {
            let present = Sql::raw("coalesce(jsonb_typeof(")
                .append(expr.clone())
                .push(") <> 'null', false)");
            Tr::Exact(if *want {
                present
            } else {
                Sql::raw("NOT ").append(present)
            })
        }
        Op::Contains(v) => {
            let Some(elem) = json_scalar(&Sql::raw("j.v"), " = ", v) else {
                return Tr::Unknown;
            };
            let in_array = some_element(expr, elem);
            match v {
                Value::Str(s) => Tr::Exact(
                    Sql::raw("coalesce(strpos(CASE WHEN jsonb_typeof(")
                        .append(expr.clone())
                        .push(") = 'string' THEN ")
                        .append(expr.clone())
                        .push(" #>> '{}' END, ")
                        .push_bind(Bind::Text(s.clone()))
                        .push(") > 0, false) OR ")
                        .append(in_array),
                ),
                _ => Tr::Exact(in_array),
            }
        }
        Op::Autocomplete(text) => json_search(expr, &autocomplete_words(text)),
        Op::Q(query) => json_search(expr, &query_words(query)),
        _ => Tr::Unknown,
    }
}

/// Text search over a jsonb string or the strings of a jsonb array.
fn json_search(expr: &Sql, needles: &Option<Vec<String>>) -> Tr {
    let needles = match needles {
        None => return Tr::Unknown,
        Some(n) if n.is_empty() => return Tr::never(),
        Some(n) => n,
    };
    let text_of = |x: &Sql| {
        Sql::raw("(CASE WHEN jsonb_typeof(")
            .append(x.clone())
            .push(") = 'string' THEN ")
            .append(x.clone())
            .push(" #>> '{}' END)")
    };
    let top = text_predicate(&text_of(expr), needles);
    let elem = text_predicate(&text_of(&Sql::raw("j.v")), needles);
    Tr::Superset(top.push(" OR ").append(some_element(expr, elem)))
}

// ---------------------------------------------------------------------------------------
// Sorts
// ---------------------------------------------------------------------------------------

/// `ORDER BY` keys for a sort, and a condition true for rows SQL cannot order like the
/// evaluator (`None` when every row orders exactly). `None` overall if a key cannot be
/// translated.
pub(crate) struct OrderBy {
    /// Comma-separated keys (without `ORDER BY`).
    pub keys: Vec<Sql>,
    /// Rows whose order SQL may get wrong.
    pub inexact: Option<Sql>,
}

fn key(expr: Sql, direction: Direction) -> Sql {
    expr.paren().push(match direction {
        // Missing first ascending, last descending, as `compare` orders them.
        Direction::Asc => " ASC NULLS FIRST",
        Direction::Desc => " DESC NULLS LAST",
    })
}

/// Translates sort keys; `None` if one is not translatable.
pub(crate) fn order_by<F>(
    sort: &[Sort<F>],
    column: &impl Fn(&F) -> Option<Column>,
) -> Option<OrderBy> {
    let mut keys = Vec::new();
    let mut inexact = Vec::new();
    for s in sort {
        match column(&s.field)? {
            Column::Scalar(_, expr) => keys.push(key(expr, s.direction)),
            Column::List { .. } | Column::CidType(_) => return None,
            Column::Json(e) => {
                let typed = |jtype: &str, cast: &str| {
                    Sql::raw("CASE WHEN jsonb_typeof(")
                        .append(e.clone())
                        .push(&format!(") = '{jtype}' THEN "))
                        .append(e.clone())
                        .push(&format!("{cast} END"))
                };
                // Type ranks of the evaluator: missing/null < numbers < strings <
                // booleans < arrays < objects (objects tie).
                let rank = Sql::raw("CASE jsonb_typeof(").append(e.clone()).push(
                    ") WHEN 'number' THEN 1 WHEN 'string' THEN 2 WHEN 'boolean' THEN 4 \
                         WHEN 'array' THEN 5 WHEN 'object' THEN 6 ELSE 0 END",
                );
                keys.push(key(rank, s.direction));
                keys.push(key(typed("number", "::numeric"), s.direction));
                keys.push(key(
                    typed("string", " #>> '{}'").push(" COLLATE \"C\""),
                    s.direction,
                ));
                keys.push(key(typed("boolean", "::boolean"), s.direction));
                inexact.push(
                    Sql::raw("coalesce(jsonb_typeof(")
                        .append(e.clone())
                        .push(") = 'array' OR abs(")
                        .append(typed("number", "::numeric"))
                        .push(&format!(") > {EXACT_NUMBERS}, false)")),
                );
            }
        }
    }
    Some(OrderBy {
        keys,
        inexact: (!inexact.is_empty()).then(|| Sql::join(inexact, " OR ")),
    })
}

#[cfg(test)]
#[path = "sql_filter_tests.rs"]
mod tests;
