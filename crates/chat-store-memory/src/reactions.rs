//! `ReactionStore`: reactions unique per (message, user, type), and the message's exact
//! reaction summary (groups and `latest`), maintained in the same critical section.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashSet};

use async_trait::async_trait;
use chat_core::error::StoreError;
use chat_core::ids::{AppId, MessageId, UserId};
use chat_core::model::{Message, Reaction, ReactionGroup, ReactionSummary, LATEST_REACTIONS};
use chat_core::store::{ReactionChange, ReactionStore};
use chat_core::StoreResult;

use crate::state::{message_not_found, Reactions};
use crate::MemoryStore;

impl Reactions {
    /// Stores a reaction, replacing any of the same (user, type); returns the replaced one.
    fn put(&mut self, r: Reaction) -> Option<Reaction> {
        let old = self.take(&r.user_id, &r.kind);
        self.order
            .insert((Reverse(r.created_at), r.user_id.clone(), r.kind.clone()));
        self.by_key.insert((r.user_id.clone(), r.kind.clone()), r);
        old
    }

    /// Removes the user's reaction of `kind`.
    fn take(&mut self, user: &UserId, kind: &str) -> Option<Reaction> {
        let r = self.by_key.remove(&(user.clone(), kind.to_owned()))?;
        self.order
            .remove(&(Reverse(r.created_at), r.user_id.clone(), r.kind.clone()));
        Some(r)
    }

    /// The user's reactions, by type.
    fn of_user<'a>(&'a self, user: &'a UserId) -> impl Iterator<Item = &'a Reaction> + 'a {
        self.by_key
            .range((user.clone(), String::new())..)
            .take_while(move |((u, _), _)| u == user)
            .map(|(_, r)| r)
    }

    /// Reactions newest first (ties by user id, then type).
    fn newest_first(&self) -> impl Iterator<Item = &Reaction> + '_ {
        self.order
            .iter()
            .filter_map(|(_, u, k)| self.by_key.get(&(u.clone(), k.clone())))
    }

    /// The group of `kind` recomputed from the stored reactions; `None` when none is left.
    /// Recomputing (rather than adjusting) keeps first/last times exact when the oldest or
    /// newest reaction of a type is replaced or removed.
    fn group(&self, kind: &str) -> Option<ReactionGroup> {
        let mut group: Option<ReactionGroup> = None;
        for r in self.by_key.values().filter(|r| r.kind == kind) {
            let g = group.get_or_insert(ReactionGroup {
                count: 0,
                sum_scores: 0,
                first_reaction_at: r.created_at,
                last_reaction_at: r.created_at,
            });
            g.count += 1;
            g.sum_scores += u64::from(r.score);
            g.first_reaction_at = g.first_reaction_at.min(r.created_at);
            g.last_reaction_at = g.last_reaction_at.max(r.created_at);
        }
        group
    }
}

/// Brings the message's summary up to date after the reactions of `kinds` changed.
fn refresh<'a>(
    summary: &mut ReactionSummary,
    set: &Reactions,
    kinds: impl IntoIterator<Item = &'a str>,
) {
    for kind in kinds {
        match set.group(kind) {
            Some(g) => {
                summary.groups.insert(kind.to_owned(), g);
            }
            None => {
                summary.groups.remove(kind);
            }
        }
    }
    summary.latest = set.newest_first().take(LATEST_REACTIONS).cloned().collect();
}

#[async_trait]
impl ReactionStore for MemoryStore {
    async fn upsert_reaction(
        &self,
        app: &AppId,
        mut reaction: Reaction,
        enforce_unique: bool,
    ) -> StoreResult<ReactionChange> {
        let mid = reaction.message_id.clone();
        let state = self.app(app)?.ok_or_else(|| message_not_found(&mid))?;
        state.with_message(&mid, |st| {
            let message: &mut Message = st
                .messages
                .get_mut(&mid)
                .ok_or_else(|| message_not_found(&mid))?;
            let set = st.reactions.entry(mid.clone()).or_default();
            let mut kinds: BTreeSet<String> = BTreeSet::new();
            kinds.insert(reaction.kind.clone());
            let mut removed = Vec::new();
            if enforce_unique {
                let others: Vec<String> = set
                    .of_user(&reaction.user_id)
                    .filter(|r| r.kind != reaction.kind)
                    .map(|r| r.kind.clone())
                    .collect();
                for kind in others {
                    removed.extend(set.take(&reaction.user_id, &kind));
                    kinds.insert(kind);
                }
            }
            let updated = match set
                .by_key
                .get(&(reaction.user_id.clone(), reaction.kind.clone()))
            {
                Some(old) => {
                    reaction.created_at = old.created_at;
                    true
                }
                None => false,
            };
            set.put(reaction.clone());
            refresh(
                &mut message.reactions,
                set,
                kinds.iter().map(String::as_str),
            );
            Ok(ReactionChange {
                reaction,
                message: message.clone(),
                updated,
                removed,
            })
        })
    }

    async fn delete_reaction(
        &self,
        app: &AppId,
        message: &MessageId,
        user: &UserId,
        kind: &str,
    ) -> StoreResult<(Reaction, Message)> {
        let state = self.app(app)?.ok_or_else(|| message_not_found(message))?;
        state.with_message(message, |st| {
            let missing = || StoreError::not_found("reaction", format!("{message}/{user}/{kind}"));
            let m = st
                .messages
                .get_mut(message)
                .ok_or_else(|| message_not_found(message))?;
            let set = st.reactions.get_mut(message).ok_or_else(missing)?;
            let removed = set.take(user, kind).ok_or_else(missing)?;
            refresh(&mut m.reactions, set, [kind]);
            if set.by_key.is_empty() {
                st.reactions.remove(message);
            }
            Ok((removed, m.clone()))
        })
    }

    async fn list_reactions(
        &self,
        app: &AppId,
        message: &MessageId,
        limit: usize,
        offset: usize,
    ) -> StoreResult<Vec<Reaction>> {
        let Some(state) = self.app(app)? else {
            return Ok(Vec::new());
        };
        let found = state.try_with_message(message, |st| {
            Ok(st
                .reactions
                .get(message)
                .map(|set| {
                    set.newest_first()
                        .skip(offset)
                        .take(limit)
                        .cloned()
                        .collect()
                })
                .unwrap_or_default())
        })?;
        Ok(found.unwrap_or_default())
    }

    async fn user_reactions(
        &self,
        app: &AppId,
        messages: &[MessageId],
        user: &UserId,
    ) -> StoreResult<Vec<Reaction>> {
        let Some(state) = self.app(app)? else {
            return Ok(Vec::new());
        };
        let mut seen = HashSet::with_capacity(messages.len());
        let mut out = Vec::new();
        for id in messages.iter().filter(|id| seen.insert(*id)) {
            let found = state.try_with_message(id, |st| {
                Ok(st
                    .reactions
                    .get(id)
                    .map(|set| set.of_user(user).cloned().collect::<Vec<_>>())
                    .unwrap_or_default())
            })?;
            out.extend(found.unwrap_or_default());
        }
        Ok(out)
    }
}
