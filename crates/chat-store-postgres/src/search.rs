//! `SearchStore` on PostgreSQL: a full-text column narrows, and either SQL pages exactly or
//! chat-core's reference page decides.
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
//! Every search's SQL keeps the rows of the scoped channels the searcher may find (scope
//! history, not deleted, not system, not shadowed, restricted visibility) that contain the
//! filter's required tokens (top-level `$q`/`$autocomplete` on `text`) and pass cheap
//! column conditions (`user.id`, `id`, `cid`, `created_at` at the top level). Then:
//! * when that is the whole filter and every sort key is a column or `relevance` (the
//!   token count, `length(search_tsv)`), SQL also sorts and pages (`search_page.rs`): a
//!   search reads `limit + 1` rows whatever the number of matches;
//! * otherwise [`SearchQuery::page`] applies the whole filter, the sort and the page to
//!   the candidates in Rust, exactly as the memory store does.

use async_trait::async_trait;
use chat_core::ids::AppId;
use chat_core::query::text::TextQuery;
use chat_core::query::{required_text, Filter, MessageField, Op, SearchPage, SearchQuery, Value};
use chat_core::store::SearchStore;
use chat_core::StoreResult;
use sqlx::{Postgres, QueryBuilder};

use crate::error::DbResult;
use crate::rows::{messages, MessageRow, MESSAGE_COLS};
use crate::search_page::ExactPlan;
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

/// The column of a field that SQL compares exactly like the evaluator (byte-ordered
/// strings, microsecond times), if any.
fn column(field: &MessageField) -> Option<&'static str> {
    match field {
        MessageField::UserId => Some("user_id"),
        MessageField::Id => Some("id"),
        MessageField::Cid => Some("cid"),
        MessageField::CreatedAt => Some("created_at"),
        _ => None,
    }
}

/// The SQL comparison of an ordered operator.
fn comparison(op: &Op) -> Option<(&'static str, &Value)> {
    Some(match op {
        Op::Eq(v) => ("=", v),
        Op::Gt(v) => (">", v),
        Op::Gte(v) => (">=", v),
        Op::Lt(v) => ("<", v),
        Op::Lte(v) => ("<=", v),
        _ => return None,
    })
}

/// Whether SQL evaluates the condition exactly as the evaluator does (through
/// [`push_conditions`]).
fn exact_condition(filter: &Filter<MessageField>) -> bool {
    match filter {
        Filter::Cond(MessageField::Text, Op::Q(q)) => TextQuery::all_words(q).is_some(),
        Filter::Cond(MessageField::Text, Op::Autocomplete(q)) => {
            TextQuery::autocomplete(q).is_some()
        }
        Filter::Cond(MessageField::CreatedAt, op) => {
            matches!(comparison(op), Some((_, Value::Time(_))))
        }
        Filter::Cond(field, Op::Eq(_) | Op::In(_)) => {
            column(field).is_some() && *field != MessageField::CreatedAt
        }
        _ => false,
    }
}

/// Whether SQL evaluates the whole filter exactly.
pub(crate) fn exact_filter(filter: &Filter<MessageField>) -> bool {
    match filter {
        Filter::All => true,
        Filter::And(parts) => parts.iter().all(exact_condition),
        cond => exact_condition(cond),
    }
}

/// Column conditions every match satisfies (top-level conjuncts only). Each is exact:
/// strings compare bytes (`COLLATE "C"`), non-string operands of `$eq`/`$in` on a string
/// column match nothing, as in the evaluator.
fn push_conditions(q: &mut QueryBuilder<'_, Postgres>, filter: &Filter<MessageField>) {
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
                push_conditions(q, part);
            }
        }
        Filter::Cond(MessageField::CreatedAt, op) => {
            if let Some((cmp, Value::Time(t))) = comparison(op) {
                q.push(format!(" AND created_at {cmp} "))
                    .push_bind(t.as_micros());
            }
        }
        Filter::Cond(field, op) => {
            let Some(column) = column(field) else { return };
            let values = match op {
                Op::Eq(v) => strings(std::slice::from_ref(v)),
                Op::In(vs) => strings(vs),
                _ => return,
            };
            q.push(format!(" AND {column} = ANY("))
                .push_bind(values)
                .push(")");
        }
        Filter::All | Filter::Or(_) | Filter::Nor(_) => {}
    }
}

/// `FROM … WHERE …` of every search: the rows the searcher may find that pass the
/// filter's required tokens and column conditions.
pub(crate) fn push_from(q: &mut QueryBuilder<'_, Postgres>, app: &AppId, query: &SearchQuery) {
    // A cid listed twice keeps its first scope, as in the reference.
    let mut cids: Vec<String> = Vec::with_capacity(query.scopes.len());
    let mut afters: Vec<Option<i64>> = Vec::with_capacity(query.scopes.len());
    for scope in &query.scopes {
        let cid = scope.cid.to_string();
        if !cids.contains(&cid) {
            cids.push(cid);
            afters.push(scope.created_after.map(|t| t.as_micros()));
        }
    }
    q.push(" FROM messages JOIN unnest(")
        .push_bind(cids)
        .push("::text[], ")
        .push_bind(afters)
        .push("::bigint[]) AS scope(cid, after) USING (cid) WHERE app_id = ")
        .push_bind(app.to_string())
        .push(
            " AND (scope.after IS NULL OR created_at > scope.after) \
             AND deleted_at IS NULL \
             AND coalesce(data ->> 'kind', '') <> 'system' \
             AND NOT coalesce((data ->> 'shadowed')::boolean, false)",
        );
    if let Some(viewer) = &query.viewer {
        q.push(" AND (coalesce(data -> 'restricted_visibility', '[]'::jsonb) = '[]'::jsonb OR user_id = ")
            .push_bind(viewer.to_string())
            .push(" OR data -> 'restricted_visibility' ? ")
            .push_bind(viewer.to_string())
            .push(")");
    }
    if let Some(tsq) = tsquery(&required_text(&query.filter)) {
        q.push(" AND search_tsv @@ ")
            .push_bind(tsq)
            .push("::tsquery");
    }
    push_conditions(q, &query.filter);
}

#[async_trait]
impl SearchStore for PgStore {
    async fn search_messages(&self, app: &AppId, query: &SearchQuery) -> StoreResult<SearchPage> {
        if query.scopes.is_empty() {
            return Ok(SearchPage::empty());
        }
        if let Some(plan) = ExactPlan::new(query) {
            return plan.run(&self.pool, app).await;
        }
        let mut q: QueryBuilder<'_, Postgres> = QueryBuilder::new("SELECT ");
        q.push(MESSAGE_COLS);
        push_from(&mut q, app, query);
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
