//! Typed rows and their mapping to chat-core types.
//!
//! A table keeps a domain struct as `data` (its serde shape) minus the fields that live in
//! columns; [`to_data`] strips those fields on the way in and [`from_data`] puts the column
//! values back on the way out, so a field has exactly one stored home. The `*_COLS`
//! constants list the columns each row struct decodes, in `SELECT`/`RETURNING` form.

use chat_core::ids::{Cid, MessageId, UserId};
use chat_core::model::{Channel, ChannelCounters, Member, Message, Reaction, ThreadSummary};
use chat_core::read_state::{ReadState, ThreadRead};
use chat_core::time::Timestamp;
use chat_core::StoreResult;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::error::corrupt;

/// The serde shape of `value` without the `strip`ped top-level fields.
pub(crate) fn to_data<T: Serialize>(value: &T, strip: &[&str]) -> StoreResult<Value> {
    let mut v = serde_json::to_value(value).map_err(|e| corrupt(format!("encode: {e}")))?;
    if let Value::Object(map) = &mut v {
        for key in strip {
            map.remove(*key);
        }
    }
    Ok(v)
}

/// A domain struct from `data` with the column values laid over it.
pub(crate) fn from_data<T: DeserializeOwned>(
    data: Value,
    overlay: impl IntoIterator<Item = (&'static str, Value)>,
) -> StoreResult<T> {
    let mut map = match data {
        Value::Object(map) => map,
        other => return Err(corrupt(format!("data is not an object: {other}"))),
    };
    for (key, value) in overlay {
        map.insert(key.to_owned(), value);
    }
    serde_json::from_value(Value::Object(map)).map_err(|e| corrupt(format!("decode: {e}")))
}

/// A stored non-negative integer as `u64`.
pub(crate) fn unsigned(v: i64, what: &str) -> StoreResult<u64> {
    u64::try_from(v).map_err(|_| corrupt(format!("{what} is negative: {v}")))
}

/// A stored non-negative integer as `u32`.
pub(crate) fn unsigned32(v: i64, what: &str) -> StoreResult<u32> {
    u32::try_from(v).map_err(|_| corrupt(format!("{what} out of range: {v}")))
}

/// A counter as a `bigint`.
pub(crate) fn signed(v: u64) -> StoreResult<i64> {
    i64::try_from(v).map_err(|_| corrupt(format!("counter too large: {v}")))
}

/// A row count (limit, offset) as a `bigint`, saturating.
pub(crate) fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Microseconds of an optional time.
pub(crate) fn micros(t: Option<Timestamp>) -> Option<i64> {
    t.map(Timestamp::as_micros)
}

/// An optional time from microseconds.
pub(crate) fn time(t: Option<i64>) -> Option<Timestamp> {
    t.map(Timestamp::from_micros)
}

/// Owned strings of ids, for array binds.
pub(crate) fn strs<T: AsRef<str>>(ids: &[T]) -> Vec<String> {
    ids.iter().map(|i| i.as_ref().to_owned()).collect()
}

// ---------------------------------------------------------------------------------------
// Channels
// ---------------------------------------------------------------------------------------

/// Fields of `Channel` that are columns.
pub(crate) const CHANNEL_STRIP: &[&str] = &["cid", "counters", "version"];

/// The columns [`ChannelRow`] decodes.
pub(crate) const CHANNEL_COLS: &str = "cid, data, version, member_count, message_count, \
     last_message_at, last_seq, truncated_seq, deleted_seqs";

/// A `channels` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ChannelRow {
    pub cid: String,
    pub data: Value,
    pub version: i64,
    pub member_count: i64,
    pub message_count: i64,
    pub last_message_at: Option<i64>,
    pub last_seq: i64,
    pub truncated_seq: i64,
    pub deleted_seqs: Vec<i64>,
}

impl ChannelRow {
    /// The counters.
    pub fn counters(&self) -> StoreResult<ChannelCounters> {
        Ok(ChannelCounters {
            member_count: unsigned32(self.member_count, "member_count")?,
            message_count: unsigned(self.message_count, "message_count")?,
            last_message_at: time(self.last_message_at),
            last_seq: unsigned(self.last_seq, "last_seq")?,
            truncated_seq: unsigned(self.truncated_seq, "truncated_seq")?,
            deleted_seqs: self
                .deleted_seqs
                .iter()
                .map(|s| unsigned(*s, "deleted_seqs"))
                .collect::<StoreResult<_>>()?,
        })
    }

    /// The channel.
    pub fn into_channel(self) -> StoreResult<Channel> {
        let counters = serde_json::to_value(self.counters()?)
            .map_err(|e| corrupt(format!("encode counters: {e}")))?;
        from_data(
            self.data,
            [
                ("cid", json!(self.cid)),
                ("counters", counters),
                ("version", json!(self.version)),
            ],
        )
    }
}

// ---------------------------------------------------------------------------------------
// Members and cursors
// ---------------------------------------------------------------------------------------

/// Fields of `Member` that are columns.
pub(crate) const MEMBER_STRIP: &[&str] = &["cid", "user_id", "hidden", "version"];

/// The columns [`MemberRow`] decodes.
pub(crate) const MEMBER_COLS: &str = "cid, user_id, hidden, data, version";

/// A `members` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct MemberRow {
    pub cid: String,
    pub user_id: String,
    pub hidden: bool,
    pub data: Value,
    pub version: i64,
}

impl MemberRow {
    /// The membership.
    pub fn into_member(self) -> StoreResult<Member> {
        from_data(
            self.data,
            [
                ("cid", json!(self.cid)),
                ("user_id", json!(self.user_id)),
                ("hidden", json!(self.hidden)),
                ("version", json!(self.version)),
            ],
        )
    }
}

/// The columns [`ReadRow`] decodes.
pub(crate) const READ_COLS: &str =
    "cid, user_id, last_read_seq, last_read_at, last_read_message_id, own_after_cursor";

/// A `read_states` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ReadRow {
    pub cid: String,
    pub user_id: String,
    pub last_read_seq: i64,
    pub last_read_at: i64,
    pub last_read_message_id: Option<String>,
    pub own_after_cursor: i64,
}

impl ReadRow {
    /// The cursor.
    pub fn into_read(self) -> StoreResult<ReadState> {
        Ok(ReadState {
            cid: parse_cid(&self.cid)?,
            user_id: UserId::new_unchecked(self.user_id),
            last_read_seq: unsigned(self.last_read_seq, "last_read_seq")?,
            last_read_at: Timestamp::from_micros(self.last_read_at),
            last_read_message_id: self.last_read_message_id.map(MessageId::new_unchecked),
            own_after_cursor: unsigned(self.own_after_cursor, "own_after_cursor")?,
        })
    }
}

/// A stored cid.
pub(crate) fn parse_cid(cid: &str) -> StoreResult<Cid> {
    Cid::parse(cid).map_err(|e| corrupt(format!("cid {cid}: {e}")))
}

/// The columns [`ThreadReadRow`] decodes.
pub(crate) const THREAD_READ_COLS: &str =
    "cid, parent_id, user_id, last_read_reply_count, last_read_at";

/// A `thread_reads` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ThreadReadRow {
    pub cid: String,
    pub parent_id: String,
    pub user_id: String,
    pub last_read_reply_count: i64,
    pub last_read_at: i64,
}

impl ThreadReadRow {
    /// The thread cursor.
    pub fn into_thread_read(self) -> StoreResult<ThreadRead> {
        Ok(ThreadRead {
            cid: parse_cid(&self.cid)?,
            parent_id: MessageId::new_unchecked(self.parent_id),
            user_id: UserId::new_unchecked(self.user_id),
            last_read_reply_count: unsigned32(self.last_read_reply_count, "last_read_reply_count")?,
            last_read_at: Timestamp::from_micros(self.last_read_at),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Messages and reactions
// ---------------------------------------------------------------------------------------

/// Fields of `Message` that are columns: keys, immutable facts and store-owned state.
pub(crate) const MESSAGE_STRIP: &[&str] = &[
    "id",
    "cid",
    "user_id",
    "parent_id",
    "created_at",
    "seq",
    "counted",
    "deleted_at",
    "thread",
    "reactions",
    "version",
];

/// The columns [`MessageRow`] decodes.
pub(crate) const MESSAGE_COLS: &str = "id, cid, user_id, parent_id, created_at, seq, counted, \
     deleted_at, reply_count, deleted_reply_count, participants, last_reply_at, \
     reaction_summary, data, version";

/// A `messages` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct MessageRow {
    pub id: String,
    pub cid: String,
    pub user_id: String,
    pub parent_id: Option<String>,
    pub created_at: i64,
    pub seq: i64,
    pub counted: bool,
    pub deleted_at: Option<i64>,
    pub reply_count: i64,
    pub deleted_reply_count: i64,
    pub participants: Vec<String>,
    pub last_reply_at: Option<i64>,
    pub reaction_summary: Value,
    pub data: Value,
    pub version: i64,
}

impl MessageRow {
    /// The thread summary.
    pub fn thread(&self) -> StoreResult<ThreadSummary> {
        Ok(ThreadSummary {
            reply_count: unsigned32(self.reply_count, "reply_count")?,
            deleted_reply_count: unsigned32(self.deleted_reply_count, "deleted_reply_count")?,
            participants: self
                .participants
                .iter()
                .map(|p| UserId::new_unchecked(p.as_str()))
                .collect(),
            last_reply_at: time(self.last_reply_at),
        })
    }

    /// The message.
    pub fn into_message(self) -> StoreResult<Message> {
        let thread = serde_json::to_value(self.thread()?)
            .map_err(|e| corrupt(format!("encode thread: {e}")))?;
        from_data(
            self.data,
            [
                ("id", json!(self.id)),
                ("cid", json!(self.cid)),
                ("user_id", json!(self.user_id)),
                ("parent_id", json!(self.parent_id)),
                ("created_at", json!(self.created_at)),
                ("seq", json!(self.seq)),
                ("counted", json!(self.counted)),
                ("deleted_at", json!(self.deleted_at)),
                ("thread", thread),
                ("reactions", self.reaction_summary),
                ("version", json!(self.version)),
            ],
        )
    }
}

/// Decodes many message rows.
pub(crate) fn messages(rows: Vec<MessageRow>) -> StoreResult<Vec<Message>> {
    rows.into_iter().map(MessageRow::into_message).collect()
}

/// The columns [`ReactionRow`] decodes.
pub(crate) const REACTION_COLS: &str =
    "message_id, user_id, type, score, custom, created_at, updated_at";

/// A `reactions` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ReactionRow {
    pub message_id: String,
    pub user_id: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub score: i64,
    pub custom: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ReactionRow {
    /// The reaction.
    pub fn into_reaction(self) -> StoreResult<Reaction> {
        let custom = match self.custom {
            Value::Object(map) => chat_core::custom::Custom::from_map(map),
            Value::Null => chat_core::custom::Custom::from_map(Map::new()),
            other => {
                return Err(corrupt(format!(
                    "reaction custom is not an object: {other}"
                )))
            }
        };
        Ok(Reaction {
            message_id: MessageId::new_unchecked(self.message_id),
            user_id: UserId::new_unchecked(self.user_id),
            kind: self.kind,
            score: unsigned32(self.score, "score")?,
            custom,
            created_at: Timestamp::from_micros(self.created_at),
            updated_at: Timestamp::from_micros(self.updated_at),
        })
    }
}

/// Decodes many reaction rows.
pub(crate) fn reactions(rows: Vec<ReactionRow>) -> StoreResult<Vec<Reaction>> {
    rows.into_iter().map(ReactionRow::into_reaction).collect()
}

/// Keeps the first of each key and orders rows by the position of their key in `wanted`
/// (the "in the order asked, duplicates collapsed" rule of the `get_*` methods).
pub(crate) fn in_request_order<T, K: AsRef<str>>(
    wanted: &[K],
    rows: Vec<T>,
    key: impl Fn(&T) -> &str,
) -> Vec<T> {
    let mut by_key: std::collections::HashMap<String, T> =
        rows.into_iter().map(|r| (key(&r).to_owned(), r)).collect();
    wanted
        .iter()
        .filter_map(|k| by_key.remove(k.as_ref()))
        .collect()
}
