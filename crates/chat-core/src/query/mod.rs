//! The query language: a typed filter tree (parsed from the API's Mongo-style JSON), sort
//! specs, pagination windows, and an in-memory evaluator. The memory store evaluates with
//! it directly; property tests use it as the oracle for the Postgres translation. Message
//! search adds its fields (`message_fields`), its token semantics ([`text`]) and its
//! reference page (`search`).

mod eval;
mod fields;
mod message_fields;
mod page;
mod parse;
mod search;
#[cfg(test)]
mod tests;
pub mod text;
mod views;

pub use eval::{compare, matches, FieldSource, FieldValue};
pub use fields::{ChannelField, Field, FieldKind, MemberField, UserField};
pub use message_fields::{MessageField, MessageView};
pub use page::{select_window, MessageCursor, MessagePage};
pub use parse::{parse_filter, parse_sort};
pub use search::{
    never_searched, required_text, CursorDirection, SearchCursor, SearchPage, SearchPosition,
    SearchQuery, SearchScope,
};
pub use views::{ChannelView, MemberView, UserView};

use crate::ids::{Cid, UserId};
use crate::time::Timestamp;

/// A filter over fields `F`. Top-level conditions of the JSON object are an `And`.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter<F> {
    /// Matches everything (`{}`).
    All,
    /// Every sub-filter matches.
    And(Vec<Filter<F>>),
    /// At least one sub-filter matches.
    Or(Vec<Filter<F>>),
    /// No sub-filter matches.
    Nor(Vec<Filter<F>>),
    /// One condition on one field.
    Cond(F, Op),
}

/// A comparison operator with its operand(s).
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `$eq` (also a bare value).
    Eq(Value),
    /// `$ne`.
    Ne(Value),
    /// `$gt`.
    Gt(Value),
    /// `$gte`.
    Gte(Value),
    /// `$lt`.
    Lt(Value),
    /// `$lte`.
    Lte(Value),
    /// `$in`: equal to any (for list fields: shares any element).
    In(Vec<Value>),
    /// `$nin`: equal to none.
    Nin(Vec<Value>),
    /// `$exists`.
    Exists(bool),
    /// `$autocomplete`: some word of the field starts with the text (case-insensitive).
    Autocomplete(String),
    /// `$contains`: the list field contains the value.
    Contains(Value),
    /// `$q`: full-text match (every word of the query appears, case-insensitive).
    Q(String),
}

/// A typed operand. Timestamps arrive as RFC3339 strings and are parsed for time fields.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// JSON null.
    Null,
    /// Boolean.
    Bool(bool),
    /// Integer.
    Int(i64),
    /// Non-integer number.
    Float(f64),
    /// String.
    Str(String),
    /// Timestamp.
    Time(Timestamp),
    /// Any other JSON (objects, arrays) compared structurally; custom fields only.
    Json(serde_json::Value),
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Smallest first (`1`).
    Asc,
    /// Largest first (`-1`).
    Desc,
}

/// One sort key.
#[derive(Debug, Clone, PartialEq)]
pub struct Sort<F> {
    /// Field.
    pub field: F,
    /// Direction.
    pub direction: Direction,
}

/// Query channels, as a store sees it. `user` is whose per-user fields (`joined`, `hidden`,
/// `pinned`, `has_unread`…) the filter and sort mean.
#[derive(Debug, Clone)]
pub struct ChannelQuery {
    /// Filter.
    pub filter: Filter<ChannelField>,
    /// Sort keys; ties are broken by cid ascending.
    pub sort: Vec<Sort<ChannelField>>,
    /// Page size.
    pub limit: usize,
    /// Rows to skip.
    pub offset: usize,
    /// Whose view.
    pub user: Option<UserId>,
}

/// Query users. Ties are broken by id ascending.
#[derive(Debug, Clone)]
pub struct UserQuery {
    /// Filter.
    pub filter: Filter<UserField>,
    /// Sort keys.
    pub sort: Vec<Sort<UserField>>,
    /// Page size.
    pub limit: usize,
    /// Rows to skip.
    pub offset: usize,
    /// Include deactivated users.
    pub include_deactivated: bool,
}

/// Query the members of one channel. Ties are broken by user id ascending.
#[derive(Debug, Clone)]
pub struct MemberQuery {
    /// Channel.
    pub cid: Cid,
    /// Filter.
    pub filter: Filter<MemberField>,
    /// Sort keys.
    pub sort: Vec<Sort<MemberField>>,
    /// Page size.
    pub limit: usize,
    /// Rows to skip.
    pub offset: usize,
}
