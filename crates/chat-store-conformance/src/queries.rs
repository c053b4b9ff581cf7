//! `query_users`, `query_channels` and `query_members`. Filters and sorts are built with
//! the parser (`parse_filter`, `parse_sort`), exactly as the engine builds them from the
//! API's JSON, and the semantics are those of `chat_core::query`'s evaluator (missing
//! sorts first ascending and last descending; list fields match any element; an array
//! operand on a list is an exact set…). Expected results are written out by hand for a
//! small fixed data set, so each table row reads as a spec.

use std::sync::Arc;

use chat_core::ids::Role;
use chat_core::model::{Member, User};
use chat_core::query::{
    parse_filter, parse_sort, ChannelField, ChannelQuery, Field, Filter, MemberField, MemberQuery,
    Sort, UserQuery,
};
use chat_core::store::{Created, Store};
use serde_json::{json, Value};

use crate::fixtures::*;

fn filter<F: Field>(json: &Value) -> Filter<F> {
    parse_filter(json).unwrap_or_else(|e| panic!("filter {json} should parse: {e}"))
}

fn sort<F: Field>(json: &Value) -> Vec<Sort<F>> {
    parse_sort(json).unwrap_or_else(|e| panic!("sort {json} should parse: {e}"))
}

/// RFC3339 form of `t(n)`, as filters carry times.
fn rfc(n: i64) -> String {
    t(n).to_rfc3339()
}

// ---------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------

/// ann, bob, cy and dee are active; eve is deactivated; fay is deleted.
async fn seed_users(store: Arc<dyn Store>) -> Ctx {
    let ctx = Ctx::new(store).await;
    let mut users = Vec::new();
    let mut make = |id: &str, created: i64, f: &dyn Fn(&mut User)| {
        let mut u = new_user(id);
        u.created_at = t(created);
        u.updated_at = t(created);
        f(&mut u);
        users.push(u);
    };
    make("ann", 1, &|u| {
        u.name = Some("Ann Archer".into());
        u.last_active = Some(t(50));
        u.teams = strings(&["red"]);
        u.language = Some("en".into());
        u.custom.insert("age", json!(30));
        u.custom.insert("city", json!("Paris"));
        u.custom.insert("tags", json!(["a", "b"]));
        u.custom
            .insert("profile", json!({"level": 3, "nick": "annie"}));
        u.custom.insert("group", json!("g1"));
    });
    make("bob", 2, &|u| {
        u.name = Some("Bob Baker".into());
        u.role = Role::new_unchecked("admin");
        u.banned = true;
        u.teams = strings(&["red", "blue"]);
        u.custom.insert("age", json!(25));
        u.custom.insert("city", json!("Berlin"));
        u.custom.insert("tags", json!(["b"]));
        u.custom.insert("profile", json!({"level": 1}));
        u.custom.insert("group", json!("g2"));
    });
    make("cy", 3, &|u| {
        u.name = Some("Cy Carter".into());
        u.shadow_banned = true;
        u.last_active = Some(t(70));
        u.custom.insert("age", json!(41));
        u.custom.insert("city", json!("paris"));
        u.custom.insert("group", json!("g1"));
    });
    make("dee", 3, &|u| {
        u.role = Role::new_unchecked("moderator");
        u.last_active = Some(t(60));
        u.teams = strings(&["blue"]);
        u.custom.insert("age", json!(30.5));
        u.custom.insert("tags", json!([]));
        u.custom.insert("group", json!("g2"));
    });
    make("eve", 4, &|u| {
        u.name = Some("Eve Evans".into());
        u.deactivated_at = Some(t(8));
        u.custom.insert("age", json!(22));
    });
    make("fay", 5, &|u| {
        u.name = Some("Fay Fox".into());
        u.deleted_at = Some(t(9));
        u.custom.insert("age", json!(30));
        u.custom.insert("city", json!("Paris"));
    });
    for u in users {
        ctx.store
            .insert_user(&ctx.app, u)
            .await
            .expect("insert_user");
    }
    ctx
}

async fn query_users(
    ctx: &Ctx,
    f: &Value,
    s: &Value,
    limit: usize,
    offset: usize,
    deactivated: bool,
) -> Vec<String> {
    let query = UserQuery {
        filter: filter(f),
        sort: sort(s),
        limit,
        offset,
        include_deactivated: deactivated,
    };
    let users = ctx
        .store
        .query_users(&ctx.app, &query)
        .await
        .unwrap_or_else(|e| panic!("query_users {f} sort {s}: {e:?}"));
    users.iter().map(|u| u.id.to_string()).collect()
}

async fn check_users(ctx: &Ctx, rows: &[(Value, &[&str])]) {
    for (f, want) in rows {
        let got = query_users(ctx, f, &Value::Null, 100, 0, false).await;
        assert_eq!(
            got,
            strings(want),
            "query_users filter {f} (ties by id ascending)"
        );
    }
}

/// Every operator on every kind of user field: ids, strings, booleans, times, string
/// lists, custom numbers, strings, lists and nested objects.
pub async fn users_every_operator_on_every_field_type(store: Arc<dyn Store>) {
    let ctx = seed_users(store).await;
    let rows: Vec<(Value, &[&str])> = vec![
        (json!({}), &["ann", "bob", "cy", "dee"]),
        // id (string)
        (json!({"id": "bob"}), &["bob"]),
        (json!({"id": {"$eq": "bob"}}), &["bob"]),
        (
            json!({"id": {"$in": ["ann", "cy", "fay", "zed"]}}),
            &["ann", "cy"],
        ),
        (json!({"id": {"$nin": ["ann", "cy"]}}), &["bob", "dee"]),
        (json!({"id": {"$ne": "ann"}}), &["bob", "cy", "dee"]),
        (json!({"id": {"$autocomplete": "d"}}), &["dee"]),
        // name (optional string)
        (json!({"name": "Ann Archer"}), &["ann"]),
        (json!({"name": {"$autocomplete": "bak"}}), &["bob"]),
        (json!({"name": {"$q": "ca cy"}}), &["cy"]),
        (json!({"name": {"$exists": false}}), &["dee"]),
        (json!({"name": {"$exists": true}}), &["ann", "bob", "cy"]),
        (json!({"language": "en"}), &["ann"]),
        // role
        (
            json!({"role": {"$in": ["admin", "moderator"]}}),
            &["bob", "dee"],
        ),
        (json!({"role": "user"}), &["ann", "cy"]),
        // booleans
        (json!({"banned": true}), &["bob"]),
        (json!({"banned": false}), &["ann", "cy", "dee"]),
        (json!({"shadow_banned": {"$ne": false}}), &["cy"]),
        // times
        (json!({"created_at": rfc(3)}), &["cy", "dee"]),
        (json!({"created_at": {"$gt": rfc(2)}}), &["cy", "dee"]),
        (
            json!({"created_at": {"$gte": rfc(2)}}),
            &["bob", "cy", "dee"],
        ),
        (json!({"created_at": {"$lt": rfc(2)}}), &["ann"]),
        (json!({"created_at": {"$lte": rfc(2)}}), &["ann", "bob"]),
        (json!({"updated_at": {"$ne": rfc(3)}}), &["ann", "bob"]),
        (
            json!({"last_active": {"$exists": true}}),
            &["ann", "cy", "dee"],
        ),
        (json!({"last_active": {"$exists": false}}), &["bob"]),
        (json!({"last_active": {"$gte": rfc(60)}}), &["cy", "dee"]),
        // string list
        (json!({"teams": "red"}), &["ann", "bob"]),
        (json!({"teams": {"$in": ["blue"]}}), &["bob", "dee"]),
        (json!({"teams": {"$contains": "blue"}}), &["bob", "dee"]),
        (json!({"teams": ["blue", "red"]}), &["bob"]),
        (json!({"teams": {"$nin": ["red"]}}), &["cy", "dee"]),
        // custom numbers (ints and floats compare numerically)
        (json!({"age": 30}), &["ann"]),
        (json!({"age": {"$gt": 29}}), &["ann", "cy", "dee"]),
        (json!({"age": {"$lt": 30}}), &["bob"]),
        (json!({"age": {"$gte": 30.5}}), &["cy", "dee"]),
        (json!({"age": {"$lte": 30}}), &["ann", "bob"]),
        (json!({"age": {"$in": [25, 41]}}), &["bob", "cy"]),
        (json!({"age": {"$nin": [25, 41]}}), &["ann", "dee"]),
        // custom strings (case-sensitive equality, case-insensitive autocomplete)
        (json!({"city": "paris"}), &["cy"]),
        (json!({"city": {"$autocomplete": "par"}}), &["ann", "cy"]),
        (json!({"city": {"$exists": false}}), &["dee"]),
        (json!({"city": {"$ne": "Paris"}}), &["bob", "cy", "dee"]),
        (json!({"city": {"$gt": "Paris"}}), &["cy"]),
        // custom nested objects and lists
        (json!({"profile.level": {"$gte": 2}}), &["ann"]),
        (json!({"custom.profile.nick": "annie"}), &["ann"]),
        (json!({"profile.level": {"$exists": true}}), &["ann", "bob"]),
        (json!({"tags": {"$contains": "b"}}), &["ann", "bob"]),
        (json!({"tags": "a"}), &["ann"]),
        (json!({"tags": {"$exists": true}}), &["ann", "bob", "dee"]),
    ];
    check_users(&ctx, &rows).await;
}

/// `$and`, `$or`, `$nor`, nested, and mixed with top-level conditions.
pub async fn users_and_or_nor(store: Arc<dyn Store>) {
    let ctx = seed_users(store).await;
    let rows: Vec<(Value, &[&str])> = vec![
        (
            json!({"$or": [{"role": "admin"}, {"age": {"$gt": 40}}]}),
            &["bob", "cy"],
        ),
        (
            json!({"$and": [{"teams": "red"}, {"banned": false}]}),
            &["ann"],
        ),
        (
            json!({"$nor": [{"teams": "red"}, {"role": "moderator"}]}),
            &["cy"],
        ),
        (
            json!({"$or": [
                {"$and": [{"teams": "blue"}, {"banned": true}]},
                {"name": {"$autocomplete": "ann"}}
            ]}),
            &["ann", "bob"],
        ),
        (
            json!({"role": "user", "$or": [{"age": 30}, {"shadow_banned": true}]}),
            &["ann", "cy"],
        ),
        (
            json!({"$nor": [{"$or": [{"banned": true}, {"shadow_banned": true}]}]}),
            &["ann", "dee"],
        ),
        (
            json!({"$and": [{"id": {"$ne": "ann"}}, {"$nor": [{"teams": "blue"}]}]}),
            &["cy"],
        ),
    ];
    check_users(&ctx, &rows).await;
}

/// Sorts: one and several keys, both directions, missing values (first ascending, last
/// descending), ties by id ascending; then offset and limit.
pub async fn users_sort_offset_limit(store: Arc<dyn Store>) {
    let ctx = seed_users(store).await;
    let rows: Vec<(Value, &[&str])> = vec![
        (json!([]), &["ann", "bob", "cy", "dee"]),
        (
            json!([{"field": "created_at", "direction": 1}]),
            &["ann", "bob", "cy", "dee"],
        ),
        (
            json!([{"field": "created_at", "direction": -1}]),
            &["cy", "dee", "bob", "ann"],
        ),
        (
            json!([{"field": "id", "direction": -1}]),
            &["dee", "cy", "bob", "ann"],
        ),
        (
            json!([{"field": "last_active", "direction": -1}]),
            &["cy", "dee", "ann", "bob"],
        ),
        (
            json!([{"field": "last_active", "direction": 1}]),
            &["bob", "ann", "dee", "cy"],
        ),
        (
            json!([{"field": "name", "direction": 1}]),
            &["dee", "ann", "bob", "cy"],
        ),
        (
            json!([{"field": "age", "direction": 1}]),
            &["bob", "ann", "dee", "cy"],
        ),
        (
            json!([{"field": "group", "direction": -1}]),
            &["bob", "dee", "ann", "cy"],
        ),
        (
            json!([{"field": "group", "direction": 1}, {"field": "age", "direction": -1}]),
            &["cy", "ann", "dee", "bob"],
        ),
        (
            json!([{"field": "created_at", "direction": -1}, {"field": "id", "direction": -1}]),
            &["dee", "cy", "bob", "ann"],
        ),
    ];
    for (s, want) in &rows {
        let got = query_users(&ctx, &json!({}), s, 100, 0, false).await;
        assert_eq!(got, strings(want), "query_users sort {s}");
    }
    let by_created = json!([{"field": "created_at", "direction": 1}]);
    let any = json!({});
    let page = |limit, offset| query_users(&ctx, &any, &by_created, limit, offset, false);
    assert_eq!(page(2, 0).await, strings(&["ann", "bob"]));
    assert_eq!(page(2, 1).await, strings(&["bob", "cy"]));
    assert_eq!(page(10, 3).await, strings(&["dee"]));
    assert!(page(10, 4).await.is_empty());
    assert!(page(0, 0).await.is_empty(), "limit 0");
    let filtered = query_users(&ctx, &json!({"banned": false}), &by_created, 1, 1, false).await;
    assert_eq!(
        filtered,
        strings(&["cy"]),
        "offset applies after the filter"
    );
}

/// Deleted users are never returned; deactivated users only with `include_deactivated`.
pub async fn users_deleted_and_deactivated(store: Arc<dyn Store>) {
    let ctx = seed_users(store).await;
    let (any, unsorted) = (json!({}), Value::Null);
    let all = |deactivated| query_users(&ctx, &any, &unsorted, 100, 0, deactivated);
    assert_eq!(all(false).await, strings(&["ann", "bob", "cy", "dee"]));
    assert_eq!(
        all(true).await,
        strings(&["ann", "bob", "cy", "dee", "eve"])
    );
    for deactivated in [false, true] {
        let fay = query_users(
            &ctx,
            &json!({"id": "fay"}),
            &Value::Null,
            10,
            0,
            deactivated,
        )
        .await;
        assert!(fay.is_empty(), "a deleted user is never returned: {fay:?}");
        let paris = query_users(&ctx, &json!({"age": 30}), &Value::Null, 10, 0, deactivated).await;
        assert_eq!(paris, strings(&["ann"]));
    }
    let eve = query_users(&ctx, &json!({"id": "eve"}), &Value::Null, 10, 0, false).await;
    assert!(
        eve.is_empty(),
        "a deactivated user needs include_deactivated: {eve:?}"
    );
    let young = query_users(
        &ctx,
        &json!({"age": {"$lt": 26}}),
        &Value::Null,
        10,
        0,
        true,
    )
    .await;
    assert_eq!(young, strings(&["bob", "eve"]));
}

// ---------------------------------------------------------------------------------------
// Channels
// ---------------------------------------------------------------------------------------

/// Five channels, seen mostly by `me` (cid order: messaging:alpha, messaging:bravo,
/// messaging:charlie, messaging:echo, team:delta):
///
/// | channel | members | created | last message | content | me |
/// |---|---|---|---|---|---|
/// | alpha | me, ann | t10 by me | ann t100 | name "Alpha Room", priority 2, meta.color red, tags [public] | 1 unread |
/// | bravo | me, bob | t20 by bob | me t90 | name "Bravo", priority 5, frozen, team red | pinned t5 |
/// | charlie | ann, bob | t30 by ann | ann t80 | priority 2, disabled, tags [public, vip] | not a member |
/// | delta (team) | me, ann, bob | t40 by ann | — | name "Delta Force" | hidden, archived |
/// | echo | me | t50 by me | — | priority 1, meta.color blue | pending invite |
async fn seed_channels(store: Arc<dyn Store>) -> Ctx {
    let ctx = Ctx::new(store).await;
    match ctx
        .store
        .insert_channel_type(&ctx.app, new_channel_type("team"))
        .await
    {
        Ok(_) | Err(chat_core::StoreError::Duplicate { .. }) => {}
        Err(e) => panic!("insert_channel_type team: {e:?}"),
    }
    for (id, name) in [
        ("me", "Me Myself"),
        ("ann", "Ann Archer"),
        ("bob", "Bob Baker"),
    ] {
        let mut u = new_user(id);
        u.name = Some(name.into());
        ctx.store
            .insert_user(&ctx.app, u)
            .await
            .expect("insert_user");
    }
    struct Spec {
        cid: &'static str,
        by: &'static str,
        created: i64,
        members: &'static [&'static str],
        content: fn(&mut chat_core::model::Channel),
        me: fn(&mut Member),
    }
    let specs = [
        Spec {
            cid: "messaging:alpha",
            by: "me",
            created: 10,
            members: &["me", "ann"],
            content: |c| {
                c.custom.insert("name", json!("Alpha Room"));
                c.custom.insert("priority", json!(2));
                c.custom.insert("meta", json!({"color": "red"}));
                c.filter_tags = strings(&["public"]);
            },
            me: |_| {},
        },
        Spec {
            cid: "messaging:bravo",
            by: "bob",
            created: 20,
            members: &["me", "bob"],
            content: |c| {
                c.custom.insert("name", json!("Bravo"));
                c.custom.insert("priority", json!(5));
                c.frozen = true;
                c.team = Some("red".into());
            },
            me: |m| m.pinned_at = Some(t(5)),
        },
        Spec {
            cid: "messaging:charlie",
            by: "ann",
            created: 30,
            members: &["ann", "bob"],
            content: |c| {
                c.custom.insert("priority", json!(2));
                c.disabled = true;
                c.filter_tags = strings(&["public", "vip"]);
            },
            me: |_| {},
        },
        Spec {
            cid: "team:delta",
            by: "ann",
            created: 40,
            members: &["me", "ann", "bob"],
            content: |c| {
                c.custom.insert("name", json!("Delta Force"));
            },
            me: |m| {
                m.hidden = true;
                m.archived_at = Some(t(6));
            },
        },
        Spec {
            cid: "messaging:echo",
            by: "me",
            created: 50,
            members: &["me"],
            content: |c| {
                c.custom.insert("priority", json!(1));
                c.custom.insert("meta", json!({"color": "blue"}));
            },
            me: |m| m.invited = true,
        },
    ];
    for spec in specs {
        let cid = chat_core::ids::Cid::parse(spec.cid).expect("cid");
        let mut channel =
            chat_core::model::Channel::new(cid.clone(), Some(uid(spec.by)), t(spec.created));
        (spec.content)(&mut channel);
        let members = spec
            .members
            .iter()
            .map(|u| {
                let mut m = new_member(&cid, u);
                if *u == "me" {
                    (spec.me)(&mut m);
                }
                m
            })
            .collect();
        let created = ctx
            .store
            .create_channel(&ctx.app, channel, members)
            .await
            .expect("create_channel");
        assert!(matches!(created, Created::New(..)), "{} is new", spec.cid);
    }
    ctx.msg(&cid("alpha"), "ann").at(t(100)).send().await;
    ctx.msg(&cid("bravo"), "me").at(t(90)).send().await;
    ctx.msg(&cid("charlie"), "ann").at(t(80)).send().await;
    ctx
}

async fn query_channels(
    ctx: &Ctx,
    user: Option<&str>,
    f: &Value,
    s: &Value,
    limit: usize,
    offset: usize,
) -> Vec<String> {
    let query = ChannelQuery {
        filter: filter::<ChannelField>(f),
        sort: sort(s),
        limit,
        offset,
        user: user.map(uid),
    };
    let channels = ctx
        .store
        .query_channels(&ctx.app, &query)
        .await
        .unwrap_or_else(|e| panic!("query_channels {f} sort {s} as {user:?}: {e:?}"));
    channels
        .iter()
        .map(|c| {
            c.cid
                .to_string()
                .replace("messaging:", "")
                .replace("team:", "")
        })
        .collect()
}

async fn check_channels(ctx: &Ctx, user: Option<&str>, rows: &[(Value, &[&str])]) {
    for (f, want) in rows {
        let got = query_channels(ctx, user, f, &Value::Null, 100, 0).await;
        assert_eq!(
            got,
            strings(want),
            "query_channels filter {f} as {user:?} (ties by cid ascending)"
        );
    }
}

/// Every operator on every kind of channel field: ids, strings, booleans, times, ints,
/// string lists, custom numbers, strings and nested objects.
pub async fn channels_every_operator_on_every_field_type(store: Arc<dyn Store>) {
    let ctx = seed_channels(store).await;
    let all: &[&str] = &["alpha", "bravo", "charlie", "echo", "delta"];
    let rows: Vec<(Value, &[&str])> = vec![
        (json!({}), all),
        // cid, id, type
        (json!({"cid": "messaging:bravo"}), &["bravo"]),
        (
            json!({"cid": {"$in": ["messaging:bravo", "team:delta", "messaging:nope"]}}),
            &["bravo", "delta"],
        ),
        (
            json!({"id": {"$in": ["alpha", "delta"]}}),
            &["alpha", "delta"],
        ),
        (
            json!({"id": {"$nin": ["alpha", "delta"]}}),
            &["bravo", "charlie", "echo"],
        ),
        (json!({"type": "team"}), &["delta"]),
        (
            json!({"type": {"$ne": "team"}}),
            &["alpha", "bravo", "charlie", "echo"],
        ),
        (json!({"type": {"$in": ["team", "messaging"]}}), all),
        // strings that may be absent
        (json!({"created_by_id": "me"}), &["alpha", "echo"]),
        (json!({"team": "red"}), &["bravo"]),
        (
            json!({"team": {"$exists": false}}),
            &["alpha", "charlie", "echo", "delta"],
        ),
        // booleans
        (json!({"frozen": true}), &["bravo"]),
        (json!({"disabled": true}), &["charlie"]),
        (
            json!({"disabled": {"$ne": true}}),
            &["alpha", "bravo", "echo", "delta"],
        ),
        // times
        (
            json!({"last_message_at": {"$exists": false}}),
            &["echo", "delta"],
        ),
        (
            json!({"last_message_at": {"$gt": rfc(85)}}),
            &["alpha", "bravo"],
        ),
        (
            json!({"last_message_at": {"$lte": rfc(90)}}),
            &["bravo", "charlie"],
        ),
        (json!({"last_message_at": rfc(80)}), &["charlie"]),
        (
            json!({"created_at": {"$gte": rfc(30)}}),
            &["charlie", "echo", "delta"],
        ),
        (json!({"created_at": {"$lt": rfc(20)}}), &["alpha"]),
        (json!({"updated_at": rfc(10)}), &["alpha"]),
        (
            json!({"last_updated": {"$gt": rfc(60)}}),
            &["alpha", "bravo", "charlie"],
        ),
        (
            json!({"last_updated": {"$lte": rfc(50)}}),
            &["echo", "delta"],
        ),
        // ints
        (json!({"member_count": 2}), &["alpha", "bravo", "charlie"]),
        (json!({"member_count": {"$gte": 3}}), &["delta"]),
        (json!({"member_count": {"$lt": 2}}), &["echo"]),
        (json!({"member_count": {"$in": [1, 3]}}), &["echo", "delta"]),
        (
            json!({"member_count": {"$nin": [1, 3]}}),
            &["alpha", "bravo", "charlie"],
        ),
        // string lists
        (json!({"filter_tags": "public"}), &["alpha", "charlie"]),
        (json!({"filter_tags": {"$in": ["vip"]}}), &["charlie"]),
        (json!({"filter_tags": {"$contains": "vip"}}), &["charlie"]),
        (
            json!({"member.user.name": {"$autocomplete": "bak"}}),
            &["bravo", "charlie", "delta"],
        ),
        // custom data
        (json!({"priority": 2}), &["alpha", "charlie"]),
        (
            json!({"priority": {"$gt": 1}}),
            &["alpha", "bravo", "charlie"],
        ),
        (json!({"priority": {"$exists": false}}), &["delta"]),
        (json!({"name": {"$autocomplete": "force"}}), &["delta"]),
        (
            json!({"name": {"$exists": true}}),
            &["alpha", "bravo", "delta"],
        ),
        (json!({"meta.color": "red"}), &["alpha"]),
        (
            json!({"custom.meta.color": {"$in": ["blue", "green"]}}),
            &["echo"],
        ),
        (json!({"meta": {"$eq": {"color": "blue"}}}), &["echo"]),
    ];
    check_channels(&ctx, Some("me"), &rows).await;
}

/// `members`: `$in` shares a member, a bare value contains it, an array is the exact set,
/// `$nin` excludes, `$contains` contains; pending invitees are members.
pub async fn channels_members_list_field(store: Arc<dyn Store>) {
    let ctx = seed_channels(store).await;
    let rows: Vec<(Value, &[&str])> = vec![
        (
            json!({"members": {"$in": ["me"]}}),
            &["alpha", "bravo", "echo", "delta"],
        ),
        (
            json!({"members": {"$in": ["bob", "nobody"]}}),
            &["bravo", "charlie", "delta"],
        ),
        (json!({"members": "ann"}), &["alpha", "charlie", "delta"]),
        (json!({"members": ["ann", "me"]}), &["alpha"]),
        (json!({"members": ["me"]}), &["echo"]),
        (json!({"members": {"$nin": ["ann"]}}), &["bravo", "echo"]),
        (
            json!({"members": {"$contains": "bob"}}),
            &["bravo", "charlie", "delta"],
        ),
        (json!({"members": {"$in": ["nobody"]}}), &[]),
    ];
    check_channels(&ctx, Some("me"), &rows).await;
    ctx.users(&["zoe"]).await;
    ctx.store
        .add_members(
            &ctx.app,
            &cid("echo"),
            vec![new_member(&cid("echo"), "zoe")],
        )
        .await
        .expect("add_members");
    ctx.store
        .remove_members(&ctx.app, &cid("alpha"), &[uid("ann")])
        .await
        .expect("remove_members");
    let later: Vec<(Value, &[&str])> = vec![
        (json!({"members": "zoe"}), &["echo"]),
        (json!({"members": "ann"}), &["charlie", "delta"]),
        (json!({"members": ["me"]}), &["alpha"]),
        (json!({"member_count": 2}), &["bravo", "charlie", "echo"]),
    ];
    check_channels(&ctx, Some("me"), &later).await;
}

/// `$and`, `$or`, `$nor`, nested, and mixed with top-level conditions.
pub async fn channels_and_or_nor(store: Arc<dyn Store>) {
    let ctx = seed_channels(store).await;
    let rows: Vec<(Value, &[&str])> = vec![
        (
            json!({"$or": [{"frozen": true}, {"disabled": true}]}),
            &["bravo", "charlie"],
        ),
        (
            json!({"$nor": [{"type": "team"}, {"members": "ann"}]}),
            &["bravo", "echo"],
        ),
        (
            json!({"$and": [{"members": "me"}, {"priority": {"$gte": 2}}]}),
            &["alpha", "bravo"],
        ),
        (
            json!({"type": "messaging", "$or": [{"pinned": true}, {"has_unread": true}]}),
            &["alpha", "bravo"],
        ),
        (
            json!({"$or": [
                {"$and": [{"members": "bob"}, {"last_message_at": {"$exists": true}}]},
                {"priority": 1}
            ]}),
            &["bravo", "charlie", "echo"],
        ),
        (
            json!({"$nor": [{"$or": [{"joined": true}, {"invite": "pending"}]}]}),
            &["charlie"],
        ),
    ];
    check_channels(&ctx, Some("me"), &rows).await;
}

/// Sorts over built-in, per-user and custom fields, both directions, several keys, missing
/// values, and ties broken by cid ascending.
pub async fn channels_sort_ties_by_cid(store: Arc<dyn Store>) {
    let ctx = seed_channels(store).await;
    let rows: Vec<(Value, &[&str])> = vec![
        (json!([]), &["alpha", "bravo", "charlie", "echo", "delta"]),
        (
            json!([{"field": "last_updated", "direction": -1}]),
            &["alpha", "bravo", "charlie", "echo", "delta"],
        ),
        (
            json!([{"field": "last_message_at", "direction": -1}]),
            &["alpha", "bravo", "charlie", "echo", "delta"],
        ),
        (
            json!([{"field": "last_message_at", "direction": 1}]),
            &["echo", "delta", "charlie", "bravo", "alpha"],
        ),
        (
            json!([{"field": "created_at", "direction": 1}]),
            &["alpha", "bravo", "charlie", "delta", "echo"],
        ),
        (
            json!([{"field": "member_count", "direction": -1}]),
            &["delta", "alpha", "bravo", "charlie", "echo"],
        ),
        (
            json!([{"field": "member_count", "direction": 1}]),
            &["echo", "alpha", "bravo", "charlie", "delta"],
        ),
        (
            json!([{"field": "priority", "direction": -1}, {"field": "created_at", "direction": -1}]),
            &["bravo", "charlie", "alpha", "echo", "delta"],
        ),
        (
            json!([{"field": "priority", "direction": 1}]),
            &["delta", "echo", "alpha", "charlie", "bravo"],
        ),
        (
            json!([{"field": "pinned_at", "direction": -1}]),
            &["bravo", "alpha", "charlie", "echo", "delta"],
        ),
        (
            json!([{"field": "unread_count", "direction": -1}]),
            &["alpha", "bravo", "echo", "delta", "charlie"],
        ),
        (
            json!([{"field": "has_unread", "direction": -1}, {"field": "member_count", "direction": 1}]),
            &["alpha", "echo", "bravo", "charlie", "delta"],
        ),
    ];
    for (s, want) in &rows {
        let got = query_channels(&ctx, Some("me"), &json!({}), s, 100, 0).await;
        assert_eq!(got, strings(want), "query_channels sort {s} as me");
    }
}

/// Per-user fields (`joined`, `invite`, `hidden`, `pinned`, `archived`, `has_unread`)
/// mean the querying user, change with it, and are false without one.
pub async fn channels_per_user_fields(store: Arc<dyn Store>) {
    let ctx = seed_channels(store).await;
    let me: Vec<(Value, &[&str])> = vec![
        (json!({"joined": true}), &["alpha", "bravo", "delta"]),
        (json!({"joined": false}), &["charlie", "echo"]),
        (json!({"invite": "pending"}), &["echo"]),
        (json!({"hidden": true}), &["delta"]),
        (
            json!({"hidden": false}),
            &["alpha", "bravo", "charlie", "echo"],
        ),
        (json!({"pinned": true}), &["bravo"]),
        (json!({"archived": true}), &["delta"]),
        (
            json!({"archived": false}),
            &["alpha", "bravo", "charlie", "echo"],
        ),
        (json!({"has_unread": true}), &["alpha"]),
    ];
    check_channels(&ctx, Some("me"), &me).await;
    let bob: Vec<(Value, &[&str])> = vec![
        (json!({"joined": true}), &["bravo", "charlie", "delta"]),
        (json!({"has_unread": true}), &["bravo", "charlie"]),
        (json!({"pinned": true}), &[]),
        (json!({"hidden": true}), &[]),
    ];
    check_channels(&ctx, Some("bob"), &bob).await;
    let nobody: Vec<(Value, &[&str])> = vec![
        (json!({"joined": true}), &[]),
        (json!({"has_unread": true}), &[]),
        (json!({"frozen": true}), &["bravo"]),
    ];
    check_channels(&ctx, None, &nobody).await;

    // The views follow the stored state.
    ctx.store
        .mark_read(
            &ctx.app,
            &cid("alpha"),
            &uid("me"),
            chat_core::store::ReadUpTo::Latest,
            t(200),
        )
        .await
        .expect("mark_read");
    ctx.msg(&cid("bravo"), "bob").at(t(210)).send().await;
    let mut pinned = ctx.member(&cid("alpha"), "me").await.expect("member");
    pinned.pinned_at = Some(t(7));
    ctx.store
        .update_member(&ctx.app, pinned)
        .await
        .expect("update_member");
    let after: Vec<(Value, &[&str])> = vec![
        (json!({"has_unread": true}), &["bravo"]),
        (json!({"pinned": true}), &["alpha", "bravo"]),
    ];
    check_channels(&ctx, Some("me"), &after).await;
}

/// Offset and limit apply after filter and sort; pages of a walk cover the result once.
pub async fn channels_offset_limit(store: Arc<dyn Store>) {
    let ctx = seed_channels(store).await;
    let by_created = json!([{"field": "created_at", "direction": 1}]);
    let any = json!({});
    let page = |limit, offset| query_channels(&ctx, Some("me"), &any, &by_created, limit, offset);
    assert_eq!(page(2, 0).await, strings(&["alpha", "bravo"]));
    assert_eq!(page(2, 2).await, strings(&["charlie", "delta"]));
    assert_eq!(page(2, 4).await, strings(&["echo"]));
    assert!(page(2, 5).await.is_empty());
    assert!(page(0, 0).await.is_empty(), "limit 0");
    let filtered = query_channels(
        &ctx,
        Some("me"),
        &json!({"members": "me"}),
        &json!([{"field": "last_updated", "direction": -1}]),
        2,
        1,
    )
    .await;
    assert_eq!(filtered, strings(&["bravo", "echo"]));
    let by_priority = json!([{"field": "priority", "direction": -1}]);
    let mut walked = Vec::new();
    for offset in (0..6).step_by(2) {
        walked.extend(query_channels(&ctx, Some("me"), &json!({}), &by_priority, 2, offset).await);
    }
    assert_eq!(
        walked,
        strings(&["bravo", "alpha", "charlie", "echo", "delta"])
    );
}

// ---------------------------------------------------------------------------------------
// Members
// ---------------------------------------------------------------------------------------

/// One channel with members ann (moderator), bob (banned), cy (pending invite), dee
/// (accepted invite) and eve (rejected invite); ann is also in another channel.
async fn seed_members(store: Arc<dyn Store>) -> (Ctx, chat_core::ids::Cid) {
    let ctx = Ctx::new(store).await;
    // (id, name, last active, email)
    type Person = (
        &'static str,
        Option<&'static str>,
        Option<i64>,
        Option<&'static str>,
    );
    let people: [Person; 5] = [
        ("ann", Some("Ann Archer"), Some(50), Some("ann@x.io")),
        ("bob", Some("Bob Baker"), None, Some("bob@y.io")),
        ("cy", Some("Cy Carter"), Some(70), None),
        ("dee", None, None, None),
        ("eve", Some("Eve Evans"), None, None),
    ];
    for (id, name, active, email) in people {
        let mut u = new_user(id);
        u.name = name.map(Into::into);
        u.last_active = active.map(t);
        if let Some(email) = email {
            u.custom.insert("email", json!(email));
        }
        ctx.store
            .insert_user(&ctx.app, u)
            .await
            .expect("insert_user");
    }
    let room = cid("room");
    let member = |id: &str, created: i64, f: &dyn Fn(&mut Member)| {
        let mut m = new_member(&room, id);
        m.created_at = t(created);
        m.updated_at = t(created);
        f(&mut m);
        m
    };
    let members = vec![
        member("ann", 1, &|m| {
            m.channel_role = Role::new_unchecked("channel_moderator");
            m.custom.insert("nick", json!("a"));
            m.custom.insert("score", json!(10));
        }),
        member("bob", 2, &|m| {
            m.banned = true;
            m.custom.insert("score", json!(5));
        }),
        member("cy", 3, &|m| {
            m.invited = true;
            m.custom.insert("score", json!(10));
        }),
        member("dee", 3, &|m| {
            m.invited = true;
            m.invite_accepted_at = Some(t(4));
        }),
        member("eve", 4, &|m| {
            m.invited = true;
            m.invite_rejected_at = Some(t(5));
        }),
    ];
    ctx.store
        .create_channel(&ctx.app, new_channel(&room, Some("ann")), members)
        .await
        .expect("create_channel");
    ctx.channel("elsewhere", &["ann", "bob"]).await;
    (ctx, room)
}

async fn query_members(
    ctx: &Ctx,
    room: &chat_core::ids::Cid,
    f: &Value,
    s: &Value,
    limit: usize,
    offset: usize,
) -> Vec<String> {
    let query = MemberQuery {
        cid: room.clone(),
        filter: filter::<MemberField>(f),
        sort: sort(s),
        limit,
        offset,
    };
    let members = ctx
        .store
        .query_members(&ctx.app, &query)
        .await
        .unwrap_or_else(|e| panic!("query_members {f} sort {s}: {e:?}"));
    assert!(
        members.iter().all(|m| &m.cid == room),
        "only the channel's members"
    );
    user_ids(members.iter().map(|m| &m.user_id))
}

/// Every operator on every kind of member field, including the user's name, last
/// activity and custom data.
pub async fn members_every_operator(store: Arc<dyn Store>) {
    let (ctx, room) = seed_members(store).await;
    let rows: Vec<(Value, &[&str])> = vec![
        (json!({}), &["ann", "bob", "cy", "dee", "eve"]),
        (
            json!({"cid": "messaging:room"}),
            &["ann", "bob", "cy", "dee", "eve"],
        ),
        (json!({"id": "bob"}), &["bob"]),
        (
            json!({"user_id": {"$in": ["bob", "cy", "zed"]}}),
            &["bob", "cy"],
        ),
        (
            json!({"id": {"$nin": ["bob", "cy"]}}),
            &["ann", "dee", "eve"],
        ),
        (json!({"id": {"$autocomplete": "e"}}), &["eve"]),
        (json!({"name": {"$autocomplete": "ba"}}), &["bob"]),
        (json!({"user.name": {"$q": "ann"}}), &["ann"]),
        (json!({"name": {"$exists": false}}), &["dee"]),
        (json!({"channel_role": "channel_moderator"}), &["ann"]),
        (
            json!({"channel_role": {"$ne": "channel_moderator"}}),
            &["bob", "cy", "dee", "eve"],
        ),
        (json!({"banned": true}), &["bob"]),
        (json!({"banned": false}), &["ann", "cy", "dee", "eve"]),
        (json!({"invite": "pending"}), &["cy"]),
        (json!({"invite": "accepted"}), &["dee"]),
        (json!({"invite": "rejected"}), &["eve"]),
        (json!({"joined": true}), &["ann", "bob", "dee"]),
        (json!({"joined": false}), &["cy", "eve"]),
        (
            json!({"created_at": {"$gt": rfc(2)}}),
            &["cy", "dee", "eve"],
        ),
        (json!({"created_at": {"$lte": rfc(2)}}), &["ann", "bob"]),
        (json!({"created_at": rfc(3)}), &["cy", "dee"]),
        (json!({"updated_at": {"$gte": rfc(4)}}), &["eve"]),
        (json!({"last_active": {"$exists": true}}), &["ann", "cy"]),
        (json!({"last_active": {"$gt": rfc(60)}}), &["cy"]),
        (json!({"user.email": "ann@x.io"}), &["ann"]),
        (json!({"user.email": {"$autocomplete": "bob"}}), &["bob"]),
        (
            json!({"user.email": {"$exists": false}}),
            &["cy", "dee", "eve"],
        ),
        (json!({"score": 10}), &["ann", "cy"]),
        (json!({"score": {"$lt": 10}}), &["bob"]),
        (json!({"nick": {"$exists": true}}), &["ann"]),
        (
            json!({"$or": [{"banned": true}, {"invite": "rejected"}]}),
            &["bob", "eve"],
        ),
        (
            json!({"$nor": [{"joined": false}, {"score": 5}]}),
            &["ann", "dee"],
        ),
        (json!({"$and": [{"score": 10}, {"joined": true}]}), &["ann"]),
    ];
    for (f, want) in &rows {
        let got = query_members(&ctx, &room, f, &Value::Null, 100, 0).await;
        assert_eq!(
            got,
            strings(want),
            "query_members filter {f} (ties by user id)"
        );
    }
}

/// Sorts over member, user and custom fields with ties by user id ascending; offset and
/// limit.
pub async fn members_sort_offset_limit(store: Arc<dyn Store>) {
    let (ctx, room) = seed_members(store).await;
    let rows: Vec<(Value, &[&str])> = vec![
        (json!([]), &["ann", "bob", "cy", "dee", "eve"]),
        (
            json!([{"field": "created_at", "direction": -1}]),
            &["eve", "cy", "dee", "bob", "ann"],
        ),
        (
            json!([{"field": "created_at", "direction": 1}]),
            &["ann", "bob", "cy", "dee", "eve"],
        ),
        (
            json!([{"field": "score", "direction": -1}, {"field": "created_at", "direction": 1}]),
            &["ann", "cy", "bob", "dee", "eve"],
        ),
        (
            json!([{"field": "name", "direction": 1}]),
            &["dee", "ann", "bob", "cy", "eve"],
        ),
        (
            json!([{"field": "user_id", "direction": -1}]),
            &["eve", "dee", "cy", "bob", "ann"],
        ),
        (
            json!([{"field": "last_active", "direction": -1}]),
            &["cy", "ann", "bob", "dee", "eve"],
        ),
    ];
    for (s, want) in &rows {
        let got = query_members(&ctx, &room, &json!({}), s, 100, 0).await;
        assert_eq!(got, strings(want), "query_members sort {s}");
    }
    let by_created = json!([{"field": "created_at", "direction": -1}]);
    let any = json!({});
    let page = |limit, offset| query_members(&ctx, &room, &any, &by_created, limit, offset);
    assert_eq!(page(2, 0).await, strings(&["eve", "cy"]));
    assert_eq!(page(2, 2).await, strings(&["dee", "bob"]));
    assert_eq!(page(2, 4).await, strings(&["ann"]));
    assert!(page(2, 5).await.is_empty());
    let joined = query_members(&ctx, &room, &json!({"joined": true}), &Value::Null, 1, 1).await;
    assert_eq!(joined, strings(&["bob"]), "offset applies after the filter");
}
