//! Grant tables (role → permission ids, one per scope) and the operations the API performs
//! on them (api-spec/permissions.md §1): channel grant modifiers and per-role updates.
//! The default tables themselves live in `defaults.rs`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Role name → permission ids (e.g. `create-message`, `update-message-owner`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Grants(pub BTreeMap<String, Vec<String>>);

/// Per-channel grant modifiers: per role, ids to add, or `!id` to revoke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct GrantModifiers(pub BTreeMap<String, Vec<String>>);

/// Prefix of a grant modifier entry that revokes instead of adding.
pub const REVOKE_PREFIX: char = '!';

impl Grants {
    /// The permission ids granted to `role` (empty if the role has none in this scope).
    pub fn role(&self, role: &str) -> &[String] {
        self.0.get(role).map_or(&[], Vec::as_slice)
    }

    /// Whether `role` holds exactly the permission id `id` (no suffix interpretation).
    pub fn has(&self, role: &str, id: &str) -> bool {
        self.role(role).iter().any(|granted| granted == id)
    }

    /// These grants with a channel's modifiers applied: per role, `id` adds the id (once)
    /// and `!id` revokes exactly that id (`!create-message` leaves `create-message-owner`).
    /// Roles left without grants are dropped.
    pub fn apply_modifiers(&self, modifiers: &GrantModifiers) -> Grants {
        let mut out = self.clone();
        for (role, entries) in &modifiers.0 {
            let ids = out.0.entry(role.clone()).or_default();
            for entry in entries {
                match entry.strip_prefix(REVOKE_PREFIX) {
                    Some(revoked) => ids.retain(|id| id != revoked),
                    None if !ids.contains(entry) => ids.push(entry.clone()),
                    None => {}
                }
            }
            if ids.is_empty() {
                out.0.remove(role);
            }
        }
        out
    }

    /// Like [`Grants::apply_modifiers`], but borrows when there is nothing to apply, which
    /// is the common case (most channels have no overrides).
    pub fn with_modifiers(&self, modifiers: Option<&GrantModifiers>) -> Cow<'_, Grants> {
        match modifiers {
            Some(m) if !m.0.is_empty() => Cow::Owned(self.apply_modifiers(m)),
            _ => Cow::Borrowed(self),
        }
    }

    /// Applies a grants update (`PUT /channeltypes/{t}` or `PATCH /app`): each listed role's
    /// ids are replaced; an empty list removes the role from the scope; unlisted roles keep
    /// theirs. (`grants: null`, a reset to defaults, is the caller's job.)
    pub fn merge_update(&mut self, update: &BTreeMap<String, Vec<String>>) {
        for (role, ids) in update {
            if ids.is_empty() {
                self.0.remove(role);
            } else {
                self.0.insert(role.clone(), ids.clone());
            }
        }
    }
}

impl<R, I, S> FromIterator<(R, I)> for Grants
where
    R: Into<String>,
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    fn from_iter<T: IntoIterator<Item = (R, I)>>(rows: T) -> Self {
        Grants(
            rows.into_iter()
                .map(|(role, ids)| (role.into(), ids.into_iter().map(Into::into).collect()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(rows: &[(&str, &[&str])]) -> Grants {
        rows.iter()
            .map(|(r, ids)| (*r, ids.iter().copied()))
            .collect()
    }

    fn modifiers(rows: &[(&str, &[&str])]) -> GrantModifiers {
        GrantModifiers(
            rows.iter()
                .map(|(r, ids)| (r.to_string(), ids.iter().map(|s| s.to_string()).collect()))
                .collect(),
        )
    }

    #[test]
    fn modifiers_add_once_and_revoke_exact_ids() {
        let base = grants(&[
            ("channel_member", &["read-channel", "create-message"]),
            ("user", &["create-message-owner"]),
        ]);
        let out = base.apply_modifiers(&modifiers(&[
            (
                "channel_member",
                &["!create-message", "pin-message", "read-channel"],
            ),
            ("user", &["!create-message"]),
        ]));
        assert_eq!(out.role("channel_member"), ["read-channel", "pin-message"]);
        // `!create-message` does not touch the owner variant.
        assert_eq!(out.role("user"), ["create-message-owner"]);
        // The base is untouched.
        assert!(base.has("channel_member", "create-message"));
    }

    #[test]
    fn modifiers_create_and_drop_roles() {
        let base = grants(&[("guest", &["read-channel"])]);
        let out = base.apply_modifiers(&modifiers(&[
            ("vip", &["skip-channel-cooldown"]),
            ("guest", &["!read-channel"]),
            ("nobody", &["!read-channel"]),
        ]));
        assert_eq!(out, grants(&[("vip", &["skip-channel-cooldown"])]));
    }

    #[test]
    fn with_modifiers_borrows_when_empty() {
        let base = grants(&[("user", &["read-channel"])]);
        assert!(matches!(base.with_modifiers(None), Cow::Borrowed(_)));
        let empty = GrantModifiers::default();
        assert!(matches!(
            base.with_modifiers(Some(&empty)),
            Cow::Borrowed(_)
        ));
        let revoke = modifiers(&[("user", &["!read-channel"])]);
        assert_eq!(*base.with_modifiers(Some(&revoke)), Grants::default());
    }

    #[test]
    fn merge_update_replaces_per_role() {
        let mut g = grants(&[
            ("user", &["read-channel"]),
            ("guest", &["read-channel"]),
            ("admin", &["delete-channel"]),
        ]);
        let update: BTreeMap<String, Vec<String>> = [
            ("user".to_string(), vec!["create-message".to_string()]),
            ("guest".to_string(), vec![]),
            ("custom".to_string(), vec!["pin-message".to_string()]),
        ]
        .into_iter()
        .collect();
        g.merge_update(&update);
        assert_eq!(
            g,
            grants(&[
                ("admin", &["delete-channel"]),
                ("custom", &["pin-message"]),
                ("user", &["create-message"]),
            ])
        );
    }

    #[test]
    fn serde_is_a_plain_map() {
        let g = grants(&[("user", &["read-channel"])]);
        let json = serde_json::to_string(&g).unwrap();
        assert_eq!(json, r#"{"user":["read-channel"]}"#);
        let m: GrantModifiers = serde_json::from_str(r#"{"user":["!read-channel"]}"#).unwrap();
        assert_eq!(m, modifiers(&[("user", &["!read-channel"])]));
    }
}
