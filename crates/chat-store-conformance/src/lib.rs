//! The one conformance suite every [`chat_core::store::Store`] implementation must pass.
//!
//! Each case is a plain `pub async fn case(store: Arc<dyn Store>)` that panics on a contract
//! violation. Cases are grouped in modules by aggregate ([`apps`], [`users`],
//! [`channel_types`], [`channels`], [`members`], [`messages`], [`pagination`],
//! [`reactions`], [`reads`], [`flags`], [`queries`], [`concurrency`], [`search`]; [`engine`] runs the
//! `ChatEngine` commands end to end over the store) and read like specs
//! thanks to the builders in [`fixtures`]. What they check is the contract written on the
//! trait methods in `chat_core::store`; a case's doc comment says which part.
//!
//! # Running the suite against a store
//!
//! A store crate adds this crate and `tokio` (features `macros`, `rt-multi-thread`) as
//! dev-dependencies and has one integration test file, e.g. `tests/conformance.rs`:
//!
//! ```ignore
//! chat_store_conformance::store_conformance_tests!(|| async {
//!     std::sync::Arc::new(chat_store_memory::MemoryStore::new())
//!         as std::sync::Arc<dyn chat_core::store::Store>
//! });
//! ```
//!
//! The argument is a *factory*: any expression `f` such that `f()` is a future resolving
//! to an `Arc<dyn Store>` — an async closure as above, or the path of an
//! `async fn() -> Arc<dyn Store>`. It is called once per case, so every case starts from a
//! fresh, empty store; a Postgres factory can create a fresh schema (or database) from
//! `DATABASE_URL` there:
//!
//! ```ignore
//! async fn fresh_schema() -> std::sync::Arc<dyn chat_core::store::Store> {
//!     let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
//!     std::sync::Arc::new(chat_store_postgres::PgStore::with_fresh_schema(&url).await.expect("schema"))
//! }
//! chat_store_conformance::store_conformance_tests!(fresh_schema);
//! ```
//!
//! The macro expands, at the place it is invoked, to a private `async fn` holding the
//! factory and one module per aggregate, each holding one
//! `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]` per case, named after the
//! case. A test runner therefore lists every case on its own, e.g.
//! `messages::duplicate_id_is_refused`, and `cargo nextest run -E 'test(/^reads::/)'` runs
//! one aggregate. Invoke it once per module (wrap invocations in `mod` blocks to run the
//! suite against several configurations of one store).
//!
//! # Adding a case
//!
//! Write the `pub async fn` in its module, then add its name to the list in
//! [`__conformance_cases!`] — the one place that enumerates the suite. The same list feeds
//! the test expansion and [`cases`], a registry for custom harnesses (for instance a
//! Postgres harness that wants to run every case against one shared database).
//!
//! Cases never sleep and never read the system clock: time comes from
//! [`fixtures::t`] and the context's fixed tick sequence; concurrency cases use
//! `tokio::spawn` and join.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chat_core::store::Store;

pub mod apps;
pub mod channel_types;
pub mod channels;
pub mod concurrency;
pub mod engine;
pub mod fixtures;
pub mod flags;
pub mod members;
pub mod messages;
pub mod pagination;
pub mod queries;
pub mod reactions;
pub mod reads;
pub mod search;
pub mod users;

#[doc(hidden)]
pub mod __private {
    pub use chat_core::store::Store;
}

/// The future a case returns, boxed for the [`cases`] registry.
pub type CaseFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// One conformance case, for harnesses that do not use [`store_conformance_tests!`].
#[derive(Clone, Copy)]
pub struct Case {
    /// The aggregate module (`messages`, `reads`…).
    pub module: &'static str,
    /// The case function's name.
    pub name: &'static str,
    /// Runs the case against a fresh store; panics on a contract violation.
    pub run: fn(Arc<dyn Store>) -> CaseFuture,
}

impl Case {
    /// `module::name`, as the generated test is named.
    pub fn path(&self) -> String {
        format!("{}::{}", self.module, self.name)
    }
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.path())
    }
}

/// Every case of the suite, in list order.
pub fn cases() -> Vec<Case> {
    crate::__conformance_cases!(@registry)
}

/// The list of cases: the one place that enumerates the suite. Each line is an aggregate
/// module followed by its case functions; adding a case is adding its name here.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cases {
    ($($mode:tt)*) => {
        $crate::__conformance_expand! { ($($mode)*)
            apps {
                insert_and_get,
                duplicate_id_or_api_key_is_refused,
                get_by_api_key,
                update_bumps_version,
                update_with_stale_version_conflicts,
                list_is_ordered_by_id,
                rows_of_different_apps_never_meet,
            }
            users {
                insert_round_trips_every_field,
                duplicate_id_is_refused,
                update_is_compare_and_swap,
                update_of_missing_user_is_not_found,
                get_users_keeps_request_order_and_skips_missing,
            }
            channel_types {
                insert_get_and_list_by_name,
                duplicate_name_is_refused,
                update_is_compare_and_swap,
                delete_removes_and_missing_is_not_found,
            }
            channels {
                create_new_stores_members_and_counters,
                create_existing_returns_it_untouched,
                get_channels_keeps_request_order,
                update_replaces_content_and_keeps_counters,
                update_with_stale_version_conflicts,
                delete_cascades_to_everything_in_it,
                delete_missing_is_not_found,
                soft_truncate_resets_counters_and_keeps_messages,
                hard_truncate_removes_old_messages_reactions_and_flags,
            }
            members {
                add_members_is_idempotent_and_counts_exactly,
                added_member_starts_with_nothing_unread,
                add_members_to_missing_channel_is_not_found,
                remove_members_counts_exactly_and_drops_cursors,
                update_member_is_compare_and_swap,
                get_members_keeps_request_order,
                member_ids_are_sorted_ascending,
                memberships_are_ordered_by_cid,
            }
            messages {
                counted_messages_take_the_next_seq,
                silent_and_shadowed_messages_are_not_counted,
                system_messages_are_counted,
                thread_only_reply_stays_out_of_the_channel,
                show_in_channel_reply_is_counted,
                duplicate_id_is_refused,
                insert_into_missing_channel_is_not_found,
                reply_to_missing_or_foreign_parent_is_not_found,
                last_message_at_only_moves_forward,
                author_cursor_moves_only_for_channel_messages,
                replies_update_parent_and_thread_cursor,
                mentioned_users_get_the_mentioned_flag,
                new_message_unhides_members,
                get_messages_keeps_request_order,
                update_keeps_store_owned_fields_and_bumps_version,
                update_with_stale_version_conflicts,
                soft_delete_counts_once,
                hard_delete_removes_row_reactions_and_flags,
                deleting_a_reply_counts_on_the_parent,
                deleting_uncounted_or_truncated_messages_keeps_deleted_seqs,
                delete_missing_is_not_found,
                pinned_messages_most_recently_pinned_first,
            }
            pagination {
                latest_then_lt_walks_everything,
                lte_walk_overlaps_by_one,
                gt_walk_walks_everything,
                gte_walk_overlaps_by_one,
                around_centres_on_the_message,
                created_before_walk_walks_everything,
                created_after_walk_walks_everything,
                time_cursors_match_reference,
                equal_timestamps_break_ties_by_id,
                equal_timestamps_time_cursors_match_reference,
                created_after_hides_older_messages,
                unknown_cursor_id_is_not_found,
                soft_deleted_messages_stay_in_pages,
                thread_replies_pages_match_reference,
            }
            reactions {
                first_reaction_creates_group,
                same_user_and_type_replaces_keeping_created_at,
                groups_count_and_sum_exactly,
                enforce_unique_removes_other_kinds,
                latest_keeps_ten_newest_and_refills_after_delete,
                delete_reaction_updates_summary,
                delete_missing_reaction_is_not_found,
                reaction_on_missing_message_is_not_found,
                list_reactions_order_offset_limit,
                user_reactions_across_messages,
            }
            reads {
                others_messages_count_own_do_not,
                silent_and_thread_only_replies_do_not_count,
                deleting_unread_lowers_count_deleting_read_does_not,
                mark_read_latest_clears_everything,
                mark_read_up_to_a_message_may_move_back,
                mark_read_errors,
                mark_unread_counts_from_message_excluding_own,
                mark_unread_from_uncounted_message,
                mark_unread_ignores_deleted_own_messages,
                deleting_own_message_after_mark_unread,
                truncate_clears_unread,
                channel_reads_by_user_id_with_limit,
                user_reads_counters_match_channel,
                thread_reads_track_reply_count,
                mark_thread_read_of_missing_parent_is_not_found,
            }
            flags {
                update_flags_sets_and_clears,
                empty_flags_remove_the_row,
                flags_of_lists_only_the_users_non_empty_flags,
                messages_flagged_newest_first_with_all_flags,
                update_flags_of_missing_message_is_not_found,
            }
            queries {
                users_every_operator_on_every_field_type,
                users_and_or_nor,
                users_sort_offset_limit,
                users_deleted_and_deactivated,
                channels_every_operator_on_every_field_type,
                channels_members_list_field,
                channels_and_or_nor,
                channels_sort_ties_by_cid,
                channels_per_user_fields,
                channels_offset_limit,
                members_every_operator,
                members_sort_offset_limit,
            }
            concurrency {
                concurrent_create_channel_creates_once,
                concurrent_sends_of_one_id_store_once,
                concurrent_sends_take_distinct_seqs,
                concurrent_replies_count_exactly,
                concurrent_reactions_count_exactly,
                concurrent_add_members_count_exactly,
                concurrent_updates_one_version_wins,
            }
            search {
                matching_and_no_match,
                several_tokens_are_all_required,
                case_and_punctuation_do_not_matter,
                autocomplete_prefixes_the_last_word,
                edit_updates_the_index,
                deleted_messages_are_not_found,
                system_shadowed_and_restricted,
                channels_and_history_are_respected,
                filters_on_message_fields,
                relevance_then_id_is_the_default_order,
                sort_by_created_at_and_custom,
                offset_pages_have_no_gaps,
                cursor_pages_have_no_gaps_or_repeats,
                corpus_matches_the_reference,
                engine_search_rules,
            }
            engine {
                send_and_permissions,
                livestream_open,
                duplicate_client_id,
                concurrent_duplicate_sends,
                unread_math,
                unread_totals_and_truncate,
                threads,
                message_ownership,
                partial_update_message,
                reactions,
                distinct_channels,
                validation,
                hide_show_and_query,
                users,
                events,
                members,
                invites,
                user_batches_are_all_or_nothing,
            }
        }
    };
}

/// Expands the case list in one of its modes; not for direct use.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_expand {
    ((@registry) $( $module:ident { $( $case:ident ),* $(,)? } )*) => {
        ::std::vec![ $( $(
            $crate::Case {
                module: ::std::stringify!($module),
                name: ::std::stringify!($case),
                run: |store| ::std::boxed::Box::pin($crate::$module::$case(store)),
            },
        )* )* ]
    };
    ((@tests $factory:expr) $( $module:ident { $( $case:ident ),* $(,)? } )*) => {
        async fn __store_conformance_factory(
        ) -> ::std::sync::Arc<dyn $crate::__private::Store> {
            let factory = $factory;
            factory().await
        }
        $(
            mod $module {
                $(
                    #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $case() {
                        $crate::$module::$case(super::__store_conformance_factory().await).await;
                    }
                )*
            }
        )*
    };
}

/// Expands to one `#[tokio::test]` per conformance case, each run against a fresh store
/// from the given factory. See the [crate docs](crate) for the form and an example.
#[macro_export]
macro_rules! store_conformance_tests {
    ($factory:expr $(,)?) => {
        $crate::__conformance_cases! { @tests $factory }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_lists_every_case_once() {
        let all = cases();
        assert!(all.len() >= 70, "only {} cases", all.len());
        let mut paths: Vec<String> = all.iter().map(Case::path).collect();
        paths.sort();
        let before = paths.len();
        paths.dedup();
        assert_eq!(before, paths.len(), "a case is listed twice");
    }
}
