//! Unit tests of the filter and sort translation: which parts translate exactly, as a
//! necessary condition or not at all, and that request data only ever reaches SQL as bound
//! parameters. Whether the SQL means what the evaluator means is checked against
//! PostgreSQL by `tests/model_equivalence.rs`.

#![allow(clippy::unwrap_used)]

use chat_core::query::{parse_filter, parse_sort, ChannelField, Field, MemberField, UserField};
use serde_json::json;

use super::*;
use crate::sql_fields;

fn channel_filter(v: serde_json::Value) -> Tr {
    let f = parse_filter::<ChannelField>(&v).unwrap();
    translate(&f, &sql_fields::channel)
}

fn user_filter(v: serde_json::Value) -> Tr {
    let f = parse_filter::<UserField>(&v).unwrap();
    translate(&f, &sql_fields::user)
}

fn text_of(tr: &Tr) -> (String, Vec<Bind>) {
    tr.sql().unwrap().render()
}

fn is_exact(tr: &Tr) -> bool {
    matches!(tr, Tr::Exact(_))
}

#[test]
fn every_plain_operator_on_built_in_fields_is_exact() {
    for f in [
        json!({}),
        json!({"type": "messaging"}),
        json!({"type": {"$ne": "messaging"}}),
        json!({"cid": {"$in": ["messaging:a", "team:b"]}}),
        json!({"id": {"$nin": ["a"]}}),
        json!({"members": {"$in": ["u1", "u2"]}}),
        json!({"members": "u1"}),
        json!({"members": {"$nin": ["u1"]}}),
        json!({"filter_tags": {"$contains": "x"}}),
        json!({"member.user.name": {"$in": ["Ann"]}}),
        json!({"joined": true, "hidden": false, "pinned": true, "archived": false}),
        json!({"invite": "pending"}),
        json!({"frozen": {"$ne": true}, "disabled": false, "muted": false}),
        json!({"created_at": {"$gt": "2024-01-01T00:00:00Z"}}),
        json!({"last_message_at": {"$exists": false}}),
        json!({"last_updated": {"$lte": "2024-01-01T00:00:00Z"}}),
        json!({"member_count": {"$gte": 2, "$lt": 10}}),
        json!({"member_count": {"$in": [1, 3]}}),
        json!({"team": {"$exists": true}, "created_by_id": "u1"}),
        json!({"has_unread": true}),
        json!({"$or": [{"type": "a"}, {"$nor": [{"frozen": true}]}]}),
    ] {
        let tr = channel_filter(f.clone());
        assert!(is_exact(&tr), "{f} → {tr:?}");
    }
}

#[test]
fn custom_data_operators_are_exact_within_exact_numbers() {
    for f in [
        json!({"color": "red"}),
        json!({"color": {"$ne": null}}),
        json!({"size": {"$gt": 2.5}}),
        json!({"size": {"$lte": 9_007_199_254_740_992_i64}}),
        json!({"a.b": {"$in": [1, "x", true, null]}}),
        json!({"tags": {"$contains": "x"}}),
        json!({"flag": {"$exists": true}}),
        json!({"name": {"$nin": ["x"]}}),
    ] {
        assert!(is_exact(&channel_filter(f.clone())), "{f}");
    }
    // Beyond 2^53, objects and arrays: the evaluator decides.
    for f in [
        json!({"size": {"$gt": 9_007_199_254_740_993_i64}}),
        json!({"size": {"$eq": 1e300}}),
        json!({"obj": {"$eq": {"a": 1}}}),
        json!({"arr": [1, 2]}),
    ] {
        assert_eq!(channel_filter(f.clone()), Tr::Unknown, "{f}");
    }
}

#[test]
fn text_search_is_a_necessary_condition() {
    let tr = user_filter(json!({"name": {"$autocomplete": "  Jo "}}));
    assert!(matches!(tr, Tr::Superset(_)), "{tr:?}");
    let (_, binds) = text_of(&tr);
    assert_eq!(binds, vec![Bind::Text("jo".into())]);
    let tr = user_filter(json!({"name": {"$q": "Quick, brown"}}));
    let (_, binds) = text_of(&tr);
    assert_eq!(
        binds,
        vec![Bind::Text("quick".into()), Bind::Text("brown".into())]
    );
    // Nothing to look for matches nothing, exactly (the parser refuses an empty text,
    // but a blank one gets here).
    let blank = Filter::Cond(UserField::Name, Op::Autocomplete("   ".into()));
    assert_eq!(translate(&blank, &sql_fields::user), Tr::exact("false"));
    // Non-ASCII text is left to the evaluator's Unicode rules.
    assert_eq!(
        user_filter(json!({"name": {"$autocomplete": "Émi"}})),
        Tr::Unknown
    );
}

#[test]
fn combinators_keep_only_sound_parts() {
    let search = json!({"name": {"$autocomplete": "jo"}});
    let unknown = json!({"name": {"$autocomplete": "é"}});
    let exact = json!({"role": "admin"});
    // AND: the usable parts narrow.
    let tr = user_filter(json!({"$and": [search, exact, unknown]}));
    assert!(matches!(tr, Tr::Superset(_)));
    assert!(text_of(&tr).0.contains(" AND "));
    // OR with an unknown part narrows nothing; with a superset part, still narrows.
    assert_eq!(user_filter(json!({"$or": [exact, unknown]})), Tr::Unknown);
    assert!(matches!(
        user_filter(json!({"$or": [exact, search]})),
        Tr::Superset(_)
    ));
    // NOR of a necessary condition says nothing.
    assert_eq!(user_filter(json!({"$nor": [search]})), Tr::Unknown);
    assert!(is_exact(&user_filter(json!({"$nor": [exact]}))));
}

#[test]
fn request_data_reaches_sql_only_as_binds() {
    let evil = "x'); DROP TABLE users; --";
    let tr = user_filter(json!({"role": evil, evil.replace('.', ""): evil, "teams": evil}));
    let (text, binds) = text_of(&tr);
    assert!(!text.contains("DROP"), "{text}");
    assert!(
        binds
            .iter()
            .filter(|b| **b == Bind::Text(evil.into()))
            .count()
            >= 2
    );
    // Custom path segments are binds too.
    let tr = channel_filter(json!({"a.b": 1}));
    let (text, binds) = text_of(&tr);
    assert!(!text.contains("'a'") && !text.contains("'b'"), "{text}");
    assert!(binds.contains(&Bind::Text("a".into())) && binds.contains(&Bind::Text("b".into())));
}

#[test]
fn negation_reads_missing_as_false_first() {
    let (text, _) = text_of(&user_filter(json!({"language": {"$ne": "en"}})));
    assert!(text.starts_with("NOT coalesce("), "{text}");
}

#[test]
fn sorts_put_missing_first_ascending_and_last_descending() {
    let sort = parse_sort::<ChannelField>(&json!([
        {"field": "last_message_at", "direction": -1},
        {"field": "member_count", "direction": 1}
    ]))
    .unwrap();
    let order = order_by(&sort, &sql_fields::channel).unwrap();
    assert!(order.inexact.is_none());
    let texts: Vec<String> = order.keys.iter().map(|k| k.render().0).collect();
    assert_eq!(
        texts,
        vec![
            "(c.last_message_at) DESC NULLS LAST".to_owned(),
            "(c.member_count) ASC NULLS FIRST".to_owned()
        ]
    );
}

#[test]
fn custom_sorts_rank_types_and_flag_what_sql_cannot_order() {
    let sort =
        parse_sort::<MemberField>(&json!([{"field": "user.score", "direction": 1}])).unwrap();
    let order = order_by(&sort, &sql_fields::member).unwrap();
    // Type rank, number, string, boolean.
    assert_eq!(order.keys.len(), 4);
    let (inexact, _) = order.inexact.unwrap().render();
    assert!(inexact.contains("'array'"), "{inexact}");
    // List fields do not sort in SQL.
    let members = ChannelField::parse("members").unwrap();
    let sort = vec![chat_core::query::Sort {
        field: members,
        direction: chat_core::query::Direction::Asc,
    }];
    assert!(order_by(&sort, &sql_fields::channel).is_none());
}

#[test]
fn mismatched_types_never_match() {
    // An integer field never equals a string; custom data never holds a time.
    let f = Filter::Cond(ChannelField::MemberCount, Op::Eq(Value::Str("3".into())));
    assert_eq!(translate(&f, &sql_fields::channel), Tr::exact("false"));
    let f = Filter::Cond(
        ChannelField::Custom("x".into()),
        Op::Eq(Value::Time(chat_core::time::Timestamp::from_secs(1))),
    );
    let tr = translate(&f, &sql_fields::channel);
    assert!(is_exact(&tr));
    assert!(!text_of(&tr).0.contains("$1 AS numeric"));
}

#[test]
fn channel_type_is_a_cid_range() {
    let (text, binds) = text_of(&channel_filter(json!({"type": "messaging"})));
    assert_eq!(text, "(c.cid >= $1 AND c.cid < $2)");
    assert_eq!(
        binds,
        vec![
            Bind::Text("messaging:".into()),
            Bind::Text("messaging;".into())
        ]
    );
    // A type never holds ':'.
    let f = Filter::Cond(ChannelField::Type, Op::Eq(Value::Str("a:b".into())));
    assert_eq!(translate(&f, &sql_fields::channel), Tr::exact("false"));
}

#[test]
fn member_lists_are_semi_joins() {
    let (text, _) = text_of(&channel_filter(json!({"members": {"$in": ["a", "b"]}})));
    assert_eq!(
        text,
        "EXISTS (SELECT 1 FROM members x WHERE x.app_id = c.app_id AND x.cid = c.cid \
         AND x.user_id = ANY($1))"
    );
}
