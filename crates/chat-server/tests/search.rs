//! Black-box tests of `GET /search`: results shape, channel scoping, edits, deletes and
//! truncation, cursor pages both ways, and Stream error bodies for bad requests.

#![allow(clippy::unwrap_used)]

mod common;

use chat_server::client::{Client, Response};
use common::{assert_error, TestServer};
use serde_json::{json, Value};

/// Creates `messaging:<id>` with these members, as the first of them.
async fn channel(s: &TestServer, id: &str, members: &[&str]) {
    let res = s
        .user(members[0])
        .post(
            &format!("/channels/messaging/{id}/query"),
            &json!({"data": {"members": members}}),
        )
        .await
        .unwrap();
    assert_eq!(res.status, 200, "{}", res.body);
}

/// Sends `text` into `messaging:<id>` as `user`; returns the message id.
async fn say(s: &TestServer, user: &str, id: &str, text: &str) -> String {
    let res = s
        .user(user)
        .post(
            &format!("/channels/messaging/{id}/message"),
            &json!({"message": {"text": text}}),
        )
        .await
        .unwrap();
    assert_eq!(res.status, 200, "{}", res.body);
    res.body["message"]["id"].as_str().unwrap().to_string()
}

async fn search(client: &Client, payload: Value) -> Response {
    client.get_payload("/search", &payload).await.unwrap()
}

/// The message ids of a successful search response.
fn ids(res: &Response) -> Vec<String> {
    assert_eq!(res.status, 200, "{}", res.body);
    res.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"]["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn finds_messages_in_the_users_channels_only() {
    let s = TestServer::start().await;
    s.users(&["alice", "bob", "carol"]).await;
    channel(&s, "team", &["alice", "bob"]).await;
    channel(&s, "private", &["carol"]).await;
    let m1 = say(&s, "bob", "team", "The deploy is DONE").await;
    let m2 = say(&s, "alice", "team", "deploy again tomorrow").await;
    say(&s, "alice", "team", "lunch?").await;
    say(&s, "carol", "private", "deploy secrets").await;

    let alice = s.user("alice");
    let res = search(
        &alice,
        json!({
            "filter_conditions": {"members": {"$in": ["alice"]}},
            "query": "deploy",
            "sort": [{"field": "created_at", "direction": 1}],
        }),
    )
    .await;
    assert_eq!(ids(&res), [m1.clone(), m2.clone()]);
    let first = &res.body["results"][0]["message"];
    assert_eq!(first["text"], "The deploy is DONE");
    assert_eq!(first["user"]["id"], "bob");
    assert_eq!(first["cid"], "messaging:team");
    assert!(res.body.get("next").is_none(), "{}", res.body);
    assert!(res.body.get("previous").is_none(), "{}", res.body);

    // Carol's channel is outside alice's reach even if the filter names it.
    let res = search(
        &alice,
        json!({"filter_conditions": {"cid": {"$in": ["messaging:private", "messaging:team"]}},
               "query": "secrets"}),
    )
    .await;
    assert!(ids(&res).is_empty(), "{}", res.body);

    // A message filter: autocomplete and author.
    let res = search(
        &alice,
        json!({"filter_conditions": {"members": {"$in": ["alice"]}},
               "message_filter_conditions": {"text": {"$autocomplete": "deploy ag"}, "user.id": "alice"}}),
    )
    .await;
    assert_eq!(ids(&res), [m2]);

    // Server-side search sees every channel.
    let res = search(
        &s.server(),
        json!({"filter_conditions": {"type": "messaging"}, "query": "DEPLOY"}),
    )
    .await;
    assert_eq!(ids(&res).len(), 3, "{}", res.body);
}

#[tokio::test]
async fn edits_and_deletes_are_reflected() {
    let s = TestServer::start().await;
    s.users(&["alice"]).await;
    channel(&s, "notes", &["alice"]).await;
    let id = say(&s, "alice", "notes", "first draft").await;
    let alice = s.user("alice");
    let find = |q: &'static str| {
        let alice = alice.clone();
        async move {
            ids(&search(
                &alice,
                json!({"filter_conditions": {"cid": "messaging:notes"}, "query": q}),
            )
            .await)
        }
    };
    assert_eq!(find("draft").await, std::slice::from_ref(&id));
    let edited = alice
        .post(
            &format!("/messages/{id}"),
            &json!({"message": {"text": "final version"}}),
        )
        .await
        .unwrap();
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert!(find("draft").await.is_empty());
    assert_eq!(find("final").await, std::slice::from_ref(&id));
    let deleted = alice.delete(&format!("/messages/{id}"), &[]).await.unwrap();
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert!(find("final").await.is_empty());
    // Truncated history is gone from search; later messages are found.
    say(&s, "alice", "notes", "again before").await;
    let truncated = s
        .server()
        .post("/channels/messaging/notes/truncate", &json!({}))
        .await
        .unwrap();
    assert_eq!(truncated.status, 200, "{}", truncated.body);
    assert!(find("again").await.is_empty());
    let later = say(&s, "alice", "notes", "again after").await;
    assert_eq!(find("again").await, [later]);
}

#[tokio::test]
async fn next_and_previous_walk_every_result_once() {
    let s = TestServer::start().await;
    s.users(&["alice"]).await;
    channel(&s, "log", &["alice"]).await;
    let mut sent = Vec::new();
    for i in 0..7 {
        sent.push(say(&s, "alice", "log", &format!("entry number {i}")).await);
    }
    let alice = s.user("alice");
    let base = json!({
        "filter_conditions": {"cid": "messaging:log"},
        "query": "entry",
        "sort": [{"field": "created_at", "direction": -1}],
        "limit": 3,
    });
    let mut walked = Vec::new();
    let mut pages = Vec::new();
    let mut payload = base.clone();
    loop {
        let res = search(&alice, payload.clone()).await;
        walked.extend(ids(&res));
        let next = res
            .body
            .get("next")
            .and_then(Value::as_str)
            .map(str::to_owned);
        pages.push(res);
        let Some(next) = next else { break };
        payload = base.clone();
        payload["next"] = json!(next);
    }
    sent.reverse();
    assert_eq!(walked, sent);
    assert_eq!(pages.len(), 3);
    assert!(pages[0].body.get("previous").is_none());
    // `previous` of the last page is the middle page.
    let mut back = base.clone();
    back["next"] = pages[2].body["previous"].clone();
    assert_eq!(ids(&search(&alice, back).await), ids(&pages[1]));
    // Offset pages (relevance order) reach the same set.
    let mut by_offset = Vec::new();
    for offset in [0, 3, 6] {
        let res = search(
            &alice,
            json!({"filter_conditions": {"cid": "messaging:log"}, "query": "entry",
                   "limit": 3, "offset": offset}),
        )
        .await;
        by_offset.extend(ids(&res));
    }
    by_offset.sort();
    let mut all = walked.clone();
    all.sort();
    assert_eq!(by_offset, all);
}

#[tokio::test]
async fn bad_requests_get_stream_errors() {
    let s = TestServer::start().await;
    s.users(&["alice"]).await;
    channel(&s, "general", &["alice"]).await;
    say(&s, "alice", "general", "hello").await;
    let alice = s.user("alice");
    let f = json!({"cid": "messaging:general"});
    let cases = [
        json!({"query": "hello"}),
        json!({"filter_conditions": f}),
        json!({"filter_conditions": f, "query": "hello", "message_filter_conditions": {"text": {"$q": "hello"}}}),
        json!({"filter_conditions": f, "query": "hello", "offset": 2, "sort": [{"field": "created_at"}]}),
        json!({"filter_conditions": f, "query": "hello", "offset": 2, "next": "abc"}),
        json!({"filter_conditions": f, "query": "hello", "offset": 1001}),
        json!({"filter_conditions": f, "query": "hello", "next": "not-a-cursor"}),
        json!({"filter_conditions": f, "query": "..."}),
        json!({"filter_conditions": f, "message_filter_conditions": {"html": "x"}}),
        json!({"filter_conditions": f, "message_filter_conditions": {"id": {"$q": "x"}}}),
        json!({"filter_conditions": f, "query": "hello", "sort": [{"field": "mentioned_users.id"}]}),
        json!({"filter_conditions": f, "query": "hello", "limit": "ten"}),
    ];
    for payload in cases {
        let res = search(&alice, payload.clone()).await;
        assert_error(&res, 400, 4);
        assert!(
            res.body["message"].as_str().unwrap().len() > 10,
            "{payload}: {}",
            res.body
        );
    }
    let res = alice
        .get("/search", &[("payload", "{not json")])
        .await
        .unwrap();
    assert_error(&res, 400, 4);
}

#[tokio::test]
async fn channel_types_without_search_are_refused() {
    let s = TestServer::start().await;
    s.users(&["alice"]).await;
    let created = s
        .server()
        .post("/channeltypes", &json!({"name": "quiet", "search": false}))
        .await
        .unwrap();
    assert_eq!(created.status, 200, "{}", created.body);
    let res = s
        .user("alice")
        .post(
            "/channels/quiet/room/query",
            &json!({"data": {"members": ["alice"]}}),
        )
        .await
        .unwrap();
    assert_eq!(res.status, 200, "{}", res.body);
    let res = search(
        &s.user("alice"),
        json!({"filter_conditions": {"type": "quiet"}, "query": "anything"}),
    )
    .await;
    assert_error(&res, 403, 17);
    // A filter that selects no channel finds nothing.
    let res = search(
        &s.user("alice"),
        json!({"filter_conditions": {"type": "messaging"}, "query": "anything"}),
    )
    .await;
    assert!(ids(&res).is_empty());
}
