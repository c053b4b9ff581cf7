//! Table tests of the default grants, the check and `own_capabilities` against
//! api-spec/permissions.md §3–§5.

use std::collections::BTreeSet;

use super::defaults::{spec_app_table, spec_table};
use super::*;
use crate::ids::roles::{
    ADMIN, ANONYMOUS, CHANNEL_MEMBER, CHANNEL_MODERATOR, GUEST, MODERATOR, USER,
};
use crate::ids::Role;
use crate::model::ChannelConfig;

use Action::*;

const TYPES: [&str; 5] = ["messaging", "team", "livestream", "commerce", "gaming"];
const USER_ROLES: [&str; 5] = [ADMIN, MODERATOR, USER, GUEST, ANONYMOUS];
const MEMBERSHIPS: [Option<&str>; 3] = [None, Some(CHANNEL_MEMBER), Some(CHANNEL_MODERATOR)];

/// §4.7: granted to nobody by default, in any channel-type scope.
const NEVER_GRANTED: [Action; 4] = [
    UseFrozenChannel,
    AddOwnChannelMembership,
    CreateDistinctChannelForOthers,
    ReadDisabledChannel,
];

fn set<'a>(ids: impl IntoIterator<Item = &'a str>) -> BTreeSet<&'a str> {
    ids.into_iter().collect()
}

fn spec_row(channel_type: &str, role: &str) -> BTreeSet<&'static str> {
    spec_table(channel_type)
        .into_iter()
        .find(|(r, _)| *r == role)
        .map(|(_, ids)| ids.into_iter().collect())
        .unwrap_or_default()
}

/// Decides with the default grants of `channel_type`, as a client user.
fn decide(
    channel_type: &str,
    role: &str,
    membership: Option<&str>,
    owned: bool,
    action: Action,
) -> bool {
    decide_with(
        &default_grants(channel_type),
        role,
        membership,
        Resource::new(owned),
        action,
    )
}

fn decide_with(
    grants: &Grants,
    role: &str,
    membership: Option<&str>,
    resource: Resource,
    action: Action,
) -> bool {
    let user_role = Role::new_unchecked(role);
    let channel_role = membership.map(Role::new_unchecked);
    let subject = Subject::client(&user_role, channel_role.as_ref());
    allows(grants, &subject, action, &resource, false)
}

// ---------------------------------------------------------------------------------------
// Actions and permission ids

#[test]
fn permission_ids_are_kebab_case_of_the_action_names() {
    for action in Action::ALL {
        let name = format!("{action:?}");
        let mut kebab = String::new();
        for (i, ch) in name.chars().enumerate() {
            if ch.is_ascii_uppercase() && i > 0 {
                kebab.push('-');
            }
            kebab.push(ch.to_ascii_lowercase());
        }
        assert_eq!(action.permission_id(), kebab);
        assert_eq!(Action::from_permission_id(&kebab), Some(*action));
        // Suffix stripping in `split_id` relies on this.
        assert!(!kebab.ends_with(OWNER_SUFFIX) && !kebab.ends_with(ANY_TEAM_SUFFIX));
    }
}

#[test]
fn permissions_parse_and_print() {
    let p = Permission::parse("delete-channel-owner-any-team").unwrap();
    assert_eq!(
        p,
        Permission {
            action: DeleteChannel,
            owner: true,
            any_team: true
        }
    );
    assert_eq!(p.id(), "delete-channel-owner-any-team");
    let p = Permission::parse("update-user-owner").unwrap();
    assert_eq!((p.action, p.owner, p.any_team), (UpdateUser, true, false));
    assert_eq!(
        Permission::parse("remove-own-channel-membership")
            .unwrap()
            .action,
        RemoveOwnChannelMembership
    );
    assert_eq!(Permission::parse("frobnicate"), None);
    assert_eq!(Permission::parse("create-message-any-team-owner"), None);
}

#[test]
fn scopes_follow_the_default_tables() {
    // `.app` actions are exactly those named by the `.app` tables (plus user admin).
    for action in [
        SearchUser,
        FlagUser,
        MuteUser,
        ReadFlagReports,
        UpdateUser,
        CreatePoll,
    ] {
        assert_eq!(action.scope(), Scope::App, "{action}");
    }
    // `ban-user` is in the channel-type "full set".
    for action in [
        BanUser,
        CreateMessage,
        DeleteMessage,
        ReadDisabledChannel,
        SendPoll,
    ] {
        assert_eq!(action.scope(), Scope::ChannelType, "{action}");
    }
    assert_eq!(UpdateMessage.resource(), ResourceKind::Message);
    assert_eq!(DeleteAttachment.resource(), ResourceKind::Attachment);
    assert_eq!(CreateMessage.resource(), ResourceKind::Channel);
}

// ---------------------------------------------------------------------------------------
// Default tables, audited against literal restatements of the spec's "minus" rows

#[test]
fn every_default_id_names_a_known_action_in_its_scope() {
    let mut scopes: Vec<(Scope, Grants)> = TYPES
        .iter()
        .map(|t| (Scope::ChannelType, default_grants(t)))
        .collect();
    scopes.push((Scope::App, default_app_grants()));
    for (scope, grants) in scopes {
        for (role, ids) in &grants.0 {
            for id in ids {
                let p = Permission::parse(id).unwrap_or_else(|| panic!("{role}: unknown {id}"));
                assert_eq!(p.action.scope(), scope, "{role}: {id} in the wrong scope");
            }
            let unique: BTreeSet<_> = ids.iter().collect();
            assert_eq!(unique.len(), ids.len(), "{role}: duplicate ids");
        }
    }
}

#[test]
fn base_rows_have_the_spec_sizes() {
    assert_eq!(spec_row("messaging", ADMIN).len(), 35, "full set");
    assert_eq!(spec_row("messaging", USER).len(), 24);
    assert_eq!(spec_row("messaging", CHANNEL_MEMBER).len(), 16);
    assert_eq!(spec_row("messaging", CHANNEL_MODERATOR).len(), 30);
    assert_eq!(spec_row("livestream", USER).len(), 19);
    assert_eq!(spec_row("livestream", CHANNEL_MODERATOR).len(), 14);
    assert_eq!(spec_row("commerce", GUEST).len(), 13);
    for t in TYPES {
        assert_eq!(spec_row(t, ADMIN), spec_row("messaging", ADMIN), "{t}");
    }
}

#[test]
fn team_and_custom_types_get_messaging_grants() {
    assert_eq!(default_grants("team"), default_grants("messaging"));
    assert_eq!(default_grants("support-desk"), default_grants("messaging"));
    assert_ne!(default_grants("livestream"), default_grants("messaging"));
}

#[test]
fn messaging_moderator_deletes_truncates_recreates_only_as_owner() {
    let full = spec_row("messaging", ADMIN);
    let mut expected = full.clone();
    for id in ["delete-channel", "recreate-channel", "truncate-channel"] {
        expected.remove(id);
    }
    expected.extend([
        "delete-channel-owner",
        "recreate-channel-owner",
        "truncate-channel-owner",
    ]);
    assert_eq!(spec_row("messaging", MODERATOR), expected);
}

#[test]
fn livestream_rows() {
    let mut moderator = spec_row("livestream", ADMIN);
    for id in [
        "delete-channel",
        "recreate-channel",
        "remove-own-channel-membership",
        "truncate-channel",
        "update-channel",
        "update-channel-members",
    ] {
        assert!(moderator.remove(id), "{id}");
    }
    assert_eq!(spec_row("livestream", MODERATOR), moderator);
    assert!(spec_row("livestream", CHANNEL_MEMBER).is_empty());
    assert_eq!(
        spec_row("livestream", ANONYMOUS),
        set(["join-call", "read-channel", "read-channel-members"])
    );
    assert_eq!(
        spec_row("livestream", GUEST),
        set([
            "flag-message",
            "join-call",
            "mute-channel",
            "read-channel",
            "read-channel-members"
        ])
    );
}

#[test]
fn commerce_rows() {
    assert_eq!(
        spec_row("commerce", USER),
        set([
            "add-links-owner",
            "create-message-owner",
            "create-attachment-owner",
            "create-mention-owner",
            "create-reaction-owner",
            "delete-attachment-owner",
            "delete-message-owner",
            "delete-reaction-owner",
            "flag-message-owner",
            "mute-channel-owner",
            "pin-message-owner",
            "read-channel-members-owner",
            "read-channel-owner",
            "remove-own-channel-membership-owner",
            "run-message-action-owner",
            "send-custom-event-owner",
            "update-channel-members-owner",
            "update-message-owner",
            "upload-attachment-owner",
        ])
    );
    assert_eq!(
        spec_row("commerce", CHANNEL_MEMBER),
        set([
            "add-links",
            "create-message",
            "create-attachment",
            "create-mention",
            "create-reaction",
            "flag-message",
            "join-call",
            "mute-channel",
            "read-channel",
            "read-channel-members",
            "remove-own-channel-membership",
            "run-message-action",
            "send-custom-event",
            "upload-attachment",
        ])
    );
    assert_eq!(
        spec_row("commerce", CHANNEL_MODERATOR),
        spec_row("messaging", CHANNEL_MODERATOR)
    );
    let mut moderator = spec_row("commerce", ADMIN);
    for id in ["delete-channel", "recreate-channel", "truncate-channel"] {
        assert!(moderator.remove(id));
    }
    assert_eq!(spec_row("commerce", MODERATOR), moderator);
}

#[test]
fn gaming_rows() {
    assert_eq!(
        spec_row("gaming", USER),
        set([
            "add-links-owner",
            "create-message-owner",
            "create-attachment-owner",
            "create-mention-owner",
            "create-reaction-owner",
            "delete-attachment-owner",
            "delete-message-owner",
            "delete-reaction-owner",
            "flag-message-owner",
            "mute-channel-owner",
            "read-channel-members-owner",
            "read-channel-owner",
            "remove-own-channel-membership-owner",
            "run-message-action-owner",
            "send-custom-event-owner",
            "update-message-owner",
            "upload-attachment-owner",
        ])
    );
    let mut member = spec_row("messaging", CHANNEL_MEMBER);
    assert!(member.remove("pin-message"));
    assert_eq!(spec_row("gaming", CHANNEL_MEMBER), member);
    let mut channel_moderator = spec_row("messaging", CHANNEL_MODERATOR);
    assert!(channel_moderator.remove("update-channel"));
    assert!(channel_moderator.remove("update-channel-members"));
    assert_eq!(spec_row("gaming", CHANNEL_MODERATOR), channel_moderator);
    let mut moderator = spec_row("gaming", ADMIN);
    for id in [
        "create-channel",
        "delete-channel",
        "recreate-channel",
        "truncate-channel",
        "update-channel",
        "update-channel-members",
    ] {
        assert!(moderator.remove(id));
    }
    assert_eq!(spec_row("gaming", MODERATOR), moderator);
}

#[test]
fn app_table() {
    let table = spec_app_table();
    let row = |role: &str| -> BTreeSet<&str> {
        table
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, ids)| ids.iter().copied().collect())
            .unwrap_or_default()
    };
    let staff = set([
        "flag-user",
        "mute-user",
        "read-flag-reports",
        "search-user",
        "update-flag-report",
        "update-user-owner",
    ]);
    let users = set(["flag-user", "mute-user", "search-user", "update-user-owner"]);
    assert_eq!(row(ADMIN), staff);
    assert_eq!(row(MODERATOR), staff);
    assert_eq!(row(USER), users);
    assert_eq!(row(GUEST), users);
    assert!(row(ANONYMOUS).is_empty());
}

#[test]
fn design_extras_are_added_on_top_of_the_spec_rows() {
    let messaging = default_grants("messaging");
    // Restricted visibility: admin only.
    assert!(messaging.has(ADMIN, "create-restricted-visibility-message"));
    assert!(messaging.has(ADMIN, "read-restricted-visibility-message"));
    assert!(!messaging.has(MODERATOR, "read-restricted-visibility-message"));
    // Polls follow `create-message`, suffix included.
    assert!(messaging.has(CHANNEL_MEMBER, "send-poll"));
    assert!(messaging.has(CHANNEL_MEMBER, "cast-vote"));
    assert!(messaging.has(USER, "query-votes-owner"));
    assert!(messaging.has("global_admin", "send-poll-any-team"));
    assert!(default_grants("livestream").has(USER, "send-poll"));
    assert!(!default_grants("livestream").has(ANONYMOUS, "cast-vote"));
    // Commerce guests cannot create messages, hence no polls either.
    assert!(!default_grants("commerce").0[GUEST]
        .iter()
        .any(|id| id.contains("poll")));
    // Every spec id survives untouched.
    for t in TYPES {
        let grants = default_grants(t);
        for (role, ids) in spec_table(t) {
            for id in ids {
                assert!(grants.has(role, id), "{t}/{role}: lost {id}");
            }
        }
    }
    let app = default_app_grants();
    assert!(app.has(USER, "create-poll") && app.has(USER, "close-poll-owner"));
    assert!(app.has(ADMIN, "delete-poll"));
    assert!(!app.has(GUEST, "create-poll"));
}

#[test]
fn multi_tenant_rows() {
    let messaging = default_grants("messaging");
    assert_eq!(
        messaging.role(GLOBAL_ADMIN).len(),
        35 + 3,
        "full set + polls"
    );
    assert!(messaging.has(GLOBAL_ADMIN, "truncate-channel-any-team"));
    assert!(messaging.has(GLOBAL_MODERATOR, "delete-channel-owner-any-team"));
    assert!(!messaging.has(GLOBAL_MODERATOR, "delete-channel-any-team"));
    assert!(default_grants("gaming").has(GLOBAL_ADMIN, "create-channel-any-team"));
    assert!(!default_grants("gaming").has(GLOBAL_MODERATOR, "create-channel-any-team"));
    let app = default_app_grants();
    assert!(app.has(GLOBAL_MODERATOR, "read-flag-reports-any-team"));
    assert!(app.has(GLOBAL_ADMIN, "update-user-owner"));
}

// ---------------------------------------------------------------------------------------
// The check: representative decisions

const NO: Option<&str> = None;
const MEMBER: Option<&str> = Some(CHANNEL_MEMBER);
const CH_MOD: Option<&str> = Some(CHANNEL_MODERATOR);
const OWNED: bool = true;
const OTHERS: bool = false;

/// (type, user role, membership, owns the resource, action, allowed)
type Case = (
    &'static str,
    &'static str,
    Option<&'static str>,
    bool,
    Action,
    bool,
);

const CASES: &[Case] = &[
    // messaging: a non-member reads and writes only channels they created.
    ("messaging", USER, NO, OTHERS, ReadChannel, false),
    ("messaging", USER, NO, OTHERS, ReadChannelMembers, false),
    ("messaging", USER, NO, OTHERS, CreateMessage, false),
    ("messaging", USER, NO, OTHERS, CreateChannel, true),
    ("messaging", USER, NO, OWNED, ReadChannel, true),
    ("messaging", USER, NO, OWNED, CreateMessage, true),
    ("messaging", USER, NO, OWNED, UpdateChannel, true),
    ("messaging", USER, NO, OWNED, UpdateChannelMembers, true),
    ("messaging", USER, NO, OWNED, DeleteChannel, true),
    ("messaging", USER, NO, OWNED, TruncateChannel, true),
    ("messaging", USER, NO, OWNED, BanChannelMember, false),
    ("messaging", USER, NO, OWNED, UpdateChannelFrozen, false),
    // messaging member.
    ("messaging", USER, MEMBER, OTHERS, ReadChannel, true),
    ("messaging", USER, MEMBER, OTHERS, CreateMessage, true),
    ("messaging", USER, MEMBER, OTHERS, CreateReaction, true),
    ("messaging", USER, MEMBER, OTHERS, PinMessage, true),
    ("messaging", USER, MEMBER, OTHERS, CreateCall, true),
    (
        "messaging",
        USER,
        MEMBER,
        OTHERS,
        RemoveOwnChannelMembership,
        true,
    ),
    ("messaging", USER, MEMBER, OTHERS, UpdateChannel, false),
    (
        "messaging",
        USER,
        MEMBER,
        OTHERS,
        UpdateChannelMembers,
        false,
    ),
    ("messaging", USER, MEMBER, OTHERS, DeleteChannel, false),
    (
        "messaging",
        USER,
        MEMBER,
        OTHERS,
        SkipChannelCooldown,
        false,
    ),
    (
        "messaging",
        USER,
        MEMBER,
        OTHERS,
        CreateSystemMessage,
        false,
    ),
    // Own messages through the user role's `-owner` grants, not others'.
    ("messaging", USER, MEMBER, OWNED, UpdateMessage, true),
    ("messaging", USER, MEMBER, OWNED, DeleteMessage, true),
    ("messaging", USER, MEMBER, OTHERS, UpdateMessage, false),
    ("messaging", USER, MEMBER, OTHERS, DeleteMessage, false),
    ("messaging", USER, MEMBER, OWNED, DeleteReaction, true),
    ("messaging", USER, MEMBER, OTHERS, DeleteReaction, false),
    // messaging channel moderator.
    ("messaging", USER, CH_MOD, OTHERS, DeleteMessage, true),
    ("messaging", USER, CH_MOD, OTHERS, UpdateMessage, true),
    ("messaging", USER, CH_MOD, OTHERS, BanChannelMember, true),
    ("messaging", USER, CH_MOD, OTHERS, UpdateChannelFrozen, true),
    ("messaging", USER, CH_MOD, OTHERS, UpdateChannel, true),
    ("messaging", USER, CH_MOD, OTHERS, SkipChannelCooldown, true),
    ("messaging", USER, CH_MOD, OTHERS, DeleteChannel, false),
    ("messaging", USER, CH_MOD, OTHERS, TruncateChannel, false),
    ("messaging", USER, CH_MOD, OTHERS, BanUser, false),
    // messaging app roles.
    ("messaging", MODERATOR, NO, OTHERS, ReadChannel, true),
    ("messaging", MODERATOR, NO, OTHERS, DeleteMessage, true),
    ("messaging", MODERATOR, NO, OTHERS, BanUser, true),
    ("messaging", MODERATOR, NO, OTHERS, DeleteChannel, false),
    ("messaging", MODERATOR, NO, OWNED, DeleteChannel, true),
    ("messaging", ADMIN, NO, OTHERS, DeleteChannel, true),
    ("messaging", ADMIN, NO, OTHERS, TruncateChannel, true),
    ("messaging", ADMIN, NO, OTHERS, RecreateChannel, true),
    (
        "messaging",
        ADMIN,
        NO,
        OTHERS,
        CreateRestrictedVisibilityMessage,
        true,
    ),
    (
        "messaging",
        ADMIN,
        NO,
        OTHERS,
        ReadRestrictedVisibilityMessage,
        true,
    ),
    (
        "messaging",
        MODERATOR,
        NO,
        OTHERS,
        ReadRestrictedVisibilityMessage,
        false,
    ),
    ("messaging", GUEST, NO, OWNED, ReadChannel, false),
    ("messaging", GUEST, MEMBER, OTHERS, CreateMessage, true),
    ("messaging", ANONYMOUS, NO, OTHERS, ReadChannel, false),
    ("team", USER, NO, OTHERS, ReadChannel, false),
    ("team", USER, MEMBER, OTHERS, CreateMessage, true),
    ("custom-type", USER, MEMBER, OTHERS, CreateMessage, true),
    ("custom-type", USER, NO, OTHERS, ReadChannel, false),
    // livestream: no membership needed.
    ("livestream", USER, NO, OTHERS, ReadChannel, true),
    ("livestream", USER, NO, OTHERS, CreateMessage, true),
    ("livestream", USER, NO, OTHERS, CreateReaction, true),
    ("livestream", USER, NO, OTHERS, CreateChannel, true),
    ("livestream", USER, NO, OTHERS, UpdateMessage, false),
    ("livestream", USER, NO, OWNED, UpdateMessage, true),
    ("livestream", USER, NO, OWNED, DeleteMessage, true),
    ("livestream", USER, NO, OTHERS, DeleteMessage, false),
    ("livestream", USER, NO, OTHERS, PinMessage, false),
    ("livestream", USER, NO, OWNED, PinMessage, true),
    ("livestream", USER, NO, OTHERS, CreateCall, false),
    ("livestream", USER, NO, OWNED, UpdateChannel, false),
    ("livestream", USER, MEMBER, OTHERS, DeleteMessage, false),
    ("livestream", USER, CH_MOD, OTHERS, DeleteMessage, true),
    ("livestream", USER, CH_MOD, OTHERS, CreateCall, true),
    (
        "livestream",
        USER,
        CH_MOD,
        OTHERS,
        UpdateChannelFrozen,
        true,
    ),
    ("livestream", USER, CH_MOD, OTHERS, UpdateChannel, false),
    ("livestream", MODERATOR, NO, OTHERS, DeleteMessage, true),
    ("livestream", MODERATOR, NO, OTHERS, BanUser, true),
    ("livestream", MODERATOR, NO, OTHERS, UpdateChannel, false),
    ("livestream", MODERATOR, NO, OTHERS, DeleteChannel, false),
    (
        "livestream",
        MODERATOR,
        MEMBER,
        OTHERS,
        RemoveOwnChannelMembership,
        false,
    ),
    ("livestream", GUEST, NO, OTHERS, ReadChannel, true),
    ("livestream", GUEST, NO, OTHERS, FlagMessage, true),
    ("livestream", GUEST, NO, OTHERS, CreateMessage, false),
    ("livestream", GUEST, NO, OTHERS, CreateReaction, false),
    ("livestream", ANONYMOUS, NO, OTHERS, ReadChannel, true),
    (
        "livestream",
        ANONYMOUS,
        NO,
        OTHERS,
        ReadChannelMembers,
        true,
    ),
    ("livestream", ANONYMOUS, NO, OTHERS, JoinCall, true),
    ("livestream", ANONYMOUS, NO, OTHERS, CreateMessage, false),
    ("livestream", ANONYMOUS, NO, OTHERS, CreateReaction, false),
    ("livestream", ANONYMOUS, NO, OTHERS, FlagMessage, false),
    ("livestream", ANONYMOUS, NO, OTHERS, SendCustomEvent, false),
    // commerce: guests open support channels; users cannot create channels.
    ("commerce", GUEST, NO, OTHERS, CreateChannel, true),
    ("commerce", GUEST, NO, OTHERS, ReadChannel, false),
    ("commerce", GUEST, NO, OWNED, ReadChannel, true),
    ("commerce", GUEST, NO, OWNED, UpdateChannelMembers, true),
    ("commerce", GUEST, NO, OWNED, CreateMessage, false),
    ("commerce", GUEST, MEMBER, OTHERS, CreateMessage, true),
    ("commerce", USER, NO, OTHERS, CreateChannel, false),
    ("commerce", USER, NO, OWNED, ReadChannel, true),
    ("commerce", USER, NO, OWNED, UpdateChannel, false),
    ("commerce", USER, NO, OWNED, DeleteChannel, false),
    ("commerce", USER, MEMBER, OTHERS, CreateMessage, true),
    ("commerce", USER, MEMBER, OTHERS, PinMessage, false),
    ("commerce", USER, MEMBER, OTHERS, CreateCall, false),
    ("commerce", USER, CH_MOD, OTHERS, UpdateChannel, true),
    ("commerce", MODERATOR, NO, OTHERS, UpdateChannel, true),
    ("commerce", MODERATOR, NO, OTHERS, DeleteChannel, false),
    // gaming: only admin creates channels.
    ("gaming", ADMIN, NO, OTHERS, CreateChannel, true),
    ("gaming", MODERATOR, NO, OTHERS, CreateChannel, false),
    ("gaming", USER, NO, OTHERS, CreateChannel, false),
    ("gaming", USER, CH_MOD, OTHERS, CreateChannel, false),
    ("gaming", GUEST, NO, OTHERS, CreateChannel, false),
    ("gaming", ANONYMOUS, NO, OTHERS, CreateChannel, false),
    ("gaming", USER, MEMBER, OTHERS, CreateMessage, true),
    ("gaming", USER, MEMBER, OTHERS, PinMessage, false),
    ("gaming", USER, NO, OWNED, PinMessage, false),
    ("gaming", USER, NO, OWNED, ReadChannel, true),
    ("gaming", USER, NO, OWNED, UpdateChannel, false),
    ("gaming", USER, NO, OWNED, UpdateChannelMembers, false),
    ("gaming", USER, CH_MOD, OTHERS, PinMessage, true),
    ("gaming", USER, CH_MOD, OTHERS, DeleteMessage, true),
    ("gaming", USER, CH_MOD, OTHERS, UpdateChannel, false),
    ("gaming", USER, CH_MOD, OTHERS, UpdateChannelMembers, false),
    ("gaming", MODERATOR, NO, OTHERS, UpdateChannel, false),
    ("gaming", MODERATOR, NO, OTHERS, DeleteMessage, true),
];

#[test]
fn representative_decisions() {
    let mut failures = Vec::new();
    for &(t, role, membership, owned, action, expected) in CASES {
        if decide(t, role, membership, owned, action) != expected {
            failures.push(format!(
                "{t} {role} {membership:?} owned={owned} {action}: expected {expected}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn app_scope_decisions() {
    let app = default_app_grants();
    let cases: &[(&str, bool, Action, bool)] = &[
        (USER, OTHERS, SearchUser, true),
        (USER, OTHERS, FlagUser, true),
        (USER, OTHERS, MuteUser, true),
        (USER, OTHERS, ReadFlagReports, false),
        (USER, OWNED, UpdateUser, true),
        (USER, OTHERS, UpdateUser, false),
        (USER, OWNED, UpdateUserRole, false),
        (USER, OWNED, UpdateUserTeams, false),
        (USER, OTHERS, CreatePoll, true),
        (USER, OWNED, UpdatePoll, true),
        (USER, OTHERS, UpdatePoll, false),
        (MODERATOR, OTHERS, ReadFlagReports, true),
        (MODERATOR, OTHERS, UpdateFlagReport, true),
        (ADMIN, OTHERS, UpdatePoll, true),
        (ADMIN, OTHERS, UpdateUser, false),
        (GUEST, OTHERS, SearchUser, true),
        (GUEST, OTHERS, ReadFlagReports, false),
        (GUEST, OTHERS, CreatePoll, false),
        (ANONYMOUS, OTHERS, SearchUser, false),
    ];
    for &(role, owned, action, expected) in cases {
        let got = decide_with(&app, role, None, Resource::new(owned), action);
        assert_eq!(got, expected, "{role} owned={owned} {action}");
    }
}

// ---------------------------------------------------------------------------------------
// The check: invariants over every type × role × membership × ownership × action

fn every_case() -> impl Iterator<Item = (&'static str, &'static str, Option<&'static str>, Action)>
{
    TYPES.into_iter().flat_map(|t| {
        USER_ROLES.into_iter().flat_map(move |r| {
            MEMBERSHIPS
                .into_iter()
                .flat_map(move |m| Action::ALL.iter().map(move |a| (t, r, m, *a)))
        })
    })
}

#[test]
fn more_ownership_or_a_higher_channel_role_never_loses_rights() {
    for (t, role, membership, action) in every_case() {
        if decide(t, role, membership, OTHERS, action) {
            assert!(
                decide(t, role, membership, OWNED, action),
                "{t} {role} {action}"
            );
        }
        if membership == MEMBER {
            for owned in [OTHERS, OWNED] {
                if decide(t, role, MEMBER, owned, action) {
                    assert!(
                        decide(t, role, CH_MOD, owned, action),
                        "{t} {role} {action}"
                    );
                }
            }
        }
    }
}

#[test]
fn admin_holds_the_full_set_everywhere() {
    for (t, _, membership, action) in every_case() {
        let in_full_set = spec_row("messaging", ADMIN).contains(action.permission_id());
        if in_full_set {
            assert!(decide(t, ADMIN, membership, OTHERS, action), "{t} {action}");
        }
    }
}

#[test]
fn section_4_7_actions_are_granted_to_nobody() {
    for (t, role, membership, action) in every_case() {
        if NEVER_GRANTED.contains(&action) {
            for owned in [OTHERS, OWNED] {
                assert!(
                    !decide(t, role, membership, owned, action),
                    "{t} {role} {action}"
                );
            }
        }
    }
}

#[test]
fn anonymous_non_members_only_read_livestreams() {
    for (t, role, membership, action) in every_case() {
        if role != ANONYMOUS || membership.is_some() {
            continue;
        }
        let expected =
            t == "livestream" && matches!(action, ReadChannel | ReadChannelMembers | JoinCall);
        for owned in [OTHERS, OWNED] {
            assert_eq!(
                decide(t, role, None, owned, action),
                expected,
                "{t} {action}"
            );
        }
    }
}

#[test]
fn server_and_disabled_checks_allow_everything() {
    let nobody = Grants::default();
    let role = Role::new_unchecked(ANONYMOUS);
    for action in Action::ALL {
        let server = check(
            &nobody,
            &Subject::server(&role),
            *action,
            &Resource::NOT_OWNED,
            false,
        );
        assert_eq!(server, Decision::Server);
        let client = Subject::client(&role, None);
        let disabled = check(&nobody, &client, *action, &Resource::NOT_OWNED, true);
        assert_eq!(disabled, Decision::ChecksDisabled);
        assert!(disabled.is_allowed() && disabled.matched().is_none());
        assert_eq!(
            check(&nobody, &client, *action, &Resource::OWNED, false),
            Decision::Denied
        );
    }
}

#[test]
fn decisions_name_the_matching_grant() {
    let grants = default_grants("messaging");
    let user = Role::user();
    let member = Role::channel_member();
    let subject = Subject::client(&user, Some(&member));
    let own_edit = check(&grants, &subject, UpdateMessage, &Resource::OWNED, false);
    assert_eq!(
        own_edit.matched(),
        Some(GrantMatch {
            role: USER,
            permission: "update-message-owner"
        })
    );
    let send = check(
        &grants,
        &subject,
        CreateMessage,
        &Resource::NOT_OWNED,
        false,
    );
    assert_eq!(
        send,
        Decision::Granted(GrantMatch {
            role: CHANNEL_MEMBER,
            permission: "create-message"
        })
    );
    let edit_other = check(
        &grants,
        &subject,
        UpdateMessage,
        &Resource::NOT_OWNED,
        false,
    );
    assert_eq!(edit_other, Decision::Denied);
    assert!(!edit_other.is_allowed());
}

#[test]
fn modifiers_revoke_and_add_per_channel() {
    let base = default_grants("messaging");
    let modifiers = GrantModifiers(
        [
            (
                CHANNEL_MEMBER.to_string(),
                vec!["!create-message".to_string()],
            ),
            (USER.to_string(), vec!["read-channel".to_string()]),
        ]
        .into_iter()
        .collect(),
    );
    let grants = base.with_modifiers(Some(&modifiers));
    let member = |owned, action| decide_with(&grants, USER, MEMBER, Resource::new(owned), action);
    assert!(!member(OTHERS, CreateMessage), "revoked for channel_member");
    assert!(member(OTHERS, ReadChannel), "other member grants kept");
    assert!(
        member(OWNED, CreateMessage),
        "creator keeps create-message-owner"
    );
    assert!(
        decide_with(&grants, USER, NO, Resource::NOT_OWNED, ReadChannel),
        "added to user"
    );
    assert!(!decide_with(
        &base,
        USER,
        NO,
        Resource::NOT_OWNED,
        ReadChannel
    ));
}

#[test]
fn teams_need_any_team_grants() {
    let grants = default_grants("messaging");
    let other_team = |owned| Resource {
        owned_by_subject: owned,
        same_team: false,
    };
    assert!(!decide_with(
        &grants,
        USER,
        MEMBER,
        other_team(OTHERS),
        CreateMessage
    ));
    assert!(!decide_with(
        &grants,
        ADMIN,
        NO,
        other_team(OTHERS),
        DeleteChannel
    ));
    assert!(decide_with(
        &grants,
        GLOBAL_ADMIN,
        NO,
        other_team(OTHERS),
        DeleteChannel
    ));
    assert!(decide_with(
        &grants,
        GLOBAL_ADMIN,
        NO,
        Resource::NOT_OWNED,
        DeleteChannel
    ));
    assert!(!decide_with(
        &grants,
        GLOBAL_MODERATOR,
        NO,
        other_team(OTHERS),
        DeleteChannel
    ));
    assert!(decide_with(
        &grants,
        GLOBAL_MODERATOR,
        NO,
        other_team(OWNED),
        DeleteChannel
    ));
    let app = default_app_grants();
    assert!(decide_with(
        &app,
        GLOBAL_MODERATOR,
        NO,
        other_team(OTHERS),
        SearchUser
    ));
    assert!(!decide_with(
        &app,
        MODERATOR,
        NO,
        other_team(OTHERS),
        SearchUser
    ));
}

// ---------------------------------------------------------------------------------------
// own_capabilities

struct Caps {
    grants: Grants,
    user_role: Role,
    channel_role: Option<Role>,
    is_server: bool,
    created_channel: bool,
    config: ChannelConfig,
    frozen: bool,
    cooldown: Option<u32>,
    disabled: bool,
    permissions_disabled: bool,
}

impl Caps {
    fn new(channel_type: &str, role: &str, membership: Option<&str>) -> Self {
        Self {
            grants: default_grants(channel_type),
            user_role: Role::new_unchecked(role),
            channel_role: membership.map(Role::new_unchecked),
            is_server: false,
            created_channel: false,
            config: ChannelConfig::default(),
            frozen: false,
            cooldown: None,
            disabled: false,
            permissions_disabled: false,
        }
    }

    fn get(&self) -> Vec<&'static str> {
        let caps = own_capabilities(&CapabilityContext {
            grants: &self.grants,
            subject: Subject {
                user_role: &self.user_role,
                channel_role: self.channel_role.as_ref(),
                is_server: self.is_server,
            },
            created_channel: self.created_channel,
            same_team: true,
            config: &self.config,
            frozen: self.frozen,
            cooldown: self.cooldown,
            disabled: self.disabled,
            permissions_disabled: self.permissions_disabled,
        });
        assert!(
            caps.windows(2).all(|w| w[0] < w[1]),
            "sorted, unique: {caps:?}"
        );
        caps
    }

    fn has(&self, cap: &str) -> bool {
        self.get().contains(&cap)
    }
}

use super::capability as cap;

#[test]
fn messaging_member_capabilities() {
    let caps = Caps::new("messaging", USER, MEMBER).get();
    assert_eq!(
        caps,
        [
            cap::CONNECT_EVENTS,
            cap::CREATE_CALL,
            cap::DELETE_OWN_MESSAGE,
            cap::FLAG_MESSAGE,
            cap::JOIN_CALL,
            cap::LEAVE_CHANNEL,
            cap::MUTE_CHANNEL,
            cap::PIN_MESSAGE,
            cap::QUOTE_MESSAGE,
            cap::READ_EVENTS,
            cap::SEARCH_MESSAGES,
            cap::SEND_CUSTOM_EVENTS,
            cap::SEND_LINKS,
            cap::SEND_MESSAGE,
            cap::SEND_REACTION,
            cap::SEND_REPLY,
            cap::SEND_TYPING_EVENTS,
            cap::TYPING_EVENTS,
            cap::UPDATE_OWN_MESSAGE,
            cap::UPLOAD_FILE,
        ]
    );
}

#[test]
fn messaging_channel_moderator_capabilities() {
    let caps = Caps::new("messaging", USER, CH_MOD).get();
    for c in [
        cap::DELETE_ANY_MESSAGE,
        cap::UPDATE_ANY_MESSAGE,
        cap::BAN_CHANNEL_MEMBERS,
        cap::FREEZE_CHANNEL,
        cap::SET_CHANNEL_COOLDOWN,
        cap::SKIP_SLOW_MODE,
        cap::UPDATE_CHANNEL,
        cap::UPDATE_CHANNEL_MEMBERS,
    ] {
        assert!(caps.contains(&c), "{c}");
    }
    assert!(!caps.contains(&cap::DELETE_CHANNEL));
}

#[test]
fn messaging_non_member_and_creator() {
    let stranger = Caps::new("messaging", USER, NO);
    for c in [
        cap::SEND_MESSAGE,
        cap::SEARCH_MESSAGES,
        cap::MUTE_CHANNEL,
        cap::SEND_REACTION,
    ] {
        assert!(!stranger.has(c), "{c}");
    }
    let mut creator = Caps::new("messaging", USER, NO);
    creator.created_channel = true;
    let caps = creator.get();
    for c in [cap::SEND_MESSAGE, cap::UPDATE_CHANNEL, cap::DELETE_CHANNEL] {
        assert!(caps.contains(&c), "{c}");
    }
    // Leaving and muting are for members.
    assert!(!caps.contains(&cap::LEAVE_CHANNEL) && !caps.contains(&cap::MUTE_CHANNEL));
}

#[test]
fn frozen_channels_drop_writes_unless_use_frozen_channel() {
    let mut member = Caps::new("messaging", USER, MEMBER);
    member.frozen = true;
    let caps = member.get();
    for c in [
        cap::SEND_MESSAGE,
        cap::SEND_REPLY,
        cap::QUOTE_MESSAGE,
        cap::SEND_REACTION,
    ] {
        assert!(!caps.contains(&c), "{c}");
    }
    assert!(caps.contains(&cap::READ_EVENTS));
    member.grants = member.grants.apply_modifiers(&GrantModifiers(
        [(
            CHANNEL_MEMBER.to_string(),
            vec!["use-frozen-channel".to_string()],
        )]
        .into_iter()
        .collect(),
    ));
    let caps = member.get();
    for c in [
        cap::SEND_MESSAGE,
        cap::SEND_REPLY,
        cap::QUOTE_MESSAGE,
        cap::SEND_REACTION,
    ] {
        assert!(caps.contains(&c), "{c}");
    }
}

#[test]
fn config_flags_gate_capabilities() {
    let mut member = Caps::new("messaging", USER, MEMBER);
    member.config.replies = false;
    let caps = member.get();
    assert!(!caps.contains(&cap::SEND_REPLY));
    assert!(caps.contains(&cap::SEND_MESSAGE) && caps.contains(&cap::QUOTE_MESSAGE));

    let mut member = Caps::new("messaging", USER, MEMBER);
    member.config.reactions = false;
    member.config.uploads = false;
    member.config.typing_events = false;
    member.config.search = false;
    let caps = member.get();
    for c in [
        cap::SEND_REACTION,
        cap::UPLOAD_FILE,
        cap::TYPING_EVENTS,
        cap::SEND_TYPING_EVENTS,
        cap::SEARCH_MESSAGES,
    ] {
        assert!(!caps.contains(&c), "{c}");
    }

    let mut member = Caps::new("messaging", USER, MEMBER);
    assert!(!member.has(cap::SEND_POLL));
    member.config.polls = true;
    member.config.shared_locations = true;
    member.config.delivery_events = true;
    let caps = member.get();
    for c in [
        cap::SEND_POLL,
        cap::CAST_POLL_VOTE,
        cap::QUERY_POLL_VOTES,
        cap::SHARE_LOCATION,
        cap::DELIVERY_EVENTS,
    ] {
        assert!(caps.contains(&c), "{c}");
    }
}

#[test]
fn cooldown_adds_slow_mode() {
    let mut member = Caps::new("messaging", USER, MEMBER);
    member.cooldown = Some(0);
    assert!(!member.has(cap::SLOW_MODE));
    member.cooldown = Some(30);
    assert!(member.has(cap::SLOW_MODE));
    assert!(!member.has(cap::SKIP_SLOW_MODE));
    member.channel_role = Some(Role::new_unchecked(CHANNEL_MODERATOR));
    assert!(member.has(cap::SKIP_SLOW_MODE));
}

#[test]
fn disabled_channels_give_clients_nothing() {
    let mut admin = Caps::new("messaging", ADMIN, MEMBER);
    admin.disabled = true;
    assert!(admin.get().is_empty());
    admin.permissions_disabled = true;
    assert!(admin.get().is_empty());
}

#[test]
fn server_gets_every_capability() {
    let mut server = Caps::new("messaging", USER, NO);
    server.is_server = true;
    server.disabled = true;
    server.frozen = true;
    let caps = server.get();
    let expected: Vec<&str> = ALL_CAPABILITIES
        .iter()
        .copied()
        .filter(|c| *c != cap::SLOW_MODE)
        .collect();
    assert_eq!(caps, expected);
    server.cooldown = Some(10);
    assert_eq!(server.get(), ALL_CAPABILITIES);
}

#[test]
fn disabled_permission_checks_grant_every_right_but_keep_state_and_config() {
    let mut stranger = Caps::new("messaging", ANONYMOUS, NO);
    stranger.permissions_disabled = true;
    stranger.frozen = true;
    let caps = stranger.get();
    for c in [
        cap::SEND_MESSAGE,
        cap::DELETE_ANY_MESSAGE,
        cap::JOIN_CHANNEL,
        cap::DELETE_CHANNEL,
    ] {
        assert!(caps.contains(&c), "{c}");
    }
    // Config gates, state flags and membership conditions still apply.
    for c in [
        cap::SEND_POLL,
        cap::SLOW_MODE,
        cap::LEAVE_CHANNEL,
        cap::MUTE_CHANNEL,
    ] {
        assert!(!caps.contains(&c), "{c}");
    }
}

#[test]
fn livestream_capabilities_without_membership() {
    let user = Caps::new("livestream", USER, NO).get();
    assert!(user.contains(&cap::SEND_MESSAGE) && user.contains(&cap::SEND_REACTION));
    assert!(user.contains(&cap::UPDATE_OWN_MESSAGE) && !user.contains(&cap::UPDATE_ANY_MESSAGE));
    let anonymous = Caps::new("livestream", ANONYMOUS, NO).get();
    assert!(anonymous.contains(&cap::JOIN_CALL) && anonymous.contains(&cap::READ_EVENTS));
    for c in [
        cap::SEND_MESSAGE,
        cap::SEND_REACTION,
        cap::FLAG_MESSAGE,
        cap::SEND_LINKS,
    ] {
        assert!(!anonymous.contains(&c), "{c}");
    }
}

#[test]
fn capability_names_cover_the_confirmed_list() {
    assert!(ALL_CAPABILITIES.windows(2).all(|w| w[0] < w[1]));
    // objects.md §15, confirmed names.
    for c in [
        "ban-channel-members",
        "connect-events",
        "create-call",
        "delete-any-message",
        "delete-channel",
        "delete-own-message",
        "flag-message",
        "freeze-channel",
        "join-call",
        "join-channel",
        "leave-channel",
        "mute-channel",
        "pin-message",
        "quote-message",
        "read-events",
        "search-messages",
        "send-custom-events",
        "send-links",
        "send-message",
        "send-reaction",
        "send-reply",
        "send-typing-events",
        "set-channel-cooldown",
        "skip-slow-mode",
        "slow-mode",
        "typing-events",
        "update-any-message",
    ] {
        assert!(ALL_CAPABILITIES.contains(&c), "{c}");
    }
}
