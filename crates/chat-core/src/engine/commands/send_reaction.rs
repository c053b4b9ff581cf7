//! Add (or replace) a reaction.

use crate::custom::Custom;
use crate::engine::{Actor, ChatEngine, Outcome, MAX_REACTION_CUSTOM_BYTES, MAX_REACTION_TYPE_LEN};
use crate::error::{Error, Result};
use crate::fanout::{Event, EventKind};
use crate::ids::MessageId;
use crate::model::{Message, Reaction};
use crate::permissions::Action;

/// A reaction as a client sends it.
#[derive(Debug, Clone)]
pub struct ReactionInput {
    /// Type (`like`, …).
    pub kind: String,
    /// Score (default 1).
    pub score: Option<u32>,
    /// Custom fields (≤1 KB).
    pub custom: Custom,
}

const REACTION_RESERVED: &[&str] = &[
    "type",
    "score",
    "user",
    "user_id",
    "message_id",
    "created_at",
    "updated_at",
];

impl ChatEngine {
    /// Adds the actor's reaction of a type (one per user, type and message; a repeat
    /// replaces it). With `enforce_unique`, the actor's other reactions on the message go.
    pub async fn send_reaction(
        &self,
        actor: &Actor,
        message_id: &MessageId,
        input: ReactionInput,
        enforce_unique: bool,
    ) -> Result<Outcome<(Message, Reaction)>> {
        let user = actor.require_user("reaction.user_id")?.id.clone();
        if input.kind.is_empty()
            || input.kind.len() > MAX_REACTION_TYPE_LEN
            || input.kind.chars().any(char::is_whitespace)
        {
            return Err(Error::invalid(
                "reaction.type",
                format!("must be 1 to {MAX_REACTION_TYPE_LEN} characters without spaces"),
            ));
        }
        input
            .custom
            .validate("reaction", REACTION_RESERVED, MAX_REACTION_CUSTOM_BYTES)?;
        let app = &actor.app.id;
        let message = self
            .store
            .get_messages(app, std::slice::from_ref(message_id))
            .await?
            .into_iter()
            .next()
            .filter(|m| m.deleted_at.is_none())
            .ok_or_else(|| Error::not_found("message", message_id))?;
        let access = self.channel_access(actor, &message.cid).await?;
        if !access.config.reactions {
            return Err(Error::FeatureDisabled("reactions"));
        }
        let now = self.clock.now();
        access.require_writable(actor, now)?;
        access.require(
            actor,
            Action::CreateReaction,
            access.actor_owns_channel(actor),
        )?;
        let reaction = Reaction {
            message_id: message_id.clone(),
            user_id: user.clone(),
            kind: input.kind,
            score: input.score.unwrap_or(1),
            custom: input.custom,
            created_at: now,
            updated_at: now,
        };
        let change = self
            .store
            .upsert_reaction(app, reaction, enforce_unique)
            .await?;
        let audience = super::update_message::message_audience(&change.message);
        let mut events: Vec<Event> = change
            .removed
            .iter()
            .map(|r| Event {
                app: actor.app.id.clone(),
                kind: EventKind::ReactionDeleted {
                    message: change.message.clone(),
                    reaction: r.clone(),
                },
                created_at: now,
                cid: Some(change.message.cid.clone()),
                actor: Some(user.clone()),
                audience: audience.clone(),
            })
            .collect();
        let kind = if change.updated {
            EventKind::ReactionUpdated {
                message: change.message.clone(),
                reaction: change.reaction.clone(),
            }
        } else {
            EventKind::ReactionNew {
                message: change.message.clone(),
                reaction: change.reaction.clone(),
            }
        };
        events.push(Event {
            app: actor.app.id.clone(),
            kind,
            created_at: now,
            cid: Some(change.message.cid.clone()),
            actor: Some(user),
            audience,
        });
        Ok(Outcome {
            value: (change.message, change.reaction),
            events,
        })
    }
}
