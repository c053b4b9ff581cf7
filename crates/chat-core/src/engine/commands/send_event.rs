//! Typing indicators and custom channel events: delivered, never stored.

use crate::custom::Custom;
use crate::engine::{Actor, ChatEngine, Outcome};
use crate::error::{Error, Result};
use crate::fanout::{Audience, Event, EventKind};
use crate::ids::{Cid, MessageId};
use crate::permissions::Action;

/// A client event.
#[derive(Debug, Clone)]
pub struct ChannelEventInput {
    /// `typing.start`, `typing.stop`, or a custom type without a dot.
    pub event_type: String,
    /// Thread, for typing in a reply.
    pub parent_id: Option<MessageId>,
    /// Custom fields (custom events).
    pub custom: Custom,
}

impl ChatEngine {
    /// Sends a typing or custom event to the channel's watchers. Typing needs
    /// `typing_events` (and the sender's typing privacy on, else it is silently dropped);
    /// custom events need `custom_events` and `SendCustomEvent`.
    pub async fn send_event(
        &self,
        actor: &Actor,
        cid: &Cid,
        input: ChannelEventInput,
    ) -> Result<Outcome<Event>> {
        let user = actor.require_user("user_id")?.clone();
        let access = self.channel_access(actor, cid).await?;
        access.require_read(actor)?;
        let kind = match input.event_type.as_str() {
            "typing.start" | "typing.stop" => {
                if !access.config.typing_events {
                    return Err(Error::EventNotSupported(input.event_type));
                }
                let (user, parent_id) = (user.id.clone(), input.parent_id);
                if input.event_type == "typing.start" {
                    EventKind::TypingStart { user, parent_id }
                } else {
                    EventKind::TypingStop { user, parent_id }
                }
            }
            t if t.is_empty() || t.contains('.') => {
                return Err(Error::EventNotSupported(input.event_type))
            }
            _ => {
                if !access.config.custom_events {
                    return Err(Error::EventNotSupported(input.event_type));
                }
                access.require(
                    actor,
                    Action::SendCustomEvent,
                    access.actor_owns_channel(actor),
                )?;
                EventKind::Custom {
                    user: user.id.clone(),
                    event_type: input.event_type,
                    data: input.custom,
                }
            }
        };
        let event = Event {
            app: actor.app.id.clone(),
            kind,
            created_at: self.clock.now(),
            cid: Some(cid.clone()),
            actor: Some(user.id.clone()),
            audience: Audience::Channel,
        };
        let dropped = event.kind.is_droppable() && !user.privacy.typing_indicators;
        let events = if dropped {
            Vec::new()
        } else {
            vec![event.clone()]
        };
        Ok(Outcome {
            value: event,
            events,
        })
    }
}
