//! `SearchStore` on PostgreSQL: a full-text column narrows, chat-core's reference page
//! decides.
//!
//! The migration `20240601000001_message_search.sql` adds `messages.search_tsv`, a
//! `GENERATED ALWAYS … STORED` tsvector computed by `chat_search_vector(text)`, and a GIN
//! index on it over undeleted rows. Being generated, the column follows every insert and
//! every content update (edits) without the write statements naming it; soft-deleted rows
//! leave the partial index's reach through `deleted_at`, hard-deleted rows disappear.
//!
//! `chat_search_vector` does not use a text search parser or dictionary: their word rules
//! depend on the database's locale and differ from the memory store's. It applies
//! chat-core's token definition (`chat_core::query::text`) literally — one `translate()`
//! with the pairs of `normalisation()` (separators to spaces, capitals to small letters),
//! a split on spaces, a cut to 64 characters — and builds the vector with
//! `array_to_tsvector`, whose lexemes are taken verbatim. The query side builds a
//! `tsquery` from chat-core's `TextQuery` the same way (`'tok' & 'last':*`), so a row
//! matches in SQL exactly when it matches in Rust. A test compares the function with Rust
//! over every character of the Basic Multilingual Plane.
//!
//! The SQL keeps the rows of the scoped channels that are searchable at all (not deleted,
//! not system, not shadowed) and contain the filter's required tokens (top-level
//! `$q`/`$autocomplete` on `text`), plus cheap column conditions (`user.id`, `id`,
//! `created_at` at the top level); [`SearchQuery::page`] then applies the whole filter,
//! visibility, the sort and the page, exactly as in the memory store.

use async_trait::async_trait;
use chat_core::ids::AppId;
use chat_core::query::text::TextQuery;
use chat_core::query::{required_text, Filter, MessageField, Op, SearchPage, SearchQuery, Value};
use chat_core::store::SearchStore;
use chat_core::StoreResult;
use sqlx::{Postgres, QueryBuilder};

use crate::error::DbResult;
use crate::rows::{messages, MessageRow, MESSAGE_COLS};
use crate::PgStore;

/// A tsquery lexeme: quoted, with `'` and `\` escaped (tokens never hold them, since both
/// are separators, but the quoting does not rely on it).
fn lexeme(token: &str) -> String {
    let mut out = String::with_capacity(token.len() + 2);
    out.push('\'');
    for c in token.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The tsquery every match satisfies: all the text queries' tokens ANDed, the
/// autocomplete prefixes as `:*`. `None` when there is no text condition to narrow by.
pub(crate) fn tsquery(queries: &[TextQuery]) -> Option<String> {
    let terms: Vec<String> = queries
        .iter()
        .flat_map(|q| {
            q.exact
                .iter()
                .map(|t| lexeme(t))
                .chain(q.prefix.iter().map(|p| format!("{}:*", lexeme(p))))
        })
        .collect();
    (!terms.is_empty()).then(|| terms.join(" & "))
}

/// Column conditions every match satisfies (top-level conjuncts only), added to `q`.
fn push_column_conditions(q: &mut QueryBuilder<'_, Postgres>, filter: &Filter<MessageField>) {
    let strings = |vs: &[Value]| -> Vec<String> {
        vs.iter()
            .filter_map(|v| match v {
                Value::Str(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    };
    match filter {
        Filter::And(parts) => {
            for part in parts {
                push_column_conditions(q, part);
            }
        }
        Filter::Cond(field @ (MessageField::UserId | MessageField::Id), op) => {
            let column = if *field == MessageField::UserId {
                "user_id"
            } else {
                "id"
            };
            let ids = match op {
                Op::Eq(v) => strings(std::slice::from_ref(v)),
                Op::In(vs) => strings(vs),
                _ => return,
            };
            q.push(format!(" AND {column} = ANY("))
                .push_bind(ids)
                .push(")");
        }
        Filter::Cond(MessageField::CreatedAt, op) => {
            let (cmp, v) = match op {
                Op::Eq(v) => ("=", v),
                Op::Gt(v) => (">", v),
                Op::Gte(v) => (">=", v),
                Op::Lt(v) => ("<", v),
                Op::Lte(v) => ("<=", v),
                _ => return,
            };
            if let Value::Time(t) = v {
                q.push(format!(" AND created_at {cmp} "))
                    .push_bind(t.as_micros());
            }
        }
        _ => {}
    }
}

#[async_trait]
impl SearchStore for PgStore {
    async fn search_messages(&self, app: &AppId, query: &SearchQuery) -> StoreResult<SearchPage> {
        if query.scopes.is_empty() {
            return Ok(SearchPage::empty());
        }
        let cids: Vec<String> = query.scopes.iter().map(|s| s.cid.to_string()).collect();
        let mut q: QueryBuilder<'_, Postgres> = QueryBuilder::new("SELECT ");
        q.push(MESSAGE_COLS)
            .push(" FROM messages WHERE app_id = ")
            .push_bind(app.to_string())
            .push(" AND cid = ANY(")
            .push_bind(cids)
            .push(
                ") AND deleted_at IS NULL \
                 AND coalesce(data ->> 'kind', '') <> 'system' \
                 AND NOT coalesce((data ->> 'shadowed')::boolean, false)",
            );
        if let Some(tsq) = tsquery(&required_text(&query.filter)) {
            q.push(" AND search_tsv @@ ")
                .push_bind(tsq)
                .push("::tsquery");
        }
        push_column_conditions(&mut q, &query.filter);
        let rows: Vec<MessageRow> = q.build_query_as().fetch_all(&self.pool).await.db()?;
        Ok(query.page(messages(rows)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `translate()` arguments of `chat_search_vector`, as the migration spells them:
    /// `E'…'` literals of `\uXXXX` escapes, 16 characters a line, joined by `||`.
    fn translate_literals() -> (String, String) {
        let pairs: Vec<(char, char)> = chat_core::query::text::normalisation().collect();
        let literal = |chars: Vec<char>| -> String {
            chars
                .chunks(16)
                .map(|chunk| {
                    let body: String = chunk
                        .iter()
                        .map(|c| format!("\\u{:04X}", *c as u32))
                        .collect();
                    format!("E'{body}'")
                })
                .collect::<Vec<_>>()
                .join("\n        || ")
        };
        (
            literal(pairs.iter().map(|p| p.0).collect()),
            literal(pairs.iter().map(|p| p.1).collect()),
        )
    }

    #[test]
    fn migration_spells_chat_cores_normalisation() {
        let sql = include_str!("../migrations/20240601000001_message_search.sql");
        let (from, to) = translate_literals();
        assert!(
            sql.contains(&from) && sql.contains(&to),
            "the migration's translate() arguments must be, from:\n        {from}\nto:\n        {to}"
        );
    }

    /// `chat_search_vector` and `search_tsv @@ tsquery(…)` agree with chat-core's tokens
    /// for `a<c>b` and `A<c>` with every character `c` of the BMP, and for long words.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sql_tokens_equal_rust_tokens_over_the_bmp() {
        use chat_core::query::text::tokens;
        let url = std::env::var("DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let store = PgStore::with_fresh_schema(&url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {url} must be reachable: {e}"));
        let mut texts: Vec<String> = ('\u{1}'..='\u{ffff}')
            .flat_map(|c| [format!("a{c}b"), format!("A{c}")])
            .collect();
        texts.push("x".repeat(100));
        texts.push(format!("{} É", "É".repeat(70)));
        texts.push("🎉party🎉 Straße ΣΟΦΟΣ".to_owned());
        let queries: Vec<String> = texts
            .iter()
            .map(|t| {
                tsquery(&TextQuery::all_words(t).into_iter().collect::<Vec<_>>())
                    .unwrap_or_default()
            })
            .collect();
        let rows: Vec<(String, Vec<String>, Option<bool>)> = sqlx::query_as(
            "SELECT t, tsvector_to_array(chat_search_vector(t)), \
                 CASE WHEN q = '' THEN NULL ELSE chat_search_vector(t) @@ q::tsquery END \
             FROM unnest($1::text[], $2::text[]) AS x(t, q)",
        )
        .bind(&texts)
        .bind(&queries)
        .fetch_all(&store.pool)
        .await
        .expect("query");
        assert_eq!(rows.len(), texts.len());
        for (text, mut sql, matched) in rows {
            sql.sort();
            let rust: Vec<String> = tokens(&text).into_iter().collect();
            assert_eq!(sql, rust, "tokens of {text:?}");
            assert_eq!(
                matched,
                (!rust.is_empty()).then_some(true),
                "{text:?} @@ itself"
            );
        }
    }

    #[test]
    fn tsquery_quotes_and_prefixes() {
        let q = [
            TextQuery::all_words("Hello world").unwrap(),
            TextQuery::autocomplete("fo").unwrap(),
        ];
        assert_eq!(tsquery(&q).as_deref(), Some("'hello' & 'world' & 'fo':*"));
        assert_eq!(tsquery(&[]), None);
        assert_eq!(lexeme("a'b\\c"), "'a''b\\\\c'");
    }
}
