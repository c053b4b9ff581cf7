//! Message windows (query-language.md §4), sort specs (§2) and filters (§1) from requests.

use std::collections::HashMap;

use chat_core::ids::MessageId;
use chat_core::query::{parse_filter, parse_sort, Field, Filter, MessageCursor, MessagePage, Sort};
use chat_core::time::Timestamp;
use chat_core::Error;
use serde_json::Value;

use super::decode::renamed;

/// The cursor parameters, each with how it builds a cursor. At most one may be given.
const CURSORS: &[(&str, CursorKind)] = &[
    ("id_lt", CursorKind::Id(MessageCursor::Lt)),
    ("id_lte", CursorKind::Id(MessageCursor::Lte)),
    ("id_gt", CursorKind::Id(MessageCursor::Gt)),
    ("id_gte", CursorKind::Id(MessageCursor::Gte)),
    ("id_around", CursorKind::Id(MessageCursor::Around)),
    (
        "created_at_before",
        CursorKind::Time(MessageCursor::CreatedBefore),
    ),
    (
        "created_at_before_or_equal",
        CursorKind::Time(MessageCursor::CreatedBeforeOrEqual),
    ),
    (
        "created_at_after",
        CursorKind::Time(MessageCursor::CreatedAfter),
    ),
    (
        "created_at_after_or_equal",
        CursorKind::Time(MessageCursor::CreatedAfterOrEqual),
    ),
    (
        "created_at_around",
        CursorKind::Time(MessageCursor::CreatedAround),
    ),
];

#[derive(Clone, Copy)]
enum CursorKind {
    Id(fn(MessageId) -> MessageCursor),
    Time(fn(Timestamp) -> MessageCursor),
}

/// One raw parameter: from a JSON body, or a query string.
#[derive(Clone, Copy)]
enum Param<'a> {
    Json(&'a Value),
    Text(&'a str),
}

impl Param<'_> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Self::Json(v) => v.as_str(),
            Self::Text(s) => Some(s),
        }
    }

    fn as_usize(&self) -> Option<usize> {
        match self {
            Self::Json(v) => v.as_u64().and_then(|n| usize::try_from(n).ok()),
            Self::Text(s) => s.trim().parse().ok(),
        }
    }
}

/// Builds a page from a parameter lookup. `name` turns a key into its request name.
fn page<'a>(
    get: impl Fn(&str) -> Option<Param<'a>>,
    name: impl Fn(&str) -> String,
    whole: &str,
    default_limit: usize,
    max_limit: usize,
) -> Result<MessagePage, Error> {
    let limit = match get("limit") {
        None => default_limit,
        // Over-large limits are clamped (query-language.md §5: DESIGN clamp silently).
        Some(p) => p
            .as_usize()
            .ok_or_else(|| Error::invalid(name("limit"), "must be a non-negative integer"))?
            .min(max_limit),
    };
    let mut found: Option<(&str, MessageCursor)> = None;
    for (key, kind) in CURSORS {
        let Some(p) = get(key) else { continue };
        let text = p
            .as_str()
            .ok_or_else(|| Error::invalid(name(key), "must be a string"))?;
        let cursor = match kind {
            CursorKind::Id(make) => {
                make(MessageId::parse(text).map_err(|e| renamed(e, name(key)))?)
            }
            CursorKind::Time(make) => make(
                Timestamp::parse_rfc3339(text)
                    .ok_or_else(|| Error::invalid(name(key), "must be an RFC3339 time"))?,
            ),
        };
        if let Some((first, _)) = found {
            return Err(Error::invalid(
                whole.to_owned(),
                format!("only one pagination cursor may be given, got {first} and {key}"),
            ));
        }
        found = Some((key, cursor));
    }
    Ok(MessagePage {
        cursor: found.map_or(MessageCursor::Latest, |(_, c)| c),
        limit,
        created_after: None,
    })
}

/// A message window from a request's `messages` object (`limit`, one of `id_lt`,
/// `id_lte`, `id_gt`, `id_gte`, `id_around`, `created_at_before(_or_equal)`,
/// `created_at_after(_or_equal)`, `created_at_around`). `null` is the latest page; the
/// limit defaults to `default_limit` and is clamped to `max_limit`; `offset` has no effect
/// (query-language.md §4). Errors name `messages.<key>`.
pub fn message_page(
    v: &Value,
    default_limit: usize,
    max_limit: usize,
) -> Result<MessagePage, Error> {
    let map = match v {
        Value::Null => return Ok(MessagePage::latest(default_limit)),
        Value::Object(map) => map,
        _ => return Err(Error::invalid("messages", "must be an object")),
    };
    // Null and empty values read as absent: clients serialise unset options that way.
    let get = |k: &str| {
        map.get(k)
            .filter(|v| !v.is_null() && v.as_str() != Some(""))
            .map(Param::Json)
    };
    page(
        get,
        |k| format!("messages.{k}"),
        "messages",
        default_limit,
        max_limit,
    )
}

/// A message window from query parameters (`GET /messages/{id}/replies`), with the same
/// keys as [`message_page`]. Errors name the parameter.
pub fn message_page_from_query(
    query: &HashMap<String, String>,
    default_limit: usize,
    max_limit: usize,
) -> Result<MessagePage, Error> {
    let get = |k: &str| {
        query
            .get(k)
            .filter(|s| !s.is_empty())
            .map(|s| Param::Text(s))
    };
    page(get, str::to_owned, "pagination", default_limit, max_limit)
}

/// A sort spec (`sort`): `[{field, direction}]`, a single such object, or `{field: dir}`
/// maps (query-language.md §2). Absent or `null` is no sort keys (the endpoint's default).
pub fn sort<F: Field>(v: Option<&Value>) -> Result<Vec<Sort<F>>, Error> {
    match v {
        None => Ok(Vec::new()),
        Some(v) => parse_sort(v),
    }
}

/// A filter (`filter_conditions`). Absent or `null` matches everything.
pub fn filter<F: Field>(v: Option<&Value>) -> Result<Filter<F>, Error> {
    match v {
        None | Some(Value::Null) => Ok(Filter::All),
        Some(v) => parse_filter(v),
    }
}
