//! `chat-store-postgres`: the durable implementation of every [`chat_core::store`] trait,
//! on PostgreSQL 15+ through sqlx.
//!
//! It passes the same conformance suite as the reference `chat-store-memory`, whose
//! semantics it mirrors exactly.
//!
//! # Layout
//!
//! * [`PgStore::connect`] opens a pool and applies the embedded migrations
//!   (`migrations/`) under sqlx's Postgres advisory lock, so several server processes can
//!   start together; [`PgStore::connect_lazy`] contacts nothing until first use, for a
//!   server that must start while the database is down (it retries
//!   [`PgStore::migrate`]); [`PgStore::with_fresh_schema`] does the same inside a new, uniquely
//!   named schema (one per test).
//! * The schema (see the migration's comments): one table per aggregate, keyed by
//!   `app_id`; ids `COLLATE "C"` so ties compare bytes; times as microseconds; each row's
//!   content as `jsonb` next to the columns the store's atomic writes and indexes need.
//!   `rows.rs` maps rows to chat-core types; `error.rs` maps sqlx errors to
//!   [`chat_core::StoreError`]. No sqlx type appears in a public signature.
//! * One module per store trait. Every atomic method is one transaction (a channel
//!   message's send is a single statement, atomic on its own) that first locks the row it
//!   hangs off: the channel row for sends, deletes, membership changes and truncates
//!   (`FOR NO KEY UPDATE`, or the `UPDATE` of its counters), the message row for
//!   reactions. So concurrent writes to one channel serialize exactly like the memory
//!   store's per-channel mutex, while mark-read/unread take the channel row `FOR SHARE`
//!   (serialized with sends, not with each other). Optimistic concurrency is
//!   `UPDATE … WHERE version = $n`; no rows means `VersionConflict` if the row exists,
//!   else `NotFound`.
//! * Lock order, which keeps deadlocks out: a channel row, then message rows, then
//!   member, cursor, flag and reaction rows.
//! * The send's cost does not depend on the member count: counters and the author's
//!   cursor are single rows, mention flags are written for the mentioned users only, and
//!   un-hiding finds the hidden members through a partial index.
//! * Sends are group-committed (`group_commit`): concurrent `insert_message` calls queue
//!   (bounded; callers wait when it is full) for one committer task per store, which
//!   writes everything queued as one set-based statement (`send_batch`; channel rows
//!   locked in key order) and answers each caller with its own result after the commit.
//!
//! # Queries
//!
//! `query_users`, `query_channels` and `query_members` translate the filter and sort to
//! parameterised SQL (`sql_filter.rs`, over the field mapping in `sql_fields.rs`). When
//! all of it translates, SQL filters, sorts and pages (`LIMIT`/`OFFSET`); otherwise SQL
//! narrows the candidates with the parts that did translate and chat-core's reference
//! evaluator finishes, exactly like the memory store. A property test
//! (`tests/model_equivalence.rs`) checks both against the memory store. Message pages run
//! in SQL:
//! a keyset scan fetches at most `limit` rows either side of the cursor and
//! [`chat_core::query::select_window`] picks the page from that run.
//!
//! # Search
//!
//! `search_messages` (`search.rs`) narrows with a generated `tsvector` column and its GIN
//! index (migration `20240601000001_message_search.sql`), built from chat-core's token
//! definition rather than a locale-dependent text search parser, then hands the candidates
//! to chat-core's reference page, so results equal the memory store's.

mod apps;
mod channel_types;
mod channels;
mod connect;
mod error;
mod group_commit;
mod members;
mod messages;
mod query;
mod reactions;
mod reads;
mod rows;
mod search;
mod search_page;
mod send_batch;
mod sql_fields;
mod sql_filter;
mod users;
mod window;

pub use connect::{LazyOptions, DEFAULT_POOL_SIZE};
pub use group_commit::{SendStats, MAX_BATCH, QUEUE_CAPACITY};

use sqlx::PgPool;

/// The PostgreSQL store. Cheap to clone (a pool handle); share it as `Arc<PgStore>`, which
/// coerces to `Arc<dyn chat_core::store::Store>`.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    schema: Option<String>,
    sends: group_commit::GroupCommit,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}
