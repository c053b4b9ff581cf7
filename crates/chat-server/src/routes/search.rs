//! `GET /search?payload=`: message search across the channels a channel filter selects.

use std::sync::Arc;

use axum::extract::State;

use crate::http::{ApiResult, Reply};
use crate::present;
use crate::request::Ctx;
use crate::routes::channels::{body_user_id, payload};
use crate::state::AppState;
use crate::wire;

pub async fn search(State(state): State<Arc<AppState>>, ctx: Ctx) -> ApiResult {
    let p = payload(&ctx)?;
    let user_id = body_user_id(&p)?;
    let request = wire::search_request(&p, user_id.clone())?;
    let actor = ctx.actor(&state, user_id.as_ref()).await?;
    let page = state.engine.search_messages(&actor, request).await?;
    let messages = present::messages(
        &state,
        &ctx.app.id,
        actor.user_id(),
        &page.results,
        actor.server,
    )
    .await?;
    Ok(Reply(wire::search_response(
        messages,
        page.next.as_ref(),
        page.previous.as_ref(),
    )))
}
