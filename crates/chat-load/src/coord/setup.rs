//! Creating a run's users and channels on our server through the REST API, as a server-side
//! client: users in batches of 100 (`POST /users`), each channel created with its first
//! members and filled by `add_members` batches of 100 (the API's per-call limits).

use futures_util::StreamExt as _;
use serde_json::{json, Value};

use super::LoadError;
use crate::spec::{Endpoint, Naming};

/// Requests in flight during setup.
const PARALLEL: usize = 8;
/// Users or members per call (the API's limit).
const BATCH: usize = 100;

fn server_client(ep: &Endpoint) -> chat_server::client::Client {
    chat_server::client::Client::new(
        format!("http://{}", ep.addr),
        ep.api_key.clone(),
        Some(chat_server::auth::server_token(&ep.api_secret)),
    )
}

async fn call(c: &chat_server::client::Client, path: String, body: Value) -> Result<(), LoadError> {
    let res = c
        .post(&path, &body)
        .await
        .map_err(|e| LoadError::Setup(format!("{path}: {e}")))?;
    if !(200..300).contains(&res.status) {
        return Err(LoadError::Setup(format!(
            "{path}: {} {}",
            res.status, res.body
        )));
    }
    Ok(())
}

async fn all(
    calls: Vec<(String, Value)>,
    c: &chat_server::client::Client,
) -> Result<(), LoadError> {
    let results: Vec<Result<(), LoadError>> = futures_util::stream::iter(calls)
        .map(|(path, body)| call(c, path, body))
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    results.into_iter().collect()
}

/// Creates `clients` users plus the publisher, and `channels` channels where client `i` is
/// a member of channel `i % channels` and the publisher of all. With `quiet_joins`, first
/// turns off `connect_events` on the `messaging` type.
pub async fn chat(
    ep: &Endpoint,
    naming: &Naming,
    clients: usize,
    channels: usize,
    quiet_joins: bool,
) -> Result<(), LoadError> {
    let c = server_client(ep);
    if quiet_joins {
        let res = c
            .put("/channeltypes/messaging", &json!({"connect_events": false}))
            .await
            .map_err(|e| LoadError::Setup(format!("channel type: {e}")))?;
        if !(200..300).contains(&res.status) {
            return Err(LoadError::Setup(format!(
                "channel type: {} {}",
                res.status, res.body
            )));
        }
    }
    let mut ids: Vec<String> = (0..clients).map(|i| naming.user(i)).collect();
    ids.push(naming.publisher());
    let user_calls = ids
        .chunks(BATCH)
        .map(|chunk| {
            let users: serde_json::Map<String, Value> = chunk
                .iter()
                .map(|id| (id.clone(), json!({"id": id})))
                .collect();
            ("/users".to_string(), json!({ "users": users }))
        })
        .collect();
    all(user_calls, &c).await?;

    let publisher = naming.publisher();
    let mut creates = Vec::with_capacity(channels);
    let mut adds = Vec::new();
    for j in 0..channels {
        let members: Vec<String> = std::iter::once(publisher.clone())
            .chain((j..clients).step_by(channels).map(|i| naming.user(i)))
            .collect();
        let path = format!("/channels/messaging/{}", naming.channel(j));
        let mut batches = members.chunks(BATCH);
        let first = batches.next().unwrap_or_default();
        creates.push((
            format!("{path}/query"),
            json!({
                "data": {"created_by_id": publisher, "members": first},
                "state": true,
                "messages": {"limit": 0},
                "members": {"limit": 0}
            }),
        ));
        for batch in batches {
            adds.push((path.clone(), json!({ "add_members": batch })));
        }
    }
    all(creates, &c).await?;
    all(adds, &c).await
}
