//! Size and count limits of api-spec/errors.md §4 and query-language.md §5, in one place.

/// Custom data on users, channels, members, messages (bytes).
pub const MAX_CUSTOM_BYTES: usize = 5 * 1024;
/// Custom data on reactions (bytes).
pub const MAX_REACTION_CUSTOM_BYTES: usize = 1024;
/// Attachments per message.
pub const MAX_ATTACHMENTS: usize = 30;
/// Mentioned users per message.
pub const MAX_MENTIONS: usize = 25;
/// Users per upsert / partial update call.
pub const MAX_USERS_PER_CALL: usize = 100;
/// Members per add / remove / role call.
pub const MAX_MEMBERS_PER_CALL: usize = 100;
/// Query channels: default and max page size, max offset.
pub const QUERY_CHANNELS_LIMIT: (usize, usize) = (10, 30);
/// Max offset of offset-paginated queries.
pub const MAX_OFFSET: usize = 1_000;
/// Messages per channel in channel state: default and max.
pub const MESSAGE_LIMIT: (usize, usize) = (25, 300);
/// Members per channel in channel state: default and max.
pub const MEMBER_LIMIT: (usize, usize) = (100, 100);
/// Query users: default and max page size.
pub const QUERY_USERS_LIMIT: (usize, usize) = (30, 100);
/// Query members: default and max page size.
pub const QUERY_MEMBERS_LIMIT: (usize, usize) = (100, 100);
/// Reactions list: default and max page size.
pub const REACTIONS_LIMIT: (usize, usize) = (10, 300);
/// Replies page: default and max.
pub const REPLIES_LIMIT: (usize, usize) = (25, 300);
/// Pinned messages in channel state.
pub const PINNED_IN_STATE: usize = 10;
/// Read states in channel state.
pub const READS_IN_STATE: usize = 100;
/// Slow mode range, seconds.
pub const COOLDOWN_RANGE: (u32, u32) = (1, 120);
/// Reaction type length.
pub const MAX_REACTION_TYPE_LEN: usize = 64;

/// Clamps a requested page size: absent → default, above max → max (silently, DESIGN).
pub fn clamp_limit(requested: Option<usize>, (default, max): (usize, usize)) -> usize {
    requested.unwrap_or(default).min(max)
}

/// Checks an offset against [`MAX_OFFSET`].
pub fn check_offset(offset: usize) -> crate::Result<usize> {
    if offset > MAX_OFFSET {
        return Err(crate::Error::invalid(
            "offset",
            format!("must be at most {MAX_OFFSET}"),
        ));
    }
    Ok(offset)
}
