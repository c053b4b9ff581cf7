//! Black-box tests of the admin-ish resources: app settings, users, channel types, members.

#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_error, TestServer};
use serde_json::json;

#[tokio::test]
async fn app_settings_read_and_update() {
    let s = TestServer::start().await;
    let server = s.server();
    let app = server.get("/app", &[]).await.unwrap();
    assert_eq!(app.status, 200, "{}", app.body);
    assert!(
        app.body["app"]["channel_configs"]["messaging"].is_object(),
        "{}",
        app.body
    );
    assert!(
        !app.body.to_string().contains(s.secret()),
        "the secret never leaves the server"
    );
    let patched = server
        .patch("/app", &json!({"disable_permissions_checks": true}))
        .await
        .unwrap();
    assert_eq!(patched.status, 200, "{}", patched.body);
    let app = server.get("/app", &[]).await.unwrap();
    assert_eq!(app.body["app"]["disable_permissions_checks"], true);
    let denied = s
        .user("alice")
        .patch("/app", &json!({"disable_auth_checks": true}))
        .await
        .unwrap();
    assert_error(&denied, 403, 17);
}

#[tokio::test]
async fn users_upsert_partial_update_and_query() {
    let s = TestServer::start().await;
    let server = s.server();
    let up = server
        .post("/users", &json!({"users": {"u1": {"id": "u1", "name": "Ann", "age": 30}, "u2": {"id": "u2", "name": "Ben", "age": 40}}}))
        .await
        .unwrap();
    assert_eq!(up.status, 200, "{}", up.body);
    assert_eq!(up.body["users"]["u1"]["age"], 30);
    let patched = server
        .patch(
            "/users",
            &json!({"users": [{"id": "u1", "set": {"age": 31}, "unset": ["name"]}]}),
        )
        .await
        .unwrap();
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["users"]["u1"]["age"], 31);
    assert!(
        patched.body["users"]["u1"].get("name").is_none()
            || patched.body["users"]["u1"]["name"].is_null()
    );
    let q = server
        .get_payload("/users", &json!({"filter_conditions": {"age": {"$gte": 35}}, "sort": [{"field": "id", "direction": 1}]}))
        .await
        .unwrap();
    assert_eq!(q.status, 200, "{}", q.body);
    let ids: Vec<&str> = q.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["u2"]);
    let bad = server
        .get_payload(
            "/users",
            &json!({"filter_conditions": {"age": {"$bogus": 1}}}),
        )
        .await
        .unwrap();
    assert_error(&bad, 400, 4);
    assert!(
        bad.body["message"].as_str().unwrap().contains("$bogus"),
        "{}",
        bad.body
    );
}

#[tokio::test]
async fn channel_types_crud() {
    let s = TestServer::start().await;
    let server = s.server();
    let list = server.get("/channeltypes", &[]).await.unwrap();
    for t in ["messaging", "livestream", "team", "commerce", "gaming"] {
        assert!(
            list.body["channel_types"][t].is_object(),
            "{t}: {}",
            list.body
        );
    }
    let created = server
        .post(
            "/channeltypes",
            &json!({"name": "support", "reactions": false, "max_message_length": 100}),
        )
        .await
        .unwrap();
    assert_eq!(created.status, 200, "{}", created.body);
    let got = server.get("/channeltypes/support", &[]).await.unwrap();
    assert_eq!(got.body["reactions"], false);
    assert_eq!(got.body["max_message_length"], 100);
    let updated = server
        .put("/channeltypes/support", &json!({"max_message_length": 200}))
        .await
        .unwrap();
    assert_eq!(updated.status, 200, "{}", updated.body);
    s.users(&["amy"]).await;
    let amy = s.user("amy");
    amy.post(
        "/channels/support/t1/query",
        &json!({"data": {"members": ["amy"]}}),
    )
    .await
    .unwrap();
    let long = amy
        .post(
            "/channels/support/t1/message",
            &json!({"message": {"text": "x".repeat(201)}}),
        )
        .await
        .unwrap();
    assert_error(&long, 400, 20);
    let in_use = server.delete("/channeltypes/support", &[]).await.unwrap();
    assert_error(&in_use, 400, 4);
    assert_error(
        &amy.post("/channeltypes", &json!({"name": "mine"}))
            .await
            .unwrap(),
        403,
        17,
    );
}

#[tokio::test]
async fn members_query_roles_and_partial_channel_updates() {
    let s = TestServer::start().await;
    s.users(&["a", "b", "c"]).await;
    let a = s.user("a");
    a.post(
        "/channels/team/room/query",
        &json!({"data": {"members": ["a", "b", "c"], "topic": "x"}}),
    )
    .await
    .unwrap();
    let promoted = s
        .server()
        .post("/channels/team/room", &json!({"add_moderators": ["b"]}))
        .await
        .unwrap();
    assert_eq!(promoted.status, 200, "{}", promoted.body);
    let b = promoted.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == "b")
        .unwrap()
        .clone();
    assert_eq!(b["is_moderator"], true);
    assert_eq!(b["channel_role"], "channel_moderator");
    let members = a.get_payload("/members", &json!({"type": "team", "id": "room", "filter_conditions": {"channel_role": "channel_moderator"}})).await.unwrap();
    assert_eq!(members.status, 200, "{}", members.body);
    assert_eq!(members.body["members"].as_array().unwrap().len(), 1);
    let partial = a
        .patch(
            "/channels/team/room",
            &json!({"set": {"topic": "y", "color": "blue"}, "unset": []}),
        )
        .await
        .unwrap();
    assert_eq!(partial.status, 200, "{}", partial.body);
    assert_eq!(partial.body["channel"]["topic"], "y");
    assert_eq!(partial.body["channel"]["color"], "blue");
    let unset = a
        .patch("/channels/team/room", &json!({"unset": ["color"]}))
        .await
        .unwrap();
    assert!(
        unset.body["channel"].get("color").is_none(),
        "{}",
        unset.body
    );
}

#[tokio::test]
async fn guests_get_a_working_token() {
    let s = TestServer::start().await;
    let anon = chat_server::client::Client::new(&s.base, s.key(), None);
    let res = anon
        .post(
            "/guest",
            &json!({"user": {"id": "visitor-1", "name": "Visitor"}}),
        )
        .await
        .unwrap();
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["user"]["role"], "guest");
    let token = res.body["access_token"].as_str().unwrap();
    let me = s.with_token(token).get("/unread", &[]).await.unwrap();
    assert_eq!(me.status, 200, "{}", me.body);
}
