//! Parsing the API's Mongo-style JSON filters and sort specs into typed [`Filter`]s and
//! [`Sort`] keys (query-language.md §1–2).
//!
//! Everything is checked here, once, so stores and the evaluator never see an operator a
//! field does not support or an operand of the wrong type:
//! * the filter must be an object; `{}` is [`Filter::All`]; top-level keys are ANDed;
//! * `{field: value}` is `$eq`; `{field: {$op: v, …}}` is the AND of the conditions;
//! * a bare array is `$in` on scalar fields, and an exact-set `$eq` on list and custom
//!   fields (`{"members": ["a", "b"]}` = exactly those members);
//! * `{team: {}}` / `{teams: {}}` (multi-tenant "all teams") parse to the tautology
//!   `$exists: true OR $exists: false`, which matches every row but keeps the field
//!   visible to code that checks whether the filter constrains it;
//! * operands are converted by [`FieldKind`]: RFC3339 strings for time fields, booleans,
//!   integers, strings (enum fields check the value), any JSON for custom fields; `null`
//!   is accepted by `$eq`/`$ne`/`$in`/`$nin` on fields that can be absent;
//! * nesting is limited to [`MAX_DEPTH`] combinators and a filter to [`MAX_CONDITIONS`]
//!   nodes, so a hostile filter cannot make evaluation or SQL translation expensive.
//!
//! Errors are [`Error::Invalid`]: the `field` is the filter key at fault (or
//! `filter_conditions` / `sort` for structural problems) and the reason names the
//! operator or field involved.

use serde_json::{Map, Value as Json};

use super::fields::{Field, FieldKind};
use super::{Direction, Filter, Op, Sort, Value};
use crate::error::Error;

/// Deepest nesting of `$and`/`$or`/`$nor`.
pub const MAX_DEPTH: usize = 10;
/// Most conditions and sub-filters in one filter.
pub const MAX_CONDITIONS: usize = 1000;
/// Most values in one `$in`/`$nin` or exact-set operand.
pub const MAX_LIST_VALUES: usize = 1000;
/// Most sort keys.
pub const MAX_SORT_KEYS: usize = 10;

/// The request key used for structural filter errors.
const FILTER: &str = "filter_conditions";
/// The request key used for sort errors.
const SORT: &str = "sort";

/// Every operator a field condition may use.
const FIELD_OPERATORS: &[&str] = &[
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
    "$exists",
    "$autocomplete",
    "$contains",
    "$q",
];

/// Parses a filter object (`filter_conditions`) for fields `F`.
pub fn parse_filter<F: Field>(json: &Json) -> Result<Filter<F>, Error> {
    let object = json
        .as_object()
        .ok_or_else(|| Error::invalid(FILTER, "the filter must be a JSON object"))?;
    Parser { nodes: 0 }.object(object, 0)
}

/// Parses a sort spec: an array of `{"field": name, "direction": 1|-1}` (direction
/// defaults to 1), a single such object, a one-key `{name: 1|-1}` object, or an array of
/// those. `null` means no sort keys.
pub fn parse_sort<F: Field>(json: &Json) -> Result<Vec<Sort<F>>, Error> {
    let mut keys = Vec::new();
    match json {
        Json::Null => {}
        Json::Array(entries) => {
            for entry in entries {
                let object = entry
                    .as_object()
                    .ok_or_else(|| Error::invalid(SORT, "sort entries must be objects"))?;
                keys.push(sort_entry(object)?);
            }
        }
        Json::Object(object) => keys.push(sort_entry(object)?),
        _ => {
            return Err(Error::invalid(
                SORT,
                "sort must be an array of {field, direction} objects",
            ))
        }
    }
    if keys.len() > MAX_SORT_KEYS {
        return Err(Error::invalid(
            SORT,
            format!("at most {MAX_SORT_KEYS} sort keys are allowed"),
        ));
    }
    Ok(keys)
}

/// One sort entry, in either the `{field, direction}` or the `{name: dir}` form.
fn sort_entry<F: Field>(object: &Map<String, Json>) -> Result<Sort<F>, Error> {
    // A string `field` marks the explicit form; `{"field": -1}` is a custom field named
    // "field" in the map form.
    if let Some(Json::String(name)) = object.get("field") {
        if let Some(extra) = object.keys().find(|k| *k != "field" && *k != "direction") {
            return Err(Error::invalid(
                SORT,
                format!("unexpected key {extra} in the sort entry for {name}"),
            ));
        }
        let direction = match object.get("direction") {
            None | Some(Json::Null) => Direction::Asc,
            Some(d) => direction(name, d)?,
        };
        return sort_key(name, direction);
    }
    // JSON objects do not keep key order here, so a multi-key map has no defined order.
    let mut entries = object.iter();
    match (entries.next(), entries.next()) {
        (Some((name, d)), None) => sort_key(name, direction(name, d)?),
        (None, _) => Err(Error::invalid(SORT, "empty sort object")),
        (Some(_), Some(_)) => Err(Error::invalid(
            SORT,
            "a {field: direction} sort object must name exactly one field; use an array for several",
        )),
    }
}

fn direction(name: &str, value: &Json) -> Result<Direction, Error> {
    match value.as_i64() {
        Some(1) => Ok(Direction::Asc),
        Some(-1) => Ok(Direction::Desc),
        _ => Err(Error::invalid(
            SORT,
            format!("sort direction for {name} must be 1 or -1"),
        )),
    }
}

fn sort_key<F: Field>(name: &str, direction: Direction) -> Result<Sort<F>, Error> {
    let field =
        F::parse(name).ok_or_else(|| Error::invalid(SORT, format!("unknown sort field {name}")))?;
    if !field.sortable() {
        return Err(Error::invalid(SORT, format!("cannot sort by {name}")));
    }
    Ok(Sort { field, direction })
}

/// Walks one filter, counting nodes against [`MAX_CONDITIONS`].
struct Parser {
    nodes: usize,
}

impl Parser {
    /// Counts one more condition or sub-filter.
    fn count(&mut self, at: &str) -> Result<(), Error> {
        self.nodes += 1;
        if self.nodes > MAX_CONDITIONS {
            return Err(Error::invalid(
                at.to_owned(),
                format!("a filter may have at most {MAX_CONDITIONS} conditions"),
            ));
        }
        Ok(())
    }

    /// A filter object: its keys ANDed.
    fn object<F: Field>(
        &mut self,
        object: &Map<String, Json>,
        depth: usize,
    ) -> Result<Filter<F>, Error> {
        let parts = object
            .iter()
            .map(|(key, value)| self.entry(key, value, depth))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(all_of(parts))
    }

    /// One key of a filter object: a combinator or a field.
    fn entry<F: Field>(
        &mut self,
        key: &str,
        value: &Json,
        depth: usize,
    ) -> Result<Filter<F>, Error> {
        match key {
            "$and" | "$or" | "$nor" => self.combinator(key, value, depth),
            _ if FIELD_OPERATORS.contains(&key) => Err(Error::invalid(
                FILTER,
                format!("operator {key} must be applied to a field"),
            )),
            _ if key.starts_with('$') => {
                Err(Error::invalid(FILTER, format!("unknown operator {key}")))
            }
            _ => self.field(key, value),
        }
    }

    /// `$and`/`$or`/`$nor`: a non-empty array of filter objects.
    fn combinator<F: Field>(
        &mut self,
        key: &str,
        value: &Json,
        depth: usize,
    ) -> Result<Filter<F>, Error> {
        if depth >= MAX_DEPTH {
            return Err(Error::invalid(
                key.to_owned(),
                format!("{key}: filters may nest at most {MAX_DEPTH} levels deep"),
            ));
        }
        let not_array = || {
            Error::invalid(
                key.to_owned(),
                format!("{key} needs a non-empty array of filter objects"),
            )
        };
        let items = value
            .as_array()
            .filter(|items| !items.is_empty())
            .ok_or_else(not_array)?;
        let mut subs = Vec::with_capacity(items.len());
        for item in items {
            self.count(key)?;
            let object = item.as_object().ok_or_else(not_array)?;
            subs.push(self.object(object, depth + 1)?);
        }
        Ok(match key {
            "$and" => Filter::And(subs),
            "$or" => Filter::Or(subs),
            _ => Filter::Nor(subs),
        })
    }

    /// The conditions on one field.
    fn field<F: Field>(&mut self, key: &str, value: &Json) -> Result<Filter<F>, Error> {
        let field = F::parse(key)
            .ok_or_else(|| Error::invalid(key.to_owned(), format!("unknown field {key}")))?;
        let custom = field.kind() == FieldKind::Custom;
        let list = field.kind() == FieldKind::StrList;
        match value {
            Json::Object(ops) if ops.keys().any(|k| k.starts_with('$')) => {
                if let Some(plain) = ops.keys().find(|k| !k.starts_with('$')) {
                    return Err(Error::invalid(
                        key.to_owned(),
                        format!("cannot mix operators and the plain key {plain} on {key}"),
                    ));
                }
                let conditions = ops
                    .iter()
                    .map(|(op, operand)| self.condition(&field, key, op, operand))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(all_of(conditions))
            }
            Json::Object(ops) if ops.is_empty() && field.empty_means_any() => {
                self.count(key)?;
                self.count(key)?;
                Ok(Filter::Or(vec![
                    Filter::Cond(field.clone(), Op::Exists(true)),
                    Filter::Cond(field, Op::Exists(false)),
                ]))
            }
            // A literal object is only meaningful as custom data.
            Json::Object(_) if custom => self.condition(&field, key, "$eq", value),
            Json::Object(_) => Err(Error::invalid(
                key.to_owned(),
                format!("the condition on {key} must be a value or an object of operators"),
            )),
            Json::Array(_) if custom || list => self.condition(&field, key, "$eq", value),
            Json::Array(_) => self.condition(&field, key, "$in", value),
            _ => self.condition(&field, key, "$eq", value),
        }
    }

    /// One `{$op: operand}` condition: the operator must exist and be allowed on the
    /// field (checked before the operand, so `$gt` on `type` says so rather than
    /// complaining about the value).
    fn condition<F: Field>(
        &mut self,
        field: &F,
        key: &str,
        op: &str,
        operand: &Json,
    ) -> Result<Filter<F>, Error> {
        self.count(key)?;
        let probe = probe(op).ok_or_else(|| {
            Error::invalid(
                key.to_owned(),
                format!("unknown operator {op} on field {key}"),
            )
        })?;
        if !field.allows(&probe) {
            return Err(Error::invalid(
                key.to_owned(),
                format!("operator {op} is not supported for field {key}"),
            ));
        }
        let op = Operand {
            kind: field.kind(),
            key,
            op,
        }
        .build(operand)?;
        Ok(Filter::Cond(field.clone(), op))
    }
}

/// Combines sibling conditions: none matches all, one is itself, more are ANDed.
fn all_of<F>(mut parts: Vec<Filter<F>>) -> Filter<F> {
    match parts.len() {
        0 => Filter::All,
        1 => parts.pop().unwrap_or(Filter::All),
        _ => Filter::And(parts),
    }
}

/// An operator with a dummy operand, to ask a field whether it allows it.
fn probe(op: &str) -> Option<Op> {
    Some(match op {
        "$eq" => Op::Eq(Value::Null),
        "$ne" => Op::Ne(Value::Null),
        "$gt" => Op::Gt(Value::Null),
        "$gte" => Op::Gte(Value::Null),
        "$lt" => Op::Lt(Value::Null),
        "$lte" => Op::Lte(Value::Null),
        "$in" => Op::In(Vec::new()),
        "$nin" => Op::Nin(Vec::new()),
        "$exists" => Op::Exists(true),
        "$autocomplete" => Op::Autocomplete(String::new()),
        "$contains" => Op::Contains(Value::Null),
        "$q" => Op::Q(String::new()),
        _ => return None,
    })
}

/// Converts one operand for a field of `kind`; `key` and `op` are for error messages.
struct Operand<'k> {
    kind: FieldKind,
    key: &'k str,
    op: &'k str,
}

impl Operand<'_> {
    fn error(&self, needs: impl std::fmt::Display) -> Error {
        Error::invalid(
            self.key.to_owned(),
            format!("{} on {} needs {needs}", self.op, self.key),
        )
    }

    fn build(&self, v: &Json) -> Result<Op, Error> {
        Ok(match self.op {
            "$eq" => Op::Eq(self.equality(v)?),
            "$ne" => Op::Ne(self.equality(v)?),
            "$gt" => Op::Gt(self.ordered(v)?),
            "$gte" => Op::Gte(self.ordered(v)?),
            "$lt" => Op::Lt(self.ordered(v)?),
            "$lte" => Op::Lte(self.ordered(v)?),
            "$in" => Op::In(self.list(v)?),
            "$nin" => Op::Nin(self.list(v)?),
            "$exists" => Op::Exists(v.as_bool().ok_or_else(|| self.error("true or false"))?),
            "$autocomplete" => Op::Autocomplete(self.text(v, false)?),
            "$q" => Op::Q(self.text(v, true)?),
            "$contains" => Op::Contains(self.contained(v)?),
            // `probe` has already rejected anything else.
            other => {
                return Err(Error::invalid(
                    self.key.to_owned(),
                    format!("unknown operator {other} on field {}", self.key),
                ))
            }
        })
    }

    /// `$eq`/`$ne`: an element, or for list fields an array meaning exactly that set.
    fn equality(&self, v: &Json) -> Result<Value, Error> {
        match (self.kind, v) {
            (FieldKind::StrList, Json::Array(items)) => {
                self.check_len(items)?;
                if items.iter().any(|i| !i.is_string()) {
                    return Err(self.error("a string or an array of strings"));
                }
                Ok(Value::Json(v.clone()))
            }
            _ => self.element(v),
        }
    }

    /// A scalar of the field's kind, or `null` where the field can be absent.
    fn element(&self, v: &Json) -> Result<Value, Error> {
        let nullable = matches!(
            self.kind,
            FieldKind::Str | FieldKind::Enum(_) | FieldKind::Time | FieldKind::Custom
        );
        if v.is_null() && nullable {
            return Ok(Value::Null);
        }
        self.scalar(v)
    }

    /// A non-null scalar of the field's kind (any JSON for custom fields).
    fn scalar(&self, v: &Json) -> Result<Value, Error> {
        match self.kind {
            FieldKind::Bool => v
                .as_bool()
                .map(Value::Bool)
                .ok_or_else(|| self.error("a boolean")),
            FieldKind::Int => v
                .as_i64()
                .map(Value::Int)
                .ok_or_else(|| self.error("an integer")),
            FieldKind::Time => self.time(v),
            FieldKind::Str | FieldKind::StrList => v
                .as_str()
                .map(|s| Value::Str(s.to_owned()))
                .ok_or_else(|| self.error("a string")),
            FieldKind::Enum(allowed) => match v.as_str() {
                Some(s) if allowed.contains(&s) => Ok(Value::Str(s.to_owned())),
                _ => Err(self.error(format_args!("one of {}", allowed.join(", ")))),
            },
            FieldKind::Custom => Ok(custom_value(v)),
        }
    }

    fn time(&self, v: &Json) -> Result<Value, Error> {
        v.as_str()
            .and_then(crate::time::Timestamp::parse_rfc3339)
            .map(Value::Time)
            .ok_or_else(|| self.error("an RFC3339 timestamp such as 2024-01-15T10:30:00Z"))
    }

    /// `$gt`…`$lte`: custom fields compare numbers, strings and booleans only.
    fn ordered(&self, v: &Json) -> Result<Value, Error> {
        match (self.kind, v) {
            (FieldKind::Custom, Json::Number(_) | Json::String(_) | Json::Bool(_)) => {
                Ok(custom_value(v))
            }
            (FieldKind::Custom, _) => Err(self.error("a number, string or boolean")),
            _ => self.scalar(v),
        }
    }

    /// `$in`/`$nin`: an array of elements.
    fn list(&self, v: &Json) -> Result<Vec<Value>, Error> {
        let items = v.as_array().ok_or_else(|| self.error("an array"))?;
        self.check_len(items)?;
        items.iter().map(|item| self.element(item)).collect()
    }

    fn check_len(&self, items: &[Json]) -> Result<(), Error> {
        if items.len() > MAX_LIST_VALUES {
            return Err(self.error(format_args!("at most {MAX_LIST_VALUES} values")));
        }
        Ok(())
    }

    /// `$contains`: a list element (a string for built-in lists, any JSON for custom).
    fn contained(&self, v: &Json) -> Result<Value, Error> {
        self.scalar(v)
    }

    /// `$autocomplete`/`$q`: non-blank text; `$q` also needs at least one word.
    fn text(&self, v: &Json, needs_word: bool) -> Result<String, Error> {
        let text = v.as_str().map(str::trim).unwrap_or_default();
        if text.is_empty() || (needs_word && !text.chars().any(char::is_alphanumeric)) {
            return Err(self.error("a non-empty string"));
        }
        Ok(text.to_owned())
    }
}

/// A custom-field operand: JSON scalars become typed values, objects and arrays stay JSON.
fn custom_value(v: &Json) -> Value {
    match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            // u64 beyond i64 and fractions; JSON numbers always fit an f64.
            None => Value::Float(n.as_f64().unwrap_or(f64::MAX)),
        },
        Json::String(s) => Value::Str(s.clone()),
        Json::Array(_) | Json::Object(_) => Value::Json(v.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{ChannelField as C, MemberField as M, UserField as U};
    use crate::time::Timestamp;
    use serde_json::json;

    fn channel(json: Json) -> Filter<C> {
        parse_filter(&json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    fn channel_err(json: Json) -> String {
        match parse_filter::<C>(&json) {
            Ok(f) => panic!("{json} parsed as {f:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn cond(field: C, op: Op) -> Filter<C> {
        Filter::Cond(field, op)
    }

    fn s(v: &str) -> Value {
        Value::Str(v.into())
    }

    fn t(v: &str) -> Value {
        Value::Time(Timestamp::parse_rfc3339(v).unwrap())
    }

    fn custom(path: &str) -> C {
        C::Custom(path.into())
    }

    #[test]
    fn valid_filters() {
        let cases: Vec<(Json, Filter<C>)> = vec![
            (json!({}), Filter::All),
            (
                json!({"type": "messaging"}),
                cond(C::Type, Op::Eq(s("messaging"))),
            ),
            (
                json!({"type": {"$eq": "messaging"}}),
                cond(C::Type, Op::Eq(s("messaging"))),
            ),
            (
                json!({"type": {"$ne": "team"}}),
                cond(C::Type, Op::Ne(s("team"))),
            ),
            (
                json!({"type": ["a", "b"]}),
                cond(C::Type, Op::In(vec![s("a"), s("b")])),
            ),
            (
                json!({"cid": {"$nin": ["a:b"]}}),
                cond(C::Cid, Op::Nin(vec![s("a:b")])),
            ),
            (
                json!({"members": {"$in": ["u1", "u2"]}}),
                cond(C::Members, Op::In(vec![s("u1"), s("u2")])),
            ),
            (json!({"members": "u1"}), cond(C::Members, Op::Eq(s("u1")))),
            (
                json!({"members": ["u1", "u2"]}),
                cond(C::Members, Op::Eq(Value::Json(json!(["u1", "u2"])))),
            ),
            (
                json!({"members": {"$eq": ["u1"]}}),
                cond(C::Members, Op::Eq(Value::Json(json!(["u1"])))),
            ),
            (
                json!({"filter_tags": {"$contains": "vip"}}),
                cond(C::FilterTags, Op::Contains(s("vip"))),
            ),
            (
                json!({"joined": true}),
                cond(C::Joined, Op::Eq(Value::Bool(true))),
            ),
            (
                json!({"frozen": {"$ne": true}}),
                cond(C::Frozen, Op::Ne(Value::Bool(true))),
            ),
            (
                json!({"invite": "pending"}),
                cond(C::Invite, Op::Eq(s("pending"))),
            ),
            (
                json!({"member_count": {"$gte": 2}}),
                cond(C::MemberCount, Op::Gte(Value::Int(2))),
            ),
            (
                json!({"created_at": {"$lt": "2024-01-15T10:30:00Z"}}),
                cond(C::CreatedAt, Op::Lt(t("2024-01-15T10:30:00Z"))),
            ),
            (
                json!({"last_message_at": {"$exists": false}}),
                cond(C::LastMessageAt, Op::Exists(false)),
            ),
            (
                json!({"last_message_at": null}),
                cond(C::LastMessageAt, Op::Eq(Value::Null)),
            ),
            (
                json!({"member.user.name": {"$autocomplete": " ja "}}),
                cond(C::MemberUserName, Op::Autocomplete("ja".into())),
            ),
            (
                json!({"member.user.name": {"$q": "jane doe"}}),
                cond(C::MemberUserName, Op::Q("jane doe".into())),
            ),
            (
                json!({"team": {}}),
                Filter::Or(vec![
                    cond(C::Team, Op::Exists(true)),
                    cond(C::Team, Op::Exists(false)),
                ]),
            ),
            (
                json!({"updated_at": {"$gt": "2024-01-01T00:00:00Z", "$lte": "2024-02-01T00:00:00+01:00"}}),
                Filter::And(vec![
                    cond(C::UpdatedAt, Op::Gt(t("2024-01-01T00:00:00Z"))),
                    cond(C::UpdatedAt, Op::Lte(t("2024-01-31T23:00:00Z"))),
                ]),
            ),
            (
                json!({"$or": [{"frozen": true}, {"disabled": true}]}),
                Filter::Or(vec![
                    cond(C::Frozen, Op::Eq(Value::Bool(true))),
                    cond(C::Disabled, Op::Eq(Value::Bool(true))),
                ]),
            ),
            (json!({"$nor": [{}]}), Filter::Nor(vec![Filter::All])),
            (
                json!({"$and": [{"$or": [{"hidden": true}]}, {"pinned": false}]}),
                Filter::And(vec![
                    Filter::Or(vec![cond(C::Hidden, Op::Eq(Value::Bool(true)))]),
                    cond(C::Pinned, Op::Eq(Value::Bool(false))),
                ]),
            ),
            // Custom fields keep JSON types.
            (
                json!({"color": "red"}),
                cond(custom("color"), Op::Eq(s("red"))),
            ),
            (
                json!({"custom.level": 3}),
                cond(custom("level"), Op::Eq(Value::Int(3))),
            ),
            (
                json!({"score": {"$gt": 1.5}}),
                cond(custom("score"), Op::Gt(Value::Float(1.5))),
            ),
            (
                json!({"a.b": true}),
                cond(custom("a.b"), Op::Eq(Value::Bool(true))),
            ),
            (json!({"x": null}), cond(custom("x"), Op::Eq(Value::Null))),
            (
                json!({"x": {"k": 1}}),
                cond(custom("x"), Op::Eq(Value::Json(json!({"k": 1})))),
            ),
            (
                json!({"x": [1, 2]}),
                cond(custom("x"), Op::Eq(Value::Json(json!([1, 2])))),
            ),
            (
                json!({"x": {"$in": [1, "a", null, {"k": 1}]}}),
                cond(
                    custom("x"),
                    Op::In(vec![
                        Value::Int(1),
                        s("a"),
                        Value::Null,
                        Value::Json(json!({"k": 1})),
                    ]),
                ),
            ),
            (
                json!({"x": {"$exists": true}}),
                cond(custom("x"), Op::Exists(true)),
            ),
            (
                json!({"x": {"$contains": "a"}}),
                cond(custom("x"), Op::Contains(s("a"))),
            ),
            (
                json!({"name": {"$autocomplete": "gen"}}),
                cond(custom("name"), Op::Autocomplete("gen".into())),
            ),
            (
                json!({"big": 18446744073709551615u64}),
                cond(custom("big"), Op::Eq(Value::Float(u64::MAX as f64))),
            ),
        ];
        for (json, want) in cases {
            assert_eq!(channel(json.clone()), want, "{json}");
        }
    }

    #[test]
    fn top_level_keys_are_anded() {
        let f = channel(json!({"type": "messaging", "frozen": false}));
        let Filter::And(parts) = f else {
            panic!("not an And: {f:?}")
        };
        assert_eq!(parts.len(), 2);
        assert!(parts.contains(&cond(C::Type, Op::Eq(s("messaging")))));
        assert!(parts.contains(&cond(C::Frozen, Op::Eq(Value::Bool(false)))));
    }

    #[test]
    fn user_and_member_filters() {
        assert_eq!(
            parse_filter::<U>(&json!({"teams": {}})).unwrap(),
            Filter::Or(vec![
                Filter::Cond(U::Teams, Op::Exists(true)),
                Filter::Cond(U::Teams, Op::Exists(false)),
            ])
        );
        assert_eq!(
            parse_filter::<U>(&json!({"name": {"$q": "jo"}})).unwrap(),
            Filter::Cond(U::Name, Op::Q("jo".into()))
        );
        assert_eq!(
            parse_filter::<U>(&json!({"last_active": {"$gte": "2024-01-01T00:00:00Z"}})).unwrap(),
            Filter::Cond(U::LastActive, Op::Gte(t("2024-01-01T00:00:00Z")))
        );
        assert_eq!(
            parse_filter::<M>(&json!({"user.email": {"$autocomplete": "a@"}})).unwrap(),
            Filter::Cond(M::UserCustom("email".into()), Op::Autocomplete("a@".into()))
        );
        assert_eq!(
            parse_filter::<M>(&json!({"invite": {"$in": ["pending", "rejected"]}})).unwrap(),
            Filter::Cond(M::Invite, Op::In(vec![s("pending"), s("rejected")]))
        );
        assert!(parse_filter::<M>(&json!({"cid": {"$ne": "a:b"}})).is_err());
        assert!(parse_filter::<U>(&json!({"role": {"$autocomplete": "ad"}})).is_err());
    }

    #[test]
    fn malformed_filters_name_the_culprit() {
        let cases: Vec<(Json, &[&str])> = vec![
            (json!([]), &["filter_conditions", "object"]),
            (json!("type"), &["filter_conditions"]),
            (json!(null), &["filter_conditions"]),
            (json!({"$regex": "x"}), &["$regex"]),
            (json!({"$eq": "x"}), &["$eq", "field"]),
            (json!({"type": {"$regex": "^m"}}), &["type", "$regex"]),
            (json!({"type": {"$gt": "a"}}), &["type", "$gt"]),
            (
                json!({"cid": {"$autocomplete": "a"}}),
                &["cid", "$autocomplete"],
            ),
            (json!({"joined": [true]}), &["joined", "$in"]),
            (json!({"unread_count": 3}), &["unread_count", "$eq"]),
            (json!({"members": {"$gt": "a"}}), &["members", "$gt"]),
            (json!({"name": {"$q": "x"}}), &["name", "$q"]),
            (json!({"cooldown": 5}), &["cooldown", "unknown field"]),
            (json!({"app_banned": "only"}), &["app_banned"]),
            (json!({"a..b": 1}), &["a..b"]),
            (json!({"joined": "yes"}), &["joined", "$eq", "boolean"]),
            (json!({"joined": null}), &["joined", "boolean"]),
            (json!({"member_count": 1.5}), &["member_count", "integer"]),
            (json!({"member_count": "3"}), &["member_count", "integer"]),
            (json!({"type": 3}), &["type", "string"]),
            (
                json!({"type": {"$in": "messaging"}}),
                &["type", "$in", "array"],
            ),
            (json!({"type": {"$in": ["a", 1]}}), &["type", "string"]),
            (json!({"invite": "maybe"}), &["invite", "pending"]),
            (
                json!({"created_at": {"$gt": "yesterday"}}),
                &["created_at", "$gt", "RFC3339"],
            ),
            (
                json!({"created_at": {"$gt": 1_700_000_000}}),
                &["created_at", "RFC3339"],
            ),
            (
                json!({"created_at": {"$gt": "2024-13-01T00:00:00Z"}}),
                &["created_at", "RFC3339"],
            ),
            (
                json!({"created_at": {"$exists": "yes"}}),
                &["created_at", "$exists"],
            ),
            (
                json!({"member.user.name": {"$autocomplete": "  "}}),
                &["member.user.name", "$autocomplete"],
            ),
            (
                json!({"member.user.name": {"$autocomplete": 3}}),
                &["$autocomplete"],
            ),
            (
                json!({"member.user.name": {"$q": "--"}}),
                &["member.user.name", "$q"],
            ),
            (json!({"members": {"$eq": ["a", 1]}}), &["members", "$eq"]),
            (json!({"x": {"$gt": null}}), &["x", "$gt"]),
            (json!({"x": {"$gt": [1]}}), &["x", "$gt"]),
            (
                json!({"type": {"$eq": "a", "plain": 1}}),
                &["type", "plain"],
            ),
            (json!({"type": {}}), &["type"]),
            (json!({"type": {"foo": 1}}), &["type"]),
            (json!({"$and": []}), &["$and", "non-empty"]),
            (json!({"$or": {}}), &["$or"]),
            (json!({"$nor": [1]}), &["$nor"]),
            (json!({"$and": [{"type": {"$gt": "a"}}]}), &["type", "$gt"]),
        ];
        for (json, needles) in cases {
            let msg = channel_err(json.clone());
            for needle in needles {
                assert!(
                    msg.contains(needle),
                    "{json}: {msg:?} should mention {needle}"
                );
            }
        }
    }

    #[test]
    fn limits_bound_the_work() {
        let mut deep = json!({"frozen": true});
        for _ in 0..MAX_DEPTH {
            deep = json!({"$and": [deep]});
        }
        assert!(parse_filter::<C>(&deep).is_ok());
        let too_deep = json!({"$or": [deep]});
        assert!(channel_err(too_deep).contains("nest"));

        let wide: Vec<Json> = (0..MAX_CONDITIONS)
            .map(|_| json!({"frozen": true}))
            .collect();
        assert!(channel_err(json!({"$or": wide})).contains("at most"));
        let many: Vec<Json> = (0..=MAX_LIST_VALUES)
            .map(|i| json!(i.to_string()))
            .collect();
        assert!(channel_err(json!({"cid": {"$in": many}})).contains("at most"));
    }

    #[test]
    fn sorts() {
        fn asc<F>(field: F) -> Sort<F> {
            Sort {
                field,
                direction: Direction::Asc,
            }
        }
        fn desc<F>(field: F) -> Sort<F> {
            Sort {
                field,
                direction: Direction::Desc,
            }
        }
        let cases: Vec<(Json, Vec<Sort<C>>)> = vec![
            (json!(null), vec![]),
            (json!([]), vec![]),
            (
                json!([{"field": "last_updated", "direction": -1}, {"field": "created_at"}]),
                vec![desc(C::LastUpdated), asc(C::CreatedAt)],
            ),
            (
                json!({"field": "member_count", "direction": 1}),
                vec![asc(C::MemberCount)],
            ),
            (
                json!({"field": "pinned_at", "direction": null}),
                vec![asc(C::PinnedAt)],
            ),
            (json!({"unread_count": -1}), vec![desc(C::UnreadCount)]),
            (
                json!([{"has_unread": -1}, {"custom.priority": 1}]),
                vec![desc(C::HasUnread), asc(custom("priority"))],
            ),
            // A custom field literally named "field", in the map form.
            (json!({"field": -1}), vec![desc(custom("field"))]),
        ];
        for (json, want) in cases {
            assert_eq!(parse_sort::<C>(&json).unwrap(), want, "{json}");
        }
        assert_eq!(
            parse_sort::<M>(&json!([{"field": "user_id", "direction": -1}])).unwrap(),
            vec![desc(M::Id)]
        );
        assert_eq!(
            parse_sort::<U>(&json!({"name": 1})).unwrap(),
            vec![asc(U::Name)]
        );
    }

    #[test]
    fn malformed_sorts_name_the_culprit() {
        let cases: Vec<(Json, &[&str])> = vec![
            (json!("created_at"), &["sort"]),
            (json!([1]), &["sort"]),
            (
                json!({"field": "created_at", "direction": 2}),
                &["created_at", "1 or -1"],
            ),
            (
                json!({"field": "created_at", "direction": "desc"}),
                &["created_at", "1 or -1"],
            ),
            (json!({"created_at": 0}), &["created_at", "1 or -1"]),
            (json!({"created_at": 1.0}), &["created_at"]),
            (json!({"field": "type"}), &["cannot sort by type"]),
            (
                json!({"field": "cooldown"}),
                &["unknown sort field cooldown"],
            ),
            (json!({"field": "a..b"}), &["a..b"]),
            (json!({"field": "created_at", "dir": 1}), &["dir"]),
            (json!({}), &["empty"]),
            (
                json!({"created_at": 1, "member_count": -1}),
                &["exactly one"],
            ),
        ];
        for (json, needles) in cases {
            let msg = match parse_sort::<C>(&json) {
                Ok(s) => panic!("{json} parsed as {s:?}"),
                Err(e) => e.to_string(),
            };
            for needle in needles {
                assert!(
                    msg.contains(needle),
                    "{json}: {msg:?} should mention {needle}"
                );
            }
        }
        let many: Vec<Json> = (0..=MAX_SORT_KEYS)
            .map(|_| json!({"created_at": 1}))
            .collect();
        assert!(parse_sort::<C>(&Json::Array(many)).is_err());
        assert!(parse_sort::<U>(&json!({"role": 1})).is_err());
    }
}
