//! Writes a batch of sends (the group committer's unit of work) with set-based statements.
//!
//! A batch of channel messages is ONE statement, committed on its own ([`BATCH`]): it
//! locks the batch's channel rows in key order, drops the sends whose id already exists
//! or whose thread parent is missing, numbers the rest per channel in arrival order,
//! inserts them in one multi-row insert, updates each channel's counters once, moves each
//! author's cursor once per channel, adds mention flags for the mentioned users only and
//! un-hides the channel for members who hid it. No step visits the other members, so a
//! message costs the same in a 10-member and a 10,000-member channel.
//!
//! A batch with replies runs the same statement in a transaction, followed by one update
//! of the thread summary and one upsert of the author's thread cursor per reply (a thread
//! parent's state after each reply is part of that reply's result).
//!
//! Each send gets its own result. A repeated id is refused for that send only: repeats
//! inside the batch are found before the statement (the first one is written), ids that
//! already exist are filtered out by the statement. A concurrent insert of the same id by
//! another process, which the statement's snapshot cannot see, makes the primary key
//! refuse the whole statement; nothing was written, and the batch runs again (it then sees
//! the row). Deadlocks and serialization failures retry the same way. Any other failure
//! fails every send of the batch, and nothing of it is written.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, LazyLock};

use chat_core::ids::{AppId, MessageId, UserId};
use chat_core::model::{Channel, Message, ReactionSummary, ThreadSummary};
use chat_core::store::{InsertMessage, InsertedMessage};
use chat_core::StoreError;
use chat_core::StoreResult;
use serde::Deserialize;
use serde_json::Value;
use sqlx::PgConnection;

use crate::error::{channel_not_found, corrupt, db, message_not_found, unique_violation};
use crate::rows::{
    micros, to_data, unsigned, ChannelRow, MessageRow, CHANNEL_COLS, MESSAGE_COLS, MESSAGE_STRIP,
};

/// How often a batch runs again after a race (a concurrent insert of one of its ids, a
/// deadlock, a serialization failure) before its sends fail.
const MAX_ATTEMPTS: usize = 4;

/// SQLSTATEs after which the whole batch can simply run again.
const DEADLOCK: &str = "40P01";
const SERIALIZATION_FAILURE: &str = "40001";

/// The constraint that refuses a repeated message id.
const MESSAGE_KEY: &str = "messages_pkey";

/// The batch statement. Item arrays (one element per send, `ord` = position from 1):
/// `$1` app, `$2` id, `$3` cid, `$4` author, `$5` parent, `$6` created_at, `$7` counted,
/// `$8` deleted_at, `$9` data, `$10` in the channel list, `$11` bumps `last_message_at`,
/// `$12` un-hides, `$16` search tokens (space-joined); `$13` the (empty) reaction summary;
/// `$14`/`$15` mention pairs (ord, user). Returns one row: the locked channels as they were before the batch, the
/// ords refused as repeats, the ords inserted with their seqs, and the un-hidden members.
static BATCH: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH k AS ( \
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
                $6::int8[], $7::bool[], $8::int8[], $9::jsonb[], $10::bool[], $11::bool[], \
                $12::bool[], $16::text[]) WITH ORDINALITY AS k(app_id, id, cid, user_id, \
                parent_id, created_at, counted, deleted_at, data, in_list, bump, unhide, \
                tokens, ord) \
        ), l AS MATERIALIZED ( \
            SELECT app_id, {CHANNEL_COLS} FROM channels \
            WHERE (app_id, cid) IN (SELECT app_id, cid FROM k) \
            ORDER BY app_id, cid FOR NO KEY UPDATE \
        ), d AS MATERIALIZED ( \
            SELECT k.ord FROM k WHERE EXISTS ( \
                SELECT 1 FROM messages x WHERE x.app_id = k.app_id AND x.id = k.id) \
        ), f AS MATERIALIZED ( \
            SELECT k.*, l.last_seq + sum(k.counted::int) \
                OVER (PARTITION BY k.app_id, k.cid ORDER BY k.ord) AS seq \
            FROM k JOIN l ON l.app_id = k.app_id AND l.cid = k.cid \
            WHERE k.ord NOT IN (SELECT ord FROM d) \
              AND (k.parent_id IS NULL OR EXISTS (SELECT 1 FROM messages p \
                   WHERE p.app_id = k.app_id AND p.id = k.parent_id AND p.cid = k.cid)) \
        ), m AS ( \
            INSERT INTO messages (app_id, id, cid, user_id, parent_id, created_at, seq, \
                counted, deleted_at, reaction_summary, data, version, search_tsv) \
            SELECT app_id, id, cid, user_id, parent_id, created_at, seq, counted, \
                deleted_at, $13, data, 1, array_to_tsvector(string_to_array(tokens, ' ')) \
            FROM f ORDER BY ord \
        ), c AS ( \
            UPDATE channels SET last_seq = a.last_seq, \
                message_count = channels.message_count + a.n, \
                last_message_at = greatest(channels.last_message_at, a.at) \
            FROM (SELECT app_id, cid, max(seq) AS last_seq, count(*) AS n, \
                         max(created_at) FILTER (WHERE bump) AS at \
                  FROM f GROUP BY app_id, cid) AS a \
            WHERE channels.app_id = a.app_id AND channels.cid = a.cid \
        ), r AS ( \
            UPDATE read_states SET last_read_seq = greatest(read_states.last_read_seq, a.seq), \
                last_read_at = a.created_at, last_read_message_id = a.id, own_after_cursor = 0 \
            FROM (SELECT DISTINCT ON (app_id, cid, user_id) app_id, cid, user_id, seq, \
                         created_at, id \
                  FROM f WHERE in_list ORDER BY app_id, cid, user_id, ord DESC) AS a \
            WHERE read_states.app_id = a.app_id AND read_states.cid = a.cid \
              AND read_states.user_id = a.user_id \
        ), g AS ( \
            INSERT INTO user_messages (app_id, user_id, message_id, cid, flags) \
            SELECT f.app_id, x.user_id, f.id, f.cid, 1 \
            FROM unnest($14::int8[], $15::text[]) AS x(ord, user_id) JOIN f ON f.ord = x.ord \
            ON CONFLICT (app_id, user_id, message_id) \
            DO UPDATE SET flags = user_messages.flags | EXCLUDED.flags \
        ), h AS ( \
            UPDATE members SET hidden = false, version = version + 1 \
            WHERE hidden AND (app_id, cid) IN (SELECT app_id, cid FROM f WHERE unhide) \
            RETURNING app_id, cid, user_id \
        ) \
        SELECT ARRAY(SELECT to_jsonb(l) FROM l) AS channels, \
            ARRAY(SELECT ord FROM d ORDER BY ord) AS repeated, \
            ARRAY(SELECT ord FROM f ORDER BY ord) AS inserted, \
            ARRAY(SELECT seq FROM f ORDER BY ord) AS seqs, \
            ARRAY(SELECT app_id FROM h ORDER BY app_id, cid, user_id) AS unhidden_app, \
            ARRAY(SELECT cid FROM h ORDER BY app_id, cid, user_id) AS unhidden_cid, \
            ARRAY(SELECT user_id FROM h ORDER BY app_id, cid, user_id) AS unhidden_user"
    )
});

/// A send as it waits in the queue: normalized and encoded by its caller, so that work
/// runs in parallel rather than in the committer.
#[derive(Debug)]
pub(crate) struct PendingSend {
    app: AppId,
    message: Message,
    opts: InsertMessage,
    data: Value,
    /// The text's search tokens, space-joined (see [`search_tokens`]).
    tokens: String,
}

impl PendingSend {
    /// Sets what the store owns on a new message (`version`, empty thread and reaction
    /// summaries, `counted`) and encodes its content.
    pub(crate) fn new(app: &AppId, mut message: Message, opts: InsertMessage) -> StoreResult<Self> {
        message.version = 1;
        message.thread = ThreadSummary::default();
        message.reactions = ReactionSummary::default();
        message.counted = message.counts_as_unread();
        let data = to_data(&message, MESSAGE_STRIP)?;
        let tokens = search_tokens(&message.text);
        Ok(Self {
            app: app.clone(),
            message,
            opts,
            data,
            tokens,
        })
    }

    fn bumps(&self) -> bool {
        self.message.in_channel_list() && self.opts.bump_last_message_at
    }
}

/// What [`BATCH`] returns.
#[derive(Debug, sqlx::FromRow)]
struct BatchRow {
    channels: Vec<Value>,
    repeated: Vec<i64>,
    inserted: Vec<i64>,
    seqs: Vec<i64>,
    unhidden_app: Vec<String>,
    unhidden_cid: Vec<String>,
    unhidden_user: Vec<String>,
}

/// A locked channel row of [`BATCH`], as `to_jsonb` writes it.
#[derive(Debug, Deserialize)]
struct LockedChannel {
    app_id: String,
    cid: String,
    data: Value,
    version: i64,
    member_count: i64,
    message_count: i64,
    last_message_at: Option<i64>,
    last_seq: i64,
    truncated_seq: i64,
    deleted_seqs: Vec<i64>,
}

impl LockedChannel {
    fn into_keyed(self) -> StoreResult<((String, String), Channel)> {
        let key = (self.app_id, self.cid.clone());
        let row = ChannelRow {
            cid: self.cid,
            data: self.data,
            version: self.version,
            member_count: self.member_count,
            message_count: self.message_count,
            last_message_at: self.last_message_at,
            last_seq: self.last_seq,
            truncated_seq: self.truncated_seq,
            deleted_seqs: self.deleted_seqs,
        };
        Ok((key, row.into_channel()?))
    }
}

/// The database's answer to one attempt: the statement's row and, per inserted reply
/// (by ord), its parent after the reply.
struct Written {
    row: BatchRow,
    parents: HashMap<i64, Message>,
}

/// Why an attempt did not produce [`Written`].
enum Failed {
    /// A race; nothing was written and the batch can run again.
    Again(Option<sqlx::Error>),
    /// Every send of the batch fails with this.
    Fatal(StoreError),
}

impl From<StoreError> for Failed {
    fn from(e: StoreError) -> Self {
        Self::Fatal(e)
    }
}

impl From<sqlx::Error> for Failed {
    fn from(e: sqlx::Error) -> Self {
        let code = match &e {
            sqlx::Error::Database(d) => d.code().map(|c| c.into_owned()),
            _ => None,
        };
        let again = matches!(code.as_deref(), Some(DEADLOCK | SERIALIZATION_FAILURE))
            || unique_violation(&e).as_deref() == Some(MESSAGE_KEY);
        if again {
            Self::Again(Some(e))
        } else {
            Self::Fatal(db(e))
        }
    }
}

/// Writes `sends` as one batch; one result per send, in order.
pub(crate) async fn write_batch(
    conn: &mut PgConnection,
    sends: Vec<PendingSend>,
) -> Vec<StoreResult<InsertedMessage>> {
    let n = sends.len();
    let mut results: Vec<Option<StoreResult<InsertedMessage>>> = (0..n).map(|_| None).collect();
    // A repeat inside the batch: the first occurrence goes to the database.
    let mut seen = HashSet::with_capacity(n);
    let mut batch = Vec::with_capacity(n);
    for (i, s) in sends.into_iter().enumerate() {
        if seen.insert((s.app.clone(), s.message.id.clone())) {
            batch.push((i, s));
        } else {
            results[i] = Some(Err(repeated_id(&s.message.id)));
        }
    }
    let mut outcome = Err(Failed::Again(None));
    for _ in 0..MAX_ATTEMPTS {
        outcome = attempt(conn, &batch).await;
        if !matches!(outcome, Err(Failed::Again(_))) {
            break;
        }
    }
    match outcome {
        Ok(written) => {
            for (i, result) in assemble(batch, written) {
                results[i] = Some(result);
            }
        }
        Err(failed) => {
            let e = Arc::new(match failed {
                Failed::Again(Some(e)) => db(e),
                Failed::Again(None) => corrupt("send batch: retries exhausted"),
                Failed::Fatal(e) => e,
            });
            for (i, _) in batch {
                results[i] = Some(Err(shared(&e)));
            }
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(corrupt("send batch: a send got no result"))))
        .collect()
}

/// One run of the batch: [`BATCH`] (in a transaction with the thread updates when the
/// batch has replies).
async fn attempt(
    conn: &mut PgConnection,
    batch: &[(usize, PendingSend)],
) -> Result<Written, Failed> {
    let has_replies = batch.iter().any(|(_, s)| s.message.parent_id.is_some());
    if !has_replies {
        let row = statement(batch)?.fetch_one(&mut *conn).await?;
        return Ok(Written {
            row,
            parents: HashMap::new(),
        });
    }
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let row = statement(batch)?.fetch_one(&mut *tx).await?;
    let mut parents = HashMap::new();
    for &ord in &row.inserted {
        let Some((_, s)) = usize::try_from(ord - 1).ok().and_then(|at| batch.get(at)) else {
            return Err(Failed::Fatal(corrupt(format!(
                "send batch: unknown ord {ord}"
            ))));
        };
        if s.message.parent_id.is_some() {
            // The statement saw the parent; only a concurrent delete that committed while
            // it waited for the channel lock can make it vanish now. Run again.
            let Some(parent) = add_reply(&mut tx, &s.app, &s.message).await? else {
                return Err(Failed::Again(None));
            };
            parents.insert(ord, parent);
        }
    }
    tx.commit().await?;
    Ok(Written { row, parents })
}

/// [`BATCH`] with its binds.
fn statement(
    batch: &[(usize, PendingSend)],
) -> StoreResult<sqlx::query::QueryAs<'_, sqlx::Postgres, BatchRow, sqlx::postgres::PgArguments>> {
    let sends = || batch.iter().map(|(_, s)| s);
    let strings =
        |f: fn(&PendingSend) -> &str| sends().map(|s| f(s).to_owned()).collect::<Vec<_>>();
    let mut mention_ords = Vec::new();
    let mut mention_users = Vec::new();
    for (ord, s) in (1_i64..).zip(sends()) {
        let mut users: Vec<&str> = s
            .message
            .mentioned_users
            .iter()
            .map(UserId::as_str)
            .collect();
        // One flag row per (user, message): the upsert may not touch a row twice.
        users.sort_unstable();
        users.dedup();
        for u in users {
            mention_ords.push(ord);
            mention_users.push(u.to_owned());
        }
    }
    let empty_summary = serde_json::to_value(ReactionSummary::default())
        .map_err(|e| corrupt(format!("encode reactions: {e}")))?;
    Ok(sqlx::query_as(BATCH.as_str())
        .bind(strings(|s| s.app.as_str()))
        .bind(strings(|s| s.message.id.as_str()))
        .bind(strings(|s| s.message.cid.as_str()))
        .bind(strings(|s| s.message.user_id.as_str()))
        .bind(
            sends()
                .map(|s| s.message.parent_id.as_ref().map(|p| p.as_str().to_owned()))
                .collect::<Vec<_>>(),
        )
        .bind(
            sends()
                .map(|s| s.message.created_at.as_micros())
                .collect::<Vec<_>>(),
        )
        .bind(sends().map(|s| s.message.counted).collect::<Vec<_>>())
        .bind(
            sends()
                .map(|s| micros(s.message.deleted_at))
                .collect::<Vec<_>>(),
        )
        .bind(sends().map(|s| s.data.clone()).collect::<Vec<_>>())
        .bind(
            sends()
                .map(|s| s.message.in_channel_list())
                .collect::<Vec<_>>(),
        )
        .bind(sends().map(PendingSend::bumps).collect::<Vec<_>>())
        .bind(
            sends()
                .map(|s| !s.opts.keep_channel_hidden)
                .collect::<Vec<_>>(),
        )
        .bind(empty_summary)
        .bind(mention_ords)
        .bind(mention_users)
        .bind(sends().map(|s| s.tokens.clone()).collect::<Vec<_>>()))
}

/// chat-core's search tokens of `text`, space-joined: tokens never contain a space, and
/// `array_to_tsvector(string_to_array(…, ' '))` turns them into the `search_tsv` value
/// (`''` gives the empty vector).
pub(crate) fn search_tokens(text: &str) -> String {
    let tokens: Vec<String> = chat_core::query::text::tokens(text).into_iter().collect();
    tokens.join(" ")
}

/// Each send's result from the statement's answer. The channel a send returns is the
/// channel right after it, computed from the locked rows exactly as the statement numbered
/// the sends: in arrival order, a counted send takes the next seq.
fn assemble(
    batch: Vec<(usize, PendingSend)>,
    written: Written,
) -> Vec<(usize, StoreResult<InsertedMessage>)> {
    let Written { row, mut parents } = written;
    let mut channels = HashMap::with_capacity(row.channels.len());
    for value in row.channels {
        let decoded = serde_json::from_value::<LockedChannel>(value)
            .map_err(|e| corrupt(format!("send batch: locked channel: {e}")))
            .and_then(LockedChannel::into_keyed);
        match decoded {
            Ok((key, channel)) => {
                channels.insert(key, channel);
            }
            Err(e) => {
                let e = Arc::new(e);
                return batch
                    .into_iter()
                    .map(|(i, _)| (i, Err(shared(&e))))
                    .collect();
            }
        }
    }
    let repeated: HashSet<i64> = row.repeated.into_iter().collect();
    let seqs: HashMap<i64, i64> = row.inserted.into_iter().zip(row.seqs).collect();
    let mut unhidden: HashMap<(String, String), Vec<UserId>> = HashMap::new();
    for ((app, cid), user) in row
        .unhidden_app
        .into_iter()
        .zip(row.unhidden_cid)
        .zip(row.unhidden_user)
    {
        unhidden
            .entry((app, cid))
            .or_default()
            .push(UserId::new_unchecked(user));
    }
    (1_i64..)
        .zip(batch)
        .map(|(ord, (i, s))| {
            let key = (s.app.as_str().to_owned(), s.message.cid.as_str().to_owned());
            let result = match (seqs.get(&ord), channels.get_mut(&key)) {
                (_, None) => Err(channel_not_found(&s.message.cid)),
                (None, Some(_)) if repeated.contains(&ord) => Err(repeated_id(&s.message.id)),
                (None, Some(_)) => Err(message_not_found(
                    s.message.parent_id.as_ref().map_or("", MessageId::as_str),
                )),
                (Some(&seq), Some(channel)) => {
                    let unhidden = if s.opts.keep_channel_hidden {
                        Vec::new()
                    } else {
                        // The first un-hiding send of the channel un-hid them all.
                        unhidden.remove(&key).unwrap_or_default()
                    };
                    inserted(s, seq, channel, parents.remove(&ord), unhidden)
                }
            };
            (i, result)
        })
        .collect()
}

/// One send's result: `channel` advances past it.
fn inserted(
    s: PendingSend,
    seq: i64,
    channel: &mut Channel,
    parent: Option<Message>,
    unhidden: Vec<UserId>,
) -> StoreResult<InsertedMessage> {
    let bumps = s.bumps();
    let mut message = s.message;
    let c = &mut channel.counters;
    if message.counted {
        c.last_seq += 1;
    }
    c.message_count += 1;
    if bumps {
        c.last_message_at = Some(
            c.last_message_at
                .map_or(message.created_at, |t| t.max(message.created_at)),
        );
    }
    message.seq = unsigned(seq, "seq")?;
    if message.seq != c.last_seq {
        return Err(corrupt(format!(
            "send batch: seq {seq} of {} disagrees with the channel's {}",
            message.id, c.last_seq
        )));
    }
    Ok(InsertedMessage {
        message,
        channel: channel.clone(),
        parent,
        unhidden,
    })
}

/// Step 5 of the send: the parent's thread summary and the author's thread cursor. `None`
/// if the parent is not in the message's channel.
async fn add_reply(
    conn: &mut PgConnection,
    app: &AppId,
    m: &Message,
) -> Result<Option<Message>, Failed> {
    let Some(parent_id) = &m.parent_id else {
        return Ok(None);
    };
    let row: Option<MessageRow> = sqlx::query_as(&format!(
        "UPDATE messages SET reply_count = reply_count + 1, last_reply_at = $4, \
         participants = CASE WHEN $5 = ANY(participants) THEN participants \
                             ELSE array_append(participants, $5) END \
         WHERE app_id = $1 AND id = $2 AND cid = $3 RETURNING {MESSAGE_COLS}"
    ))
    .bind(app.as_str())
    .bind(parent_id.as_str())
    .bind(m.cid.as_str())
    .bind(m.created_at.as_micros())
    .bind(m.user_id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let parent = row.into_message()?;
    sqlx::query(
        "INSERT INTO thread_reads (app_id, user_id, parent_id, cid, last_read_reply_count, \
         last_read_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (app_id, user_id, parent_id) DO UPDATE SET \
         last_read_reply_count = EXCLUDED.last_read_reply_count, \
         last_read_at = EXCLUDED.last_read_at",
    )
    .bind(app.as_str())
    .bind(m.user_id.as_str())
    .bind(parent_id.as_str())
    .bind(m.cid.as_str())
    .bind(i64::from(parent.thread.reply_count))
    .bind(m.created_at.as_micros())
    .execute(&mut *conn)
    .await?;
    Ok(Some(parent))
}

/// `Duplicate` for a message id.
fn repeated_id(id: &MessageId) -> StoreError {
    StoreError::Duplicate {
        what: "message",
        id: id.to_string(),
    }
}

/// A batch-wide failure, shared by every send of the batch.
#[derive(Debug)]
struct BatchFailed(Arc<StoreError>);

impl fmt::Display for BatchFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "send batch failed: {}", self.0)
    }
}

impl std::error::Error for BatchFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// This send's copy of a batch-wide failure: `Unavailable` stays `Unavailable` (nothing
/// was written; the server may come back), anything else is `Backend`.
fn shared(e: &Arc<StoreError>) -> StoreError {
    let boxed = Box::new(BatchFailed(e.clone()));
    match &**e {
        StoreError::Unavailable(_) => StoreError::Unavailable(boxed),
        _ => StoreError::Backend(boxed),
    }
}
