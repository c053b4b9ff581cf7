//! End-to-end tests: JSON filters and sorts parsed and evaluated against the model views.

use serde_json::{json, Value as Json};

use super::*;
use crate::custom::Custom;
use crate::model::{Channel, Member, User};

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn uid(s: &str) -> UserId {
    UserId::parse(s).unwrap()
}

fn custom(v: Json) -> Custom {
    match v {
        Json::Object(m) => Custom::from_map(m),
        _ => panic!("custom must be an object"),
    }
}

/// Owns everything a `ChannelView` borrows.
struct ChannelRow {
    channel: Channel,
    member: Option<Member>,
    ids: Vec<UserId>,
    names: Vec<String>,
    unread: Option<u64>,
    muted: bool,
}

impl ChannelRow {
    fn view(&self) -> ChannelView<'_> {
        ChannelView {
            channel: &self.channel,
            member: self.member.as_ref(),
            member_ids: &self.ids,
            member_names: &self.names,
            unread: self.unread,
            muted: self.muted,
        }
    }
}

/// Channel `messaging:general`, created at 2024-01-01, with a message on 2024-01-10, three
/// members, and the querier (`me`) a member that pinned it and has 3 unread messages.
fn general() -> ChannelRow {
    let cid = Cid::parse("messaging:general").unwrap();
    let mut channel = Channel::new(
        cid.clone(),
        Some(uid("founder")),
        ts("2024-01-01T00:00:00Z"),
    );
    channel.team = Some("blue".into());
    channel.filter_tags = vec!["vip".into(), "support".into()];
    channel.counters.member_count = 3;
    channel.counters.last_message_at = Some(ts("2024-01-10T00:00:00Z"));
    channel.updated_at = ts("2024-01-05T00:00:00Z");
    channel.custom = custom(json!({
        "name": "General Chat",
        "priority": 2,
        "meta": {"region": "eu", "tier": 1.5, "langs": ["en", "fr"]},
        "note": null
    }));
    let mut member = Member::new(cid, uid("me"), ts("2024-01-02T00:00:00Z"));
    member.pinned_at = Some(ts("2024-01-03T00:00:00Z"));
    ChannelRow {
        channel,
        member: Some(member),
        ids: vec![uid("me"), uid("founder"), uid("ann")],
        names: vec!["Me Myself".into(), "Ann O'Neil".into()],
        unread: Some(3),
        muted: false,
    }
}

/// Channel `team:quiet`: no team, no messages, the querier is a pending invitee.
fn quiet() -> ChannelRow {
    let cid = Cid::parse("team:quiet").unwrap();
    let mut channel = Channel::new(cid.clone(), None, ts("2024-02-01T00:00:00Z"));
    channel.frozen = true;
    channel.counters.member_count = 1;
    let mut member = Member::new(cid, uid("me"), ts("2024-02-01T00:00:00Z"));
    member.invited = true;
    member.hidden = true;
    member.archived_at = Some(ts("2024-02-02T00:00:00Z"));
    ChannelRow {
        channel,
        member: Some(member),
        ids: vec![uid("me")],
        names: vec![],
        unread: Some(0),
        muted: true,
    }
}

/// Channel `messaging:outside`: the querier is not a member.
fn outside() -> ChannelRow {
    let cid = Cid::parse("messaging:outside").unwrap();
    let mut channel = Channel::new(cid, Some(uid("ann")), ts("2023-12-01T00:00:00Z"));
    channel.team = Some("red".into());
    channel.counters.member_count = 2;
    channel.counters.last_message_at = Some(ts("2024-03-01T00:00:00Z"));
    channel.custom = custom(json!({"priority": 2.5}));
    ChannelRow {
        channel,
        member: None,
        ids: vec![uid("ann"), uid("bob")],
        names: vec!["Ann O'Neil".into(), "Bob".into()],
        unread: None,
        muted: false,
    }
}

/// The cids of the rows matching the JSON filter, in fixture order.
fn channels_matching(filter: Json) -> Vec<String> {
    let filter: Filter<ChannelField> =
        parse_filter(&filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
    [general(), quiet(), outside()]
        .iter()
        .filter(|row| matches(&filter, &row.view()))
        .map(|row| row.channel.cid.to_string())
        .collect()
}

const G: &str = "messaging:general";
const Q: &str = "team:quiet";
const O: &str = "messaging:outside";

#[test]
fn channel_filters() {
    let cases: Vec<(Json, Vec<&str>)> = vec![
        (json!({}), vec![G, Q, O]),
        (json!({"type": "messaging"}), vec![G, O]),
        (json!({"type": ["team"]}), vec![Q]),
        (json!({"cid": {"$in": [G, O]}}), vec![G, O]),
        (json!({"id": "quiet"}), vec![Q]),
        (json!({"id": {"$nin": ["quiet"]}}), vec![G, O]),
        (json!({"members": {"$in": ["founder", "bob"]}}), vec![G, O]),
        (json!({"members": "me"}), vec![G, Q]),
        (json!({"members": ["me"]}), vec![Q]),
        (json!({"members": {"$eq": ["bob", "ann"]}}), vec![O]),
        (json!({"members": {"$nin": ["me"]}}), vec![O]),
        (json!({"invite": "pending"}), vec![Q]),
        (json!({"invite": {"$ne": "pending"}}), vec![G, O]),
        (json!({"joined": true}), vec![G]),
        (json!({"joined": false}), vec![Q, O]),
        (json!({"muted": true}), vec![Q]),
        (json!({"hidden": true}), vec![Q]),
        (json!({"hidden": false}), vec![G, O]),
        (json!({"pinned": true}), vec![G]),
        (json!({"archived": true}), vec![Q]),
        (
            json!({"member.user.name": {"$autocomplete": "o'n"}}),
            vec![G, O],
        ),
        (
            json!({"member.user.name": {"$autocomplete": "MYS"}}),
            vec![G],
        ),
        (json!({"member.user.name": "Bob"}), vec![O]),
        (json!({"member.user.name": {"$q": "neil ann"}}), vec![G, O]),
        (json!({"created_by_id": "ann"}), vec![O]),
        (json!({"created_by_id": {"$exists": false}}), vec![Q]),
        (json!({"frozen": true}), vec![Q]),
        (json!({"disabled": false}), vec![G, Q, O]),
        (
            json!({"last_message_at": {"$gt": "2024-01-10T00:00:00Z"}}),
            vec![O],
        ),
        (
            json!({"last_message_at": {"$gte": "2024-01-10T00:00:00Z"}}),
            vec![G, O],
        ),
        (json!({"last_message_at": {"$exists": false}}), vec![Q]),
        (json!({"last_message_at": null}), vec![Q]),
        (
            json!({"created_at": {"$lt": "2024-01-01T00:00:00Z"}}),
            vec![O],
        ),
        (json!({"created_at": "2024-01-01T01:00:00+01:00"}), vec![G]),
        (
            json!({"updated_at": {"$lte": "2024-01-05T00:00:00Z"}}),
            vec![G, O],
        ),
        (
            json!({"last_updated": {"$gt": "2024-01-15T00:00:00Z"}}),
            vec![Q, O],
        ),
        (json!({"member_count": {"$gte": 2}}), vec![G, O]),
        (json!({"member_count": {"$in": [1, 3]}}), vec![G, Q]),
        (json!({"team": "blue"}), vec![G]),
        (json!({"team": {"$in": ["blue", "red"]}}), vec![G, O]),
        (json!({"team": {"$exists": false}}), vec![Q]),
        (json!({"team": {}}), vec![G, Q, O]),
        (json!({"has_unread": true}), vec![G]),
        (json!({"has_unread": false}), vec![Q, O]),
        (json!({"filter_tags": {"$contains": "vip"}}), vec![G]),
        (json!({"filter_tags": {"$in": ["support", "x"]}}), vec![G]),
        // Custom data, including nested paths, `custom.` and the conventional `name`.
        (json!({"name": "General Chat"}), vec![G]),
        (json!({"name": {"$autocomplete": "cha"}}), vec![G]),
        (json!({"name": {"$exists": false}}), vec![Q, O]),
        (json!({"priority": {"$gte": 2}}), vec![G, O]),
        (json!({"priority": {"$gt": 2}}), vec![O]),
        (json!({"custom.priority": 2.0}), vec![G]),
        (json!({"priority": {"$gt": "1"}}), vec![]),
        (json!({"meta.region": "eu"}), vec![G]),
        (json!({"custom.meta.tier": {"$lt": 2}}), vec![G]),
        (json!({"meta.langs": "fr"}), vec![G]),
        (json!({"meta.langs": {"$contains": "en"}}), vec![G]),
        (json!({"meta.langs": ["fr", "en"]}), vec![G]),
        (
            json!({"meta": {"region": "eu", "tier": 1.5, "langs": ["en", "fr"]}}),
            vec![G],
        ),
        (json!({"meta.missing": {"$exists": false}}), vec![G, Q, O]),
        (json!({"note": null}), vec![G, Q, O]),
        (json!({"note": {"$exists": true}}), vec![]),
        (json!({"priority": {"$ne": 2}}), vec![Q, O]),
        // Combinators.
        (json!({"type": "messaging", "joined": true}), vec![G]),
        (
            json!({"$or": [{"frozen": true}, {"team": "red"}]}),
            vec![Q, O],
        ),
        (
            json!({"$nor": [{"frozen": true}, {"team": "red"}]}),
            vec![G],
        ),
        (
            json!({"$and": [{"$or": [{"pinned": true}, {"archived": true}]}, {"type": "team"}]}),
            vec![Q],
        ),
        (
            json!({"type": "messaging", "$or": [{"members": "bob"}, {"has_unread": true}]}),
            vec![G, O],
        ),
    ];
    for (filter, want) in cases {
        assert_eq!(channels_matching(filter.clone()), want, "{filter}");
    }
}

#[test]
fn channel_sorts() {
    let rows = [general(), quiet(), outside()];
    let order = |sort: Json| -> Vec<String> {
        let sort: Vec<Sort<ChannelField>> = parse_sort(&sort).unwrap();
        let mut views: Vec<ChannelView<'_>> = rows.iter().map(ChannelRow::view).collect();
        // Ties broken by cid, as the stores do.
        views.sort_by(|a, b| compare(&sort, a, b).then_with(|| a.channel.cid.cmp(&b.channel.cid)));
        views.iter().map(|v| v.channel.cid.to_string()).collect()
    };
    let cases: Vec<(Json, Vec<&str>)> = vec![
        (
            json!([{"field": "last_updated", "direction": -1}]),
            vec![O, Q, G],
        ),
        (json!({"last_message_at": 1}), vec![Q, G, O]),
        (json!({"last_message_at": -1}), vec![O, G, Q]),
        (json!({"created_at": 1}), vec![O, G, Q]),
        (json!({"member_count": -1}), vec![G, O, Q]),
        (json!({"unread_count": -1}), vec![G, Q, O]),
        (json!({"has_unread": -1}), vec![G, O, Q]),
        (json!({"pinned_at": -1}), vec![G, O, Q]),
        (json!({"priority": -1}), vec![O, G, Q]),
        (
            json!([{"has_unread": 1}, {"created_at": -1}]),
            vec![Q, O, G],
        ),
        (json!(null), vec![G, O, Q]),
    ];
    for (sort, want) in cases {
        assert_eq!(order(sort.clone()), want, "{sort}");
    }
}

fn users() -> Vec<User> {
    let mut jane = User::new(uid("jane"), ts("2024-01-01T00:00:00Z"));
    jane.name = Some("Jane Doe".into());
    jane.teams = vec!["blue".into()];
    jane.last_active = Some(ts("2024-03-01T00:00:00Z"));
    jane.custom = custom(json!({"email": "jane@example.com", "age": 31, "hobbies": ["chess"]}));
    let mut bob = User::new(uid("bob"), ts("2024-02-01T00:00:00Z"));
    bob.role = crate::ids::Role::parse("admin").unwrap();
    bob.banned = true;
    bob.image = Some("https://img/bob.png".into());
    bob.custom = custom(json!({"age": 27.5}));
    let mut zed = User::new(uid("zed"), ts("2024-03-01T00:00:00Z"));
    zed.shadow_banned = true;
    zed.invisible = true;
    zed.teams = vec!["blue".into(), "red".into()];
    vec![jane, bob, zed]
}

#[test]
fn user_filters_and_sorts() {
    let users = users();
    let views: Vec<UserView<'_>> = users
        .iter()
        .map(|user| UserView {
            user,
            online: user.id.as_str() == "bob",
        })
        .collect();
    let ids = |filter: Json| -> Vec<&str> {
        let filter: Filter<UserField> = parse_filter(&filter).unwrap();
        views
            .iter()
            .filter(|v| matches(&filter, *v))
            .map(|v| v.user.id.as_str())
            .collect()
    };
    let cases: Vec<(Json, Vec<&str>)> = vec![
        (
            json!({"id": {"$in": ["jane", "zed", "nobody"]}}),
            vec!["jane", "zed"],
        ),
        (json!({"id": {"$autocomplete": "ZE"}}), vec!["zed"]),
        (json!({"name": {"$autocomplete": "do"}}), vec!["jane"]),
        (json!({"name": {"$exists": false}}), vec!["bob", "zed"]),
        (json!({"image": {"$exists": true}}), vec!["bob"]),
        (json!({"role": "admin"}), vec!["bob"]),
        (json!({"role": {"$nin": ["admin"]}}), vec!["jane", "zed"]),
        (json!({"banned": true}), vec!["bob"]),
        (json!({"shadow_banned": true}), vec!["zed"]),
        (json!({"online": true}), vec!["bob"]),
        (json!({"invisible": true}), vec!["zed"]),
        (json!({"last_active": {"$exists": true}}), vec!["jane"]),
        (
            json!({"created_at": {"$gte": "2024-02-01T00:00:00Z"}}),
            vec!["bob", "zed"],
        ),
        (json!({"teams": {"$in": ["red"]}}), vec!["zed"]),
        (json!({"teams": "blue"}), vec!["jane", "zed"]),
        (json!({"teams": {}}), vec!["jane", "bob", "zed"]),
        (json!({"email": {"$autocomplete": "jane@ex"}}), vec!["jane"]),
        (json!({"age": {"$gt": 27}}), vec!["jane", "bob"]),
        (json!({"age": {"$lt": 30}}), vec!["bob"]),
        (json!({"hobbies": {"$contains": "chess"}}), vec!["jane"]),
    ];
    for (filter, want) in cases {
        assert_eq!(ids(filter.clone()), want, "{filter}");
    }

    let sorted = |sort: Json| -> Vec<&str> {
        let sort: Vec<Sort<UserField>> = parse_sort(&sort).unwrap();
        let mut v = views.clone();
        v.sort_by(|a, b| compare(&sort, a, b).then_with(|| a.user.id.cmp(&b.user.id)));
        v.iter().map(|v| v.user.id.as_str()).collect()
    };
    assert_eq!(
        sorted(json!([{"field": "created_at", "direction": -1}, {"field": "id", "direction": -1}])),
        vec!["zed", "bob", "jane"]
    );
    assert_eq!(sorted(json!({"age": 1})), vec!["zed", "bob", "jane"]);
    assert_eq!(sorted(json!({"name": -1})), vec!["jane", "bob", "zed"]);
    assert_eq!(
        sorted(json!({"last_active": 1})),
        vec!["bob", "zed", "jane"]
    );
}

#[test]
fn member_filters_and_sorts() {
    let users = users();
    let cid = Cid::parse("messaging:general").unwrap();
    let mut members: Vec<Member> = users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let at = ts("2024-01-01T00:00:00Z").plus_micros(i64::try_from(i).unwrap() * 1000);
            Member::new(cid.clone(), u.id.clone(), at)
        })
        .collect();
    members[0].channel_role = crate::ids::Role::parse("channel_moderator").unwrap();
    members[1].invited = true;
    members[1].invite_rejected_at = Some(ts("2024-01-02T00:00:00Z"));
    members[2].banned = true;
    members[2].custom = custom(json!({"nickname": "Z"}));
    // The last member's user is unknown to the store.
    let views: Vec<MemberView<'_>> = members
        .iter()
        .enumerate()
        .map(|(i, member)| MemberView {
            member,
            user: users.get(i).filter(|_| i < 2),
        })
        .collect();
    let ids = |filter: Json| -> Vec<&str> {
        let filter: Filter<MemberField> = parse_filter(&filter).unwrap();
        views
            .iter()
            .filter(|v| matches(&filter, *v))
            .map(|v| v.member.user_id.as_str())
            .collect()
    };
    let cases: Vec<(Json, Vec<&str>)> = vec![
        (json!({}), vec!["jane", "bob", "zed"]),
        (json!({"id": {"$in": ["bob", "zed"]}}), vec!["bob", "zed"]),
        (json!({"user_id": "jane"}), vec!["jane"]),
        (json!({"name": {"$autocomplete": "jan"}}), vec!["jane"]),
        (json!({"name": {"$q": "doe"}}), vec!["jane"]),
        (json!({"channel_role": "channel_moderator"}), vec!["jane"]),
        (json!({"banned": true}), vec!["zed"]),
        (json!({"invite": "rejected"}), vec!["bob"]),
        (json!({"joined": true}), vec!["jane", "zed"]),
        (
            json!({"created_at": {"$gt": "2024-01-01T00:00:00Z"}}),
            vec!["bob", "zed"],
        ),
        (json!({"last_active": {"$exists": true}}), vec!["jane"]),
        (
            json!({"cid": "messaging:general"}),
            vec!["jane", "bob", "zed"],
        ),
        (
            json!({"user.email": {"$in": ["jane@example.com"]}}),
            vec!["jane"],
        ),
        (json!({"user.age": {"$exists": false}}), vec!["zed"]),
        (json!({"nickname": "Z"}), vec!["zed"]),
    ];
    for (filter, want) in cases {
        assert_eq!(ids(filter.clone()), want, "{filter}");
    }

    let sorted = |sort: Json| -> Vec<&str> {
        let sort: Vec<Sort<MemberField>> = parse_sort(&sort).unwrap();
        let mut v = views.clone();
        v.sort_by(|a, b| {
            compare(&sort, a, b).then_with(|| a.member.user_id.cmp(&b.member.user_id))
        });
        v.iter().map(|v| v.member.user_id.as_str()).collect()
    };
    assert_eq!(
        sorted(json!({"created_at": -1})),
        vec!["zed", "bob", "jane"]
    );
    assert_eq!(sorted(json!({"user_id": 1})), vec!["bob", "jane", "zed"]);
    assert_eq!(sorted(json!({"name": 1})), vec!["bob", "zed", "jane"]);
}
