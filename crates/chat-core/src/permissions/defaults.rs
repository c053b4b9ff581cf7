//! Default grants per scope (api-spec/permissions.md §4).
//!
//! Layout, so the tables can be audited against the spec line by line:
//! * `spec_table` restates §4.1–4.5 only, composed from the const lists below with the
//!   same "X minus Y" wording the spec uses;
//! * `default_grants` / `default_app_grants` add the DESIGN extras (§3 polls, §4.7
//!   restricted visibility for `admin`) and the multi-tenant roles of §4.6, each in one
//!   clearly named function so it can be changed once verified.

use crate::ids::roles::{
    ADMIN, ANONYMOUS, CHANNEL_MEMBER, CHANNEL_MODERATOR, GUEST, MODERATOR, USER,
};

use super::action::{split_id, Action, ANY_TEAM_SUFFIX};
use super::grants::Grants;

/// Multi-tenant app-wide administrator (§2).
pub const GLOBAL_ADMIN: &str = "global_admin";
/// Multi-tenant app-wide moderator (§2).
pub const GLOBAL_MODERATOR: &str = "global_moderator";

/// Role → ids, in spec order, before conversion to [`Grants`].
type Table = Vec<(&'static str, Vec<&'static str>)>;

/// §4.2 "full set": everything `admin` holds in a channel-type scope.
const FULL_SET: &[&str] = &[
    "add-links",
    "ban-channel-member",
    "ban-user",
    "create-call",
    "create-channel",
    "create-message",
    "create-attachment",
    "create-mention",
    "create-reaction",
    "create-system-message",
    "delete-attachment",
    "delete-channel",
    "delete-message",
    "delete-reaction",
    "flag-message",
    "join-call",
    "mute-channel",
    "pin-message",
    "read-channel",
    "read-channel-members",
    "read-message-flags",
    "recreate-channel",
    "remove-own-channel-membership",
    "run-message-action",
    "send-custom-event",
    "skip-channel-cooldown",
    "skip-message-moderation",
    "truncate-channel",
    "unblock-message",
    "update-channel",
    "update-channel-cooldown",
    "update-channel-frozen",
    "update-channel-members",
    "update-message",
    "upload-attachment",
];

/// Channel deletion/recreation/truncation, which several moderator rows lose.
const CHANNEL_LIFECYCLE: &[&str] = &["delete-channel", "recreate-channel", "truncate-channel"];

/// The same, owner-only (messaging `moderator`).
const CHANNEL_LIFECYCLE_OWNER: &[&str] = &[
    "delete-channel-owner",
    "recreate-channel-owner",
    "truncate-channel-owner",
];

/// §4.2 `user`: `create-channel` plus owner-only variants, so a regular user acts on a
/// messaging channel only as its creator (or through a membership role).
const MESSAGING_USER: &[&str] = &[
    "create-channel",
    "add-links-owner",
    "create-message-owner",
    "create-attachment-owner",
    "create-mention-owner",
    "create-reaction-owner",
    "delete-attachment-owner",
    "delete-channel-owner",
    "delete-message-owner",
    "delete-reaction-owner",
    "flag-message-owner",
    "mute-channel-owner",
    "pin-message-owner",
    "read-channel-members-owner",
    "read-channel-owner",
    "recreate-channel-owner",
    "remove-own-channel-membership-owner",
    "run-message-action-owner",
    "send-custom-event-owner",
    "truncate-channel-owner",
    "update-channel-members-owner",
    "update-channel-owner",
    "update-message-owner",
    "upload-attachment-owner",
];

/// §4.2 `channel_member`.
const CHANNEL_MEMBER_SET: &[&str] = &[
    "add-links",
    "create-call",
    "create-message",
    "create-attachment",
    "create-mention",
    "create-reaction",
    "flag-message",
    "join-call",
    "mute-channel",
    "pin-message",
    "read-channel",
    "read-channel-members",
    "remove-own-channel-membership",
    "run-message-action",
    "send-custom-event",
    "upload-attachment",
];

/// §4.2 `channel_moderator` = `channel_member` set plus these.
const CHANNEL_MODERATOR_EXTRA: &[&str] = &[
    "ban-channel-member",
    "create-system-message",
    "delete-attachment",
    "delete-message",
    "delete-reaction",
    "read-message-flags",
    "skip-channel-cooldown",
    "skip-message-moderation",
    "unblock-message",
    "update-channel",
    "update-channel-cooldown",
    "update-channel-frozen",
    "update-channel-members",
    "update-message",
];

/// §4.3 `livestream` `moderator` = full set minus these.
const LIVESTREAM_MODERATOR_MINUS: &[&str] = &[
    "delete-channel",
    "recreate-channel",
    "remove-own-channel-membership",
    "truncate-channel",
    "update-channel",
    "update-channel-members",
];

/// §4.3 `livestream` `user`: read and write without membership.
const LIVESTREAM_USER: &[&str] = &[
    "add-links",
    "create-channel",
    "create-message",
    "create-attachment",
    "create-mention",
    "create-reaction",
    "delete-attachment-owner",
    "delete-message-owner",
    "delete-reaction-owner",
    "flag-message",
    "join-call",
    "mute-channel",
    "pin-message-owner",
    "read-channel",
    "read-channel-members",
    "run-message-action",
    "send-custom-event",
    "update-message-owner",
    "upload-attachment",
];

/// §4.3 `livestream` `channel_moderator`.
const LIVESTREAM_CHANNEL_MODERATOR: &[&str] = &[
    "ban-channel-member",
    "create-call",
    "create-system-message",
    "delete-attachment",
    "delete-message",
    "delete-reaction",
    "pin-message",
    "read-message-flags",
    "skip-channel-cooldown",
    "skip-message-moderation",
    "unblock-message",
    "update-channel-cooldown",
    "update-channel-frozen",
    "update-message",
];

/// §4.3 `livestream` `guest`.
const LIVESTREAM_GUEST: &[&str] = &[
    "flag-message",
    "join-call",
    "mute-channel",
    "read-channel",
    "read-channel-members",
];

/// §4.3 `livestream` `anonymous`: read only.
const LIVESTREAM_ANONYMOUS: &[&str] = &["join-call", "read-channel", "read-channel-members"];

/// §4.4 `commerce` `user` = messaging `user` minus these.
const COMMERCE_USER_MINUS: &[&str] = &[
    "create-channel",
    "delete-channel-owner",
    "recreate-channel-owner",
    "truncate-channel-owner",
    "update-channel-owner",
];

/// §4.4 `commerce` `channel_member` = messaging `channel_member` minus these.
const COMMERCE_MEMBER_MINUS: &[&str] = &["create-call", "pin-message"];

/// §4.4 `commerce` `guest`: may open a support channel and act on it as its owner.
const COMMERCE_GUEST: &[&str] = &[
    "add-links",
    "create-channel",
    "delete-attachment-owner",
    "delete-message-owner",
    "delete-reaction-owner",
    "flag-message-owner",
    "mute-channel-owner",
    "pin-message-owner",
    "read-channel-members-owner",
    "read-channel-owner",
    "update-channel-members-owner",
    "update-message-owner",
    "upload-attachment",
];

/// §4.5 `gaming` `moderator` = full set minus these (only `admin` creates channels).
const GAMING_MODERATOR_MINUS: &[&str] = &[
    "create-channel",
    "delete-channel",
    "recreate-channel",
    "truncate-channel",
    "update-channel",
    "update-channel-members",
];

/// §4.5 `gaming` `user` = messaging `user` minus these.
const GAMING_USER_MINUS: &[&str] = &[
    "create-channel",
    "delete-channel-owner",
    "pin-message-owner",
    "recreate-channel-owner",
    "truncate-channel-owner",
    "update-channel-members-owner",
    "update-channel-owner",
];

/// §4.5 `gaming` `channel_member` = messaging `channel_member` minus these.
const GAMING_MEMBER_MINUS: &[&str] = &["pin-message"];

/// §4.5 `gaming` `channel_moderator` = messaging `channel_moderator` minus these.
const GAMING_CHANNEL_MODERATOR_MINUS: &[&str] = &["update-channel", "update-channel-members"];

/// §4.1 `.app` grants of `admin` and `moderator`.
const APP_STAFF: &[&str] = &[
    "flag-user",
    "mute-user",
    "read-flag-reports",
    "search-user",
    "update-flag-report",
    "update-user-owner",
];

/// §4.1 `.app` grants of `user` and `guest`.
const APP_USER: &[&str] = &["flag-user", "mute-user", "search-user", "update-user-owner"];

/// §4.6 `.app` grants of `global_admin` and `global_moderator`.
const APP_GLOBAL: &[&str] = &[
    "flag-user-any-team",
    "mute-user-any-team",
    "read-flag-reports-any-team",
    "search-user-any-team",
    "update-flag-report-any-team",
    "update-user-owner",
];

/// `base` without `removed`. Every removed id must be in `base`: a typo would otherwise
/// silently grant more than the spec says (debug builds, hence every test, check this).
fn without(base: &[&'static str], removed: &[&str]) -> Vec<&'static str> {
    debug_assert!(
        removed.iter().all(|id| base.contains(id)),
        "removing ids absent from the base row: {removed:?}"
    );
    base.iter()
        .copied()
        .filter(|id| !removed.contains(id))
        .collect()
}

/// `base` followed by `extra`.
fn plus(mut base: Vec<&'static str>, extra: &[&'static str]) -> Vec<&'static str> {
    base.extend_from_slice(extra);
    base
}

/// messaging `channel_moderator`, reused by commerce and gaming.
fn messaging_channel_moderator() -> Vec<&'static str> {
    plus(CHANNEL_MEMBER_SET.to_vec(), CHANNEL_MODERATOR_EXTRA)
}

/// The §4.2–4.5 table of a channel type, exactly as the spec states it. Unknown (custom)
/// types get the messaging table (§1: "New channel types start with the messaging grants").
pub(crate) fn spec_table(channel_type: &str) -> Table {
    match channel_type {
        "livestream" => vec![
            (ADMIN, FULL_SET.to_vec()),
            (MODERATOR, without(FULL_SET, LIVESTREAM_MODERATOR_MINUS)),
            (USER, LIVESTREAM_USER.to_vec()),
            (CHANNEL_MODERATOR, LIVESTREAM_CHANNEL_MODERATOR.to_vec()),
            (GUEST, LIVESTREAM_GUEST.to_vec()),
            (ANONYMOUS, LIVESTREAM_ANONYMOUS.to_vec()),
        ],
        "commerce" => vec![
            (ADMIN, FULL_SET.to_vec()),
            (MODERATOR, without(FULL_SET, CHANNEL_LIFECYCLE)),
            (USER, without(MESSAGING_USER, COMMERCE_USER_MINUS)),
            (
                CHANNEL_MEMBER,
                without(CHANNEL_MEMBER_SET, COMMERCE_MEMBER_MINUS),
            ),
            (CHANNEL_MODERATOR, messaging_channel_moderator()),
            (GUEST, COMMERCE_GUEST.to_vec()),
        ],
        "gaming" => vec![
            (ADMIN, FULL_SET.to_vec()),
            (MODERATOR, without(FULL_SET, GAMING_MODERATOR_MINUS)),
            (USER, without(MESSAGING_USER, GAMING_USER_MINUS)),
            (
                CHANNEL_MEMBER,
                without(CHANNEL_MEMBER_SET, GAMING_MEMBER_MINUS),
            ),
            (
                CHANNEL_MODERATOR,
                without(
                    &messaging_channel_moderator(),
                    GAMING_CHANNEL_MODERATOR_MINUS,
                ),
            ),
        ],
        // `messaging`, `team` (identical defaults) and every custom type.
        _ => vec![
            (ADMIN, FULL_SET.to_vec()),
            (
                MODERATOR,
                plus(
                    without(FULL_SET, CHANNEL_LIFECYCLE),
                    CHANNEL_LIFECYCLE_OWNER,
                ),
            ),
            (USER, MESSAGING_USER.to_vec()),
            (CHANNEL_MEMBER, CHANNEL_MEMBER_SET.to_vec()),
            (CHANNEL_MODERATOR, messaging_channel_moderator()),
        ],
    }
}

/// The §4.1 `.app` table, exactly as the spec states it.
pub(crate) fn spec_app_table() -> Table {
    vec![
        (ADMIN, APP_STAFF.to_vec()),
        (MODERATOR, APP_STAFF.to_vec()),
        (USER, APP_USER.to_vec()),
        (GUEST, APP_USER.to_vec()),
    ]
}

/// Default grants of a channel type scope; unknown types get the `messaging` grants.
pub fn default_grants(channel_type: &str) -> Grants {
    let spec = spec_table(channel_type);
    // §4.6: `global_moderator` mirrors this scope's `moderator` row, cross-team.
    let global_moderator = spec
        .iter()
        .find(|(role, _)| *role == MODERATOR)
        .map(|(_, ids)| any_team(ids))
        .unwrap_or_default();
    let mut rows: Vec<(&str, Vec<String>)> = spec
        .into_iter()
        .map(|(role, ids)| (role, owned(&ids)))
        .collect();
    rows.push((GLOBAL_ADMIN, any_team(FULL_SET)));
    rows.push((GLOBAL_MODERATOR, global_moderator));
    for (role, ids) in &mut rows {
        if *role == ADMIN {
            ids.extend(owned(ADMIN_RESTRICTED_VISIBILITY));
        }
        let polls = derived_poll_grants(ids);
        ids.extend(polls);
    }
    rows.into_iter().collect()
}

/// Default grants of the `.app` scope.
pub fn default_app_grants() -> Grants {
    let mut rows: Vec<(&str, Vec<String>)> = spec_app_table()
        .into_iter()
        .map(|(role, ids)| (role, owned(&ids)))
        .collect();
    for (role, ids) in &mut rows {
        match *role {
            ADMIN => ids.extend(owned(APP_POLLS_ADMIN)),
            USER | MODERATOR => ids.extend(owned(APP_POLLS_CREATOR)),
            _ => {}
        }
    }
    rows.push((GLOBAL_ADMIN, owned(APP_GLOBAL)));
    rows.push((GLOBAL_MODERATOR, owned(APP_GLOBAL)));
    rows.into_iter().collect()
}

/// DESIGN (§4.7: "create-restricted-visibility-message (DESIGN: admin),
/// read-restricted-visibility-message (docs: admin by default)").
const ADMIN_RESTRICTED_VISIBILITY: &[&str] = &[
    "create-restricted-visibility-message",
    "read-restricted-visibility-message",
];

/// DESIGN (§3 polls): `CreatePoll`/`QueryPolls` for `user`, `moderator`, `admin`;
/// `UpdatePoll`/`DeletePoll`/`ClosePoll` for `admin` and, as owner, the poll creator.
const APP_POLLS_ADMIN: &[&str] = &[
    "create-poll",
    "query-polls",
    "update-poll",
    "delete-poll",
    "close-poll",
];

/// DESIGN (§3 polls): what a poll creator (`user`, `moderator`) holds in `.app`.
const APP_POLLS_CREATOR: &[&str] = &[
    "create-poll",
    "query-polls",
    "update-poll-owner",
    "delete-poll-owner",
    "close-poll-owner",
];

/// DESIGN (§3 polls): every role holding `create-message` also gets `send-poll`,
/// `cast-vote` and `query-votes`. We carry the suffixes over, so `create-message-owner`
/// (messaging `user`) yields `send-poll-owner` etc.: whoever may write may also poll.
fn derived_poll_grants(ids: &[String]) -> Vec<String> {
    const POLL_ACTIONS: [Action; 3] = [Action::SendPoll, Action::CastVote, Action::QueryVotes];
    let create_message = Action::CreateMessage.permission_id();
    ids.iter()
        .filter_map(|id| {
            let base = split_id(id).base;
            // Keep the exact suffix text (`-owner`, `-any-team`…) after the action part.
            (base == create_message).then(|| &id[base.len()..])
        })
        .flat_map(|suffix| {
            POLL_ACTIONS
                .iter()
                .map(move |a| format!("{}{suffix}", a.permission_id()))
        })
        .collect()
}

/// §4.6: the `-any-team` variant of each id.
fn any_team(ids: &[&str]) -> Vec<String> {
    ids.iter()
        .map(|id| format!("{id}{ANY_TEAM_SUFFIX}"))
        .collect()
}

/// Owned copies of static ids, so DESIGN extras (built with `format!`) can join them.
fn owned(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|id| (*id).to_owned()).collect()
}
