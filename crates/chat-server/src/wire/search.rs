//! `GET /search?payload=` (endpoints.md §7): the request payload into a
//! [`SearchMessages`], cursors as opaque strings, and the `{results, next, previous}`
//! response.
//!
//! A cursor is base64url (no padding) of a small JSON document: the direction (`n` next,
//! `p` previous) and the sort values of the row it points at, each tagged with its type so
//! timestamps and integers come back as they were. Clients pass either kind back as
//! `next`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chat_core::engine::SearchMessages;
use chat_core::ids::UserId;
use chat_core::query::{
    parse_filter, ChannelField, CursorDirection, MessageField, SearchCursor, Value,
};
use chat_core::time::Timestamp;
use chat_core::Error;
use serde_json::{json, Map, Value as Json};

use super::pagination::{filter, sort};

/// The request key structural message-filter errors name (the parser says
/// `filter_conditions`).
const MESSAGE_FILTER: &str = "message_filter_conditions";

/// A non-negative integer parameter, if present.
fn count(payload: &Json, key: &'static str) -> Result<Option<usize>, Error> {
    match payload.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(|n| Some(usize::try_from(n).unwrap_or(usize::MAX)))
            .ok_or_else(|| Error::invalid(key, "must be a non-negative integer")),
    }
}

/// A string parameter, if present.
fn string(payload: &Json, key: &'static str) -> Result<Option<String>, Error> {
    match payload.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::invalid(key, "must be a string")),
    }
}

/// The search request of a `payload` object. `user_id` is the server-side acting user,
/// decoded by the route.
pub fn search_request(payload: &Json, user_id: Option<UserId>) -> Result<SearchMessages, Error> {
    let channel_filter = match payload.get("filter_conditions") {
        None | Some(Json::Null) => {
            return Err(Error::invalid("filter_conditions", "is required"));
        }
        v => filter::<ChannelField>(v)?,
    };
    let message_filter = match payload.get(MESSAGE_FILTER) {
        None | Some(Json::Null) => None,
        Some(v) => Some(parse_filter::<MessageField>(v).map_err(|e| match e {
            Error::Invalid { field, reason } if field == "filter_conditions" => {
                Error::invalid(MESSAGE_FILTER, reason)
            }
            other => other,
        })?),
    };
    let next = string(payload, "next")?
        .filter(|s| !s.is_empty())
        .map(|s| decode_cursor(&s))
        .transpose()?;
    Ok(SearchMessages {
        channel_filter,
        query: string(payload, "query")?,
        message_filter,
        sort: sort::<MessageField>(payload.get("sort"))?,
        limit: count(payload, "limit")?,
        offset: count(payload, "offset")?,
        next,
        user_id,
    })
}

fn encode_value(v: &Value) -> Json {
    match v {
        Value::Null => json!({"n": null}),
        Value::Bool(b) => json!({"b": b}),
        Value::Int(i) => json!({"i": i}),
        Value::Float(f) => json!({"f": f}),
        Value::Str(s) => json!({"s": s}),
        Value::Time(t) => json!({"t": t.as_micros()}),
        Value::Json(j) => json!({"j": j}),
    }
}

fn decode_value(v: &Json) -> Option<Value> {
    let object = v.as_object().filter(|o| o.len() == 1)?;
    let (tag, v) = object.iter().next()?;
    Some(match tag.as_str() {
        "n" => Value::Null,
        "b" => Value::Bool(v.as_bool()?),
        "i" => Value::Int(v.as_i64()?),
        "f" => Value::Float(v.as_f64()?),
        "s" => Value::Str(v.as_str()?.to_owned()),
        "t" => Value::Time(Timestamp::from_micros(v.as_i64()?)),
        "j" => Value::Json(v.clone()),
        _ => return None,
    })
}

/// A cursor as the opaque string clients get.
pub fn encode_cursor(cursor: &SearchCursor) -> String {
    let direction = match cursor.direction {
        CursorDirection::After => "n",
        CursorDirection::Before => "p",
    };
    let values: Vec<Json> = cursor.values.iter().map(encode_value).collect();
    URL_SAFE_NO_PAD.encode(json!({"d": direction, "v": values}).to_string())
}

/// A cursor string back; `Invalid` naming `next` if it is not one of ours.
pub fn decode_cursor(s: &str) -> Result<SearchCursor, Error> {
    let bad = || Error::invalid("next", "is not a cursor returned by search");
    let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?;
    let doc: Json = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let direction = match doc.get("d").and_then(Json::as_str) {
        Some("n") => CursorDirection::After,
        Some("p") => CursorDirection::Before,
        _ => return Err(bad()),
    };
    let values = doc
        .get("v")
        .and_then(Json::as_array)
        .ok_or_else(bad)?
        .iter()
        .map(decode_value)
        .collect::<Option<Vec<_>>>()
        .ok_or_else(bad)?;
    Ok(SearchCursor { direction, values })
}

/// The response: `{results: [{message}], next?, previous?}` (the spec's key is
/// `previous`, not `prev`).
pub fn search_response(
    messages: Vec<Json>,
    next: Option<&SearchCursor>,
    previous: Option<&SearchCursor>,
) -> Json {
    let mut out = Map::new();
    out.insert(
        "results".into(),
        Json::Array(
            messages
                .into_iter()
                .map(|m| json!({ "message": m }))
                .collect(),
        ),
    );
    if let Some(c) = next {
        out.insert("next".into(), Json::String(encode_cursor(c)));
    }
    if let Some(c) = previous {
        out.insert("previous".into(), Json::String(encode_cursor(c)));
    }
    Json::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let cursor = SearchCursor {
            direction: CursorDirection::Before,
            values: vec![
                Value::Null,
                Value::Bool(true),
                Value::Int(-3),
                Value::Float(1.5),
                Value::Str("m1".into()),
                Value::Time(Timestamp::from_micros(1_700_000_000_123_456)),
                Value::Json(json!([1, {"a": "b"}])),
            ],
        };
        let s = encode_cursor(&cursor);
        assert!(s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(decode_cursor(&s).unwrap(), cursor);
        for bad in ["", "!!", "e30", "eyJkIjoieCJ9"] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn requests_decode_and_name_bad_fields() {
        let r = search_request(
            &json!({"filter_conditions": {"members": {"$in": ["a"]}}, "query": "hi", "limit": 5}),
            None,
        )
        .unwrap();
        assert_eq!(r.query.as_deref(), Some("hi"));
        assert_eq!(r.limit, Some(5));
        let err = |p: Json| search_request(&p, None).unwrap_err().to_string();
        assert!(err(json!({"query": "hi"})).contains("filter_conditions"));
        assert!(
            err(json!({"filter_conditions": {}, "message_filter_conditions": []}))
                .contains("message_filter_conditions")
        );
        assert!(
            err(json!({"filter_conditions": {}, "message_filter_conditions": {"html": "x"}}))
                .contains("html")
        );
        assert!(err(json!({"filter_conditions": {}, "limit": -1})).contains("limit"));
        assert!(err(json!({"filter_conditions": {}, "next": "zz"})).contains("next"));
        assert!(err(json!({"filter_conditions": {}, "query": 3})).contains("query"));
    }
}
