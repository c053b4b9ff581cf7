//! `SearchStore`: message search by scanning the scoped channels.
//!
//! Each scoped channel is locked in turn (one at a time, as everywhere) and its searchable
//! messages that pass the filter's required text tokens are copied out; chat-core's
//! reference [`SearchQuery::page`] then applies the full filter, the sort and the page.
//! So the memory store *is* the reference: the token semantics live in
//! `chat_core::query::text`, and this module only narrows.

use std::collections::HashSet;

use async_trait::async_trait;
use chat_core::ids::AppId;
use chat_core::model::Message;
use chat_core::query::text::{tokens, TextQuery};
use chat_core::query::{never_searched, required_text, SearchPage, SearchQuery};
use chat_core::store::SearchStore;
use chat_core::StoreResult;

use crate::MemoryStore;

/// Whether a message can match: searchable at all, and its text has the required tokens.
fn candidate(m: &Message, required: &[TextQuery]) -> bool {
    if never_searched(m) {
        return false;
    }
    if required.is_empty() {
        return true;
    }
    let have = tokens(&m.text);
    required.iter().all(|q| q.matches(&have))
}

#[async_trait]
impl SearchStore for MemoryStore {
    async fn search_messages(&self, app: &AppId, query: &SearchQuery) -> StoreResult<SearchPage> {
        let Some(state) = self.app(app)? else {
            return Ok(SearchPage::empty());
        };
        let required = required_text(&query.filter);
        let mut seen = HashSet::new();
        let mut candidates = Vec::new();
        for scope in &query.scopes {
            if !seen.insert(&scope.cid) {
                continue;
            }
            state.try_with_channel(&scope.cid, |ch| {
                candidates.extend(
                    ch.messages
                        .values()
                        .filter(|m| scope.created_after.is_none_or(|t| m.created_at > t))
                        .filter(|m| candidate(m, &required))
                        .cloned(),
                );
                Ok(())
            })?;
        }
        Ok(query.page(candidates))
    }
}
