//! `search_messages`: the token semantics of `chat_core::query::text`, what is never
//! found, scopes, filters on message fields, order, and both kinds of pages. Every page a
//! store returns must also equal [`SearchQuery::page`] over all the channels' messages
//! (checked by [`Search::run`]), so a store that narrows candidates can never drop one.

use std::sync::Arc;

use chat_core::ids::Cid;
use chat_core::model::{Attachment, Message};
use chat_core::query::{
    parse_filter, parse_sort, SearchCursor, SearchPage, SearchPosition, SearchQuery, SearchScope,
};
use chat_core::store::{InsertMessage, Store};
use chat_core::time::Timestamp;
use serde_json::{json, Value as Json};

use crate::fixtures::*;

/// A search over some channels of a context.
struct Search<'a> {
    ctx: &'a Ctx,
    query: SearchQuery,
}

impl<'a> Search<'a> {
    fn new(ctx: &'a Ctx, cids: &[&Cid], filter: Json) -> Self {
        Self {
            ctx,
            query: SearchQuery {
                scopes: cids
                    .iter()
                    .map(|c| SearchScope {
                        cid: (*c).clone(),
                        created_after: None,
                    })
                    .collect(),
                viewer: None,
                filter: parse_filter(&filter).expect("fixture filter parses"),
                sort: parse_sort(&json!([{"field": "relevance", "direction": -1}]))
                    .expect("fixture sort parses"),
                limit: 100,
                position: SearchPosition::Offset(0),
            },
        }
    }

    fn sort(mut self, sort: Json) -> Self {
        self.query.sort = parse_sort(&sort).expect("fixture sort parses");
        self
    }

    fn limit(mut self, limit: usize) -> Self {
        self.query.limit = limit;
        self
    }

    fn viewer(mut self, user: &str) -> Self {
        self.query.viewer = Some(uid(user));
        self
    }

    fn after(mut self, cid: &Cid, t: Timestamp) -> Self {
        for scope in &mut self.query.scopes {
            if &scope.cid == cid {
                scope.created_after = Some(t);
            }
        }
        self
    }

    fn at(&self, position: SearchPosition) -> Self {
        let mut query = self.query.clone();
        query.position = position;
        Self {
            ctx: self.ctx,
            query,
        }
    }

    /// Every message of the scoped channels, thread replies included.
    async fn everything(&self) -> Vec<Message> {
        let mut all = Vec::new();
        for scope in &self.query.scopes {
            let page = chat_core::query::MessagePage::latest(100_000);
            let list = self
                .ctx
                .store
                .channel_messages(&self.ctx.app, &scope.cid, &page)
                .await
                .expect("channel_messages");
            for m in &list {
                if m.thread.reply_count > 0 {
                    let replies = self
                        .ctx
                        .store
                        .thread_replies(&self.ctx.app, &m.id, &page)
                        .await
                        .expect("thread_replies");
                    all.extend(replies.into_iter().filter(|r| !r.in_channel_list()));
                }
            }
            all.extend(list);
        }
        all
    }

    /// The store's page, checked against the reference over every message.
    async fn run(&self) -> SearchPage {
        let got = self
            .ctx
            .store
            .search_messages(&self.ctx.app, &self.query)
            .await
            .unwrap_or_else(|e| panic!("search_messages {:?}: {e:?}", self.query.filter));
        let want = self.query.page(self.everything().await);
        assert_eq!(
            ids(&got.results),
            ids(&want.results),
            "results differ from SearchQuery::page for {:?}",
            self.query.filter
        );
        assert_eq!(got.next, want.next, "next cursor");
        assert_eq!(got.previous, want.previous, "previous cursor");
        got
    }

    /// The ids found.
    async fn ids(&self) -> Vec<String> {
        ids(&self.run().await.results)
    }
}

/// Sends a message with `text` by `user` and returns it as stored.
async fn say(ctx: &Ctx, cid: &Cid, user: &str, text: &str) -> Message {
    ctx.msg(cid, user).text(text).send().await
}

/// Stores a built message.
async fn insert(ctx: &Ctx, m: Message) -> Message {
    ctx.store
        .insert_message(
            &ctx.app,
            m,
            InsertMessage {
                bump_last_message_at: true,
                keep_channel_hidden: false,
            },
        )
        .await
        .expect("insert_message")
        .message
}

fn strs(values: &[&Message]) -> Vec<String> {
    values.iter().map(|m| m.id.to_string()).collect()
}

/// A word matches when it is a token of the text; a message that lacks it does not.
pub async fn matching_and_no_match(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let hit = say(&ctx, &ch.cid, "alice", "the deploy is done").await;
    say(&ctx, &ch.cid, "bob", "lunch anyone?").await;
    let s = |f| Search::new(&ctx, &[&ch.cid], f);
    assert_eq!(
        s(json!({"text": {"$q": "deploy"}})).ids().await,
        strs(&[&hit])
    );
    assert!(s(json!({"text": {"$q": "nothing"}})).ids().await.is_empty());
    // Tokens are whole words: a prefix is not a `$q` match.
    assert!(s(json!({"text": {"$q": "dep"}})).ids().await.is_empty());
}

/// Every query token must be present, in any order.
pub async fn several_tokens_are_all_required(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice"]).await;
    let both = say(&ctx, &ch.cid, "alice", "red apples and green pears").await;
    say(&ctx, &ch.cid, "alice", "red cars").await;
    say(&ctx, &ch.cid, "alice", "green pears").await;
    let s = |f| Search::new(&ctx, &[&ch.cid], f);
    assert_eq!(
        s(json!({"text": {"$q": "pears red"}})).ids().await,
        strs(&[&both])
    );
    assert!(s(json!({"text": {"$q": "red pears blue"}}))
        .ids()
        .await
        .is_empty());
}

/// Case, accents' capitals and punctuation do not matter; non-Latin words are tokens.
pub async fn case_and_punctuation_do_not_matter(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice"]).await;
    let m = say(&ctx, &ch.cid, "alice", "Hello, WORLD! «École» Жук—日本語…").await;
    let s = |f| Search::new(&ctx, &[&ch.cid], f);
    for q in [
        "hello world",
        "HELLO",
        "école",
        "ÉCOLE",
        "жук",
        "日本語",
        "world!!",
    ] {
        assert_eq!(
            s(json!({"text": {"$q": q}})).ids().await,
            strs(&[&m]),
            "query {q:?}"
        );
    }
}

/// `$autocomplete`: earlier words whole, the last a prefix.
pub async fn autocomplete_prefixes_the_last_word(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice"]).await;
    let m = say(&ctx, &ch.cid, "alice", "release candidate ready").await;
    say(&ctx, &ch.cid, "alice", "relax").await;
    let s = |f| Search::new(&ctx, &[&ch.cid], f);
    assert_eq!(
        s(json!({"text": {"$autocomplete": "release cand"}}))
            .ids()
            .await,
        strs(&[&m])
    );
    assert_eq!(
        s(json!({"text": {"$autocomplete": "rel"}}))
            .ids()
            .await
            .len(),
        2
    );
    assert!(s(json!({"text": {"$autocomplete": "rel cand"}}))
        .ids()
        .await
        .is_empty());
}

/// An edit changes what the message is found by.
pub async fn edit_updates_the_index(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice"]).await;
    let mut m = say(&ctx, &ch.cid, "alice", "first draft").await;
    m.text = "final version".into();
    ctx.store
        .update_message(&ctx.app, m.clone())
        .await
        .expect("update_message");
    let s = |f| Search::new(&ctx, &[&ch.cid], f);
    assert!(s(json!({"text": {"$q": "draft"}})).ids().await.is_empty());
    assert_eq!(s(json!({"text": {"$q": "final"}})).ids().await, strs(&[&m]));
}

/// Soft- and hard-deleted messages are never found.
pub async fn deleted_messages_are_not_found(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice"]).await;
    let soft = say(&ctx, &ch.cid, "alice", "secret one").await;
    let hard = say(&ctx, &ch.cid, "alice", "secret two").await;
    let kept = say(&ctx, &ch.cid, "alice", "secret three").await;
    let s = Search::new(&ctx, &[&ch.cid], json!({"text": {"$q": "secret"}}))
        .sort(json!([{"field": "created_at", "direction": 1}]));
    assert_eq!(s.ids().await, strs(&[&soft, &hard, &kept]));
    ctx.soft_delete(&soft.id).await;
    ctx.hard_delete(&hard.id).await;
    assert_eq!(s.ids().await, strs(&[&kept]));
}

/// System and shadowed messages are never found; restricted ones only by their audience
/// (and author), and by a server-side search.
pub async fn system_shadowed_and_restricted(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob", "carol"]).await;
    ctx.msg(&ch.cid, "alice")
        .text("alert system")
        .system()
        .send()
        .await;
    ctx.msg(&ch.cid, "bob")
        .text("alert shadow")
        .shadowed()
        .send()
        .await;
    let mut restricted = ctx.msg(&ch.cid, "alice").text("alert private").build();
    restricted.restricted_visibility = vec![uid("bob")];
    let restricted = insert(&ctx, restricted).await;
    let open = say(&ctx, &ch.cid, "carol", "alert open").await;
    let s = || {
        Search::new(&ctx, &[&ch.cid], json!({"text": {"$q": "alert"}}))
            .sort(json!([{"field": "created_at", "direction": 1}]))
    };
    assert_eq!(s().ids().await, strs(&[&restricted, &open]), "server side");
    assert_eq!(
        s().viewer("bob").ids().await,
        strs(&[&restricted, &open]),
        "addressee"
    );
    assert_eq!(
        s().viewer("alice").ids().await,
        strs(&[&restricted, &open]),
        "author"
    );
    assert_eq!(s().viewer("carol").ids().await, strs(&[&open]), "others");
}

/// Only the scoped channels are searched, and only after their `created_after`.
pub async fn channels_and_history_are_respected(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let a = ctx.channel("a", &["alice"]).await;
    let b = ctx.channel("b", &["alice"]).await;
    let c = ctx.channel("c", &["alice"]).await;
    let old = say(&ctx, &a.cid, "alice", "news").await;
    let cut = ctx.tick();
    let in_a = say(&ctx, &a.cid, "alice", "news").await;
    let in_b = say(&ctx, &b.cid, "alice", "news").await;
    say(&ctx, &c.cid, "alice", "news").await;
    let s = Search::new(&ctx, &[&a.cid, &b.cid], json!({"text": {"$q": "news"}}))
        .sort(json!([{"field": "created_at", "direction": 1}]));
    assert_eq!(s.ids().await, strs(&[&old, &in_a, &in_b]));
    assert_eq!(s.after(&a.cid, cut).ids().await, strs(&[&in_a, &in_b]));
    let missing = cid("missing");
    assert!(
        Search::new(&ctx, &[&missing], json!({"text": {"$q": "news"}}))
            .ids()
            .await
            .is_empty()
    );
}

/// Filters on message fields other than `text`, and replies.
pub async fn filters_on_message_fields(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice", "bob"]).await;
    let parent = say(&ctx, &ch.cid, "alice", "topic start").await;
    let reply = ctx.reply(&parent, "bob").text("topic reply").send().await;
    let pinned = ctx
        .msg(&ch.cid, "bob")
        .text("topic pinned")
        .pinned_at(t(5))
        .mention(&["alice"])
        .send()
        .await;
    let mut with_file = ctx.msg(&ch.cid, "alice").text("topic file").build();
    with_file.attachments = vec![Attachment {
        kind: Some("file".into()),
        ..Attachment::default()
    }];
    with_file.custom.insert("priority", json!(3));
    let with_file = insert(&ctx, with_file).await;
    let parent = ctx.message(&parent.id).await;
    let s =
        |f| Search::new(&ctx, &[&ch.cid], f).sort(json!([{"field": "created_at", "direction": 1}]));
    let cases: Vec<(Json, Vec<&Message>)> = vec![
        (json!({"user.id": "bob"}), vec![&reply, &pinned]),
        (
            json!({"user_id": {"$in": ["alice"]}}),
            vec![&parent, &with_file],
        ),
        (json!({"parent_id": parent.id.as_str()}), vec![&reply]),
        (
            json!({"parent_id": {"$exists": false}, "text": {"$q": "topic"}}),
            vec![&parent, &pinned, &with_file],
        ),
        (json!({"reply_count": {"$gte": 1}}), vec![&parent]),
        (json!({"pinned": true}), vec![&pinned]),
        (
            json!({"mentioned_users.id": {"$contains": "alice"}}),
            vec![&pinned],
        ),
        (json!({"attachments": {"$exists": true}}), vec![&with_file]),
        (
            json!({"attachments.type": {"$in": ["file", "image"]}}),
            vec![&with_file],
        ),
        (json!({"priority": {"$gt": 2}}), vec![&with_file]),
        (json!({"type": "reply"}), vec![&reply]),
        (
            json!({"id": {"$in": [pinned.id.as_str(), "nope"]}}),
            vec![&pinned],
        ),
        (
            json!({"created_at": {"$gt": parent.created_at.to_rfc3339()}, "text": {"$autocomplete": "topic fi"}}),
            vec![&with_file],
        ),
        (
            json!({"$or": [{"text": {"$q": "reply"}}, {"text": {"$q": "pinned"}}]}),
            vec![&reply, &pinned],
        ),
        (
            json!({"text": {"$q": "topic"}, "$nor": [{"user.id": "alice"}]}),
            vec![&reply, &pinned],
        ),
    ];
    for (filter, want) in cases {
        assert_eq!(s(filter.clone()).ids().await, strs(&want), "{filter}");
    }
}

/// Default order: relevance (fewer distinct words first), then id ascending.
pub async fn relevance_then_id_is_the_default_order(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice"]).await;
    let long = ctx
        .msg(&ch.cid, "alice")
        .id("a-long")
        .text("a long message about the build")
        .send()
        .await;
    let short_b = ctx
        .msg(&ch.cid, "alice")
        .id("c-short")
        .text("build broken")
        .send()
        .await;
    let short_a = ctx
        .msg(&ch.cid, "alice")
        .id("b-short")
        .text("build fixed")
        .send()
        .await;
    let exact = ctx
        .msg(&ch.cid, "alice")
        .id("d-exact")
        .text("BUILD!")
        .send()
        .await;
    let s = Search::new(&ctx, &[&ch.cid], json!({"text": {"$q": "build"}}));
    assert_eq!(s.ids().await, strs(&[&exact, &short_a, &short_b, &long]));
}

/// Sorting by `created_at` both ways (ties by id), and by a custom field.
pub async fn sort_by_created_at_and_custom(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice"]).await;
    let mut sent = Vec::new();
    for (id, at, rank) in [
        ("m-b", 10, 2),
        ("m-a", 10, 1),
        ("m-c", 5, 3),
        ("m-d", 20, 0),
    ] {
        let mut m = ctx
            .msg(&ch.cid, "alice")
            .id(id)
            .text("sorted")
            .at(t(at))
            .build();
        m.custom.insert("rank", json!(rank));
        sent.push(insert(&ctx, m).await);
    }
    let [b, a, c, d] = [&sent[0], &sent[1], &sent[2], &sent[3]];
    let s = |sort| Search::new(&ctx, &[&ch.cid], json!({"text": {"$q": "sorted"}})).sort(sort);
    assert_eq!(
        s(json!([{"field": "created_at", "direction": 1}]))
            .ids()
            .await,
        strs(&[c, a, b, d])
    );
    assert_eq!(
        s(json!([{"field": "created_at", "direction": -1}]))
            .ids()
            .await,
        strs(&[d, a, b, c])
    );
    assert_eq!(
        s(json!([{"field": "rank", "direction": -1}])).ids().await,
        strs(&[c, b, a, d])
    );
}

/// Offset pages cover the results exactly once.
pub async fn offset_pages_have_no_gaps(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice"]).await;
    for i in 0..23 {
        say(&ctx, &ch.cid, "alice", &format!("page item {i}")).await;
    }
    let s = Search::new(&ctx, &[&ch.cid], json!({"text": {"$q": "item"}})).limit(5);
    let all = s.limit(100).ids().await;
    assert_eq!(all.len(), 23);
    let s = Search::new(&ctx, &[&ch.cid], json!({"text": {"$q": "item"}})).limit(5);
    let mut walked = Vec::new();
    for offset in (0..30).step_by(5) {
        walked.extend(s.at(SearchPosition::Offset(offset)).ids().await);
    }
    assert_eq!(walked, all);
}

/// `next` walks every result once, even when messages arrive and go mid-walk; `previous`
/// walks back to the start.
pub async fn cursor_pages_have_no_gaps_or_repeats(store: Arc<dyn Store>) {
    let ctx = Ctx::new(store).await;
    let ch = ctx.channel("general", &["alice"]).await;
    let mut sent = Vec::new();
    for i in 0..20 {
        // Pairs share a creation time, so the id breaks ties.
        let at = t(100 + i / 2);
        let m = ctx
            .msg(&ch.cid, "alice")
            .id(&format!("k{:02}", 19 - i))
            .text("walk")
            .at(at)
            .send()
            .await;
        sent.push(m);
    }
    let s = Search::new(&ctx, &[&ch.cid], json!({"text": {"$q": "walk"}}))
        .sort(json!([{"field": "created_at", "direction": -1}]))
        .limit(6);
    let mut pages = vec![s.run().await];
    let mut walked = ids(&pages[0].results);
    let mut late = None;
    while let Some(next) = pages.last().and_then(|p| p.next.clone()) {
        if late.is_none() {
            // A newer message sorts before the cursor: it must not shift later pages.
            late = Some(say(&ctx, &ch.cid, "alice", "walk late").await);
            ctx.hard_delete(&sent[0].id).await;
        }
        let page = s.at(SearchPosition::Cursor(next)).run().await;
        walked.extend(ids(&page.results));
        pages.push(page);
    }
    // The deleted message is the oldest, so the walk had not reached it yet.
    let mut want: Vec<Message> = sent[1..].to_vec();
    want.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
    let want: Vec<String> = ids(&want);
    assert_eq!(walked, want, "walk with next");
    // Back from the last page: `previous` pages, then nothing before the newest.
    let mut back: Vec<String> = Vec::new();
    let mut cursor: Option<SearchCursor> = pages.last().and_then(|p| p.previous.clone());
    while let Some(c) = cursor {
        let page = s.at(SearchPosition::Cursor(c)).run().await;
        back.splice(0..0, ids(&page.results));
        cursor = page.previous;
    }
    let last = pages.last().map(|p| ids(&p.results)).unwrap_or_default();
    back.extend(last);
    let mut now: Vec<String> = vec![late.map(|m| m.id.to_string()).unwrap_or_default()];
    now.extend(want);
    assert_eq!(back, now, "walk back with previous");
}

/// The stores agree with the reference on a corpus of many words, for many filters,
/// sorts, viewers and histories, walking every page forward with `next`, back with
/// `previous`, and by offset.
pub async fn corpus_matches_the_reference(store: Arc<dyn Store>) {
    const WORDS: &[&str] = &[
        "alpha", "beta", "Gamma", "delta", "ÉPSILON", "zeta", "eta", "theta", "iota", "kappa",
    ];
    let ctx = Ctx::new(store).await;
    let a = ctx.channel("a", &["alice", "bob", "carol"]).await;
    let b = ctx.channel("b", &["alice", "bob", "carol"]).await;
    let mut n: usize = 7;
    let mut middle = None;
    for i in 0..120 {
        let mut text = String::new();
        for _ in 0..(1 + i % 5) {
            n = (n * 31 + 11) % 1009;
            text.push_str(WORDS[n % WORDS.len()]);
            text.push_str([" ", ", ", "-", "! "][n % 4]);
        }
        let cid = if i % 3 == 0 { &b.cid } else { &a.cid };
        let user = ["alice", "bob", "carol"][i % 3];
        // Every seventh message shares its creation time with the one before.
        let at = t(10_000 + (i - usize::from(i % 7 == 1)) as i64);
        let mut m = ctx.msg(cid, user).text(&text).at(at).build();
        if i % 11 == 0 {
            m.restricted_visibility = vec![uid("bob")];
        }
        if i % 23 == 0 {
            m.shadowed = true;
        }
        let m = insert(&ctx, m).await;
        if i % 17 == 0 {
            ctx.soft_delete(&m.id).await;
        }
        if i == 60 {
            middle = Some(m.created_at);
        }
    }
    let middle = middle.expect("the corpus has a middle");
    let filters = [
        json!({"text": {"$q": "alpha"}}),
        json!({"text": {"$q": "gamma epsilon"}}),
        json!({"text": {"$q": "épsilon"}}),
        json!({"text": {"$autocomplete": "the"}}),
        json!({"text": {"$autocomplete": "kappa e"}}),
        json!({"text": {"$q": "beta"}, "user.id": "bob"}),
        json!({"text": {"$q": "eta"}, "cid": {"$in": [b.cid.as_str()]}, "created_at": {"$lte": middle.to_rfc3339()}}),
        json!({"$or": [{"text": {"$q": "zeta"}}, {"text": {"$q": "iota"}}]}),
        json!({"text": {"$q": "omega"}}),
        json!({"user.id": {"$in": ["alice", "carol"]}}),
    ];
    let sorts = [
        json!([{"field": "relevance", "direction": -1}]),
        json!([{"field": "created_at", "direction": 1}]),
        json!([{"field": "created_at", "direction": -1}, {"field": "relevance", "direction": 1}]),
        json!([{"field": "user.id", "direction": -1}]),
    ];
    for filter in &filters {
        for sort in &sorts {
            for viewer in [None, Some("bob"), Some("carol")] {
                let mut s = Search::new(&ctx, &[&a.cid, &b.cid], filter.clone())
                    .sort(sort.clone())
                    .limit(7);
                if let Some(v) = viewer {
                    s = s.viewer(v).after(&a.cid, t(10_030));
                }
                // Each page is checked against the reference by `run`.
                let mut page = s.run().await;
                let mut forward = ids(&page.results);
                while let Some(next) = page.next.clone() {
                    page = s.at(SearchPosition::Cursor(next)).run().await;
                    forward.extend(ids(&page.results));
                }
                let mut backward = ids(&page.results);
                while let Some(previous) = page.previous.clone() {
                    page = s.at(SearchPosition::Cursor(previous)).run().await;
                    backward.splice(0..0, ids(&page.results));
                }
                assert_eq!(backward, forward, "{filter} {sort}: back walk");
                if sort == &sorts[0] {
                    let mut by_offset = Vec::new();
                    for offset in (0..forward.len() + 7).step_by(7) {
                        by_offset.extend(s.at(SearchPosition::Offset(offset)).ids().await);
                    }
                    assert_eq!(by_offset, forward, "{filter}: offset walk");
                }
            }
        }
    }
}

/// The engine's search command over the store: channel selection and permissions,
/// truncated history, request rules.
pub async fn engine_search_rules(store: Arc<dyn Store>) {
    use chat_core::engine::{Actor, SearchMessages, TruncateChannel};
    use chat_core::query::{ChannelField, CursorDirection, Filter};
    use chat_core::Error;

    let w = crate::engine::World::new(store, &["alice", "bob", "carol"]).await;
    let team = w
        .channel("messaging", "team", "alice", &["alice", "bob"])
        .await;
    let solo = w.channel("messaging", "solo", "carol", &["carol"]).await;
    let first = w.send("bob", &team, "hello team").await.expect("send");
    w.send("carol", &solo, "hello me").await.expect("send");
    let request = |channels: Json, query: &str| SearchMessages {
        channel_filter: parse_filter::<ChannelField>(&channels).expect("channel filter"),
        query: Some(query.to_owned()),
        message_filter: None,
        sort: Vec::new(),
        limit: None,
        offset: None,
        next: None,
        user_id: None,
    };
    let found = |page: SearchPage| ids(&page.results);
    let alice = w.as_user("alice");

    let page = w
        .engine
        .search_messages(
            &alice,
            request(json!({"members": {"$in": ["alice"]}}), "HELLO"),
        )
        .await
        .expect("search");
    assert_eq!(found(page), strs(&[&first]));
    // Channels the searcher cannot read are skipped; if none is left, 403.
    let page = w
        .engine
        .search_messages(&alice, request(json!({"type": "messaging"}), "hello"))
        .await
        .expect("search");
    assert_eq!(found(page), strs(&[&first]));
    let denied = w
        .engine
        .search_messages(&alice, request(json!({"cid": solo.as_str()}), "hello"))
        .await;
    assert!(
        matches!(denied, Err(Error::PermissionDenied(_))),
        "{denied:?}"
    );
    let none = w
        .engine
        .search_messages(
            &alice,
            request(json!({"cid": "messaging:nothing"}), "hello"),
        )
        .await
        .expect("search");
    assert!(none.results.is_empty());
    let all = w
        .engine
        .search_messages(&w.server(), request(json!({"type": "messaging"}), "hello"))
        .await
        .expect("search");
    assert_eq!(all.results.len(), 2);
    let anonymous = Actor {
        app: w.app.clone(),
        user: None,
        server: false,
    };
    let refused = w
        .engine
        .search_messages(&anonymous, request(json!({"type": "messaging"}), "hello"))
        .await;
    assert!(
        matches!(refused, Err(Error::PermissionDenied(_))),
        "{refused:?}"
    );

    // Truncated history is not searched; later messages are.
    w.clock.advance_micros(1);
    w.engine
        .truncate_channel(
            &alice,
            TruncateChannel {
                cid: team.clone(),
                hard: false,
                truncated_at: None,
            },
        )
        .await
        .expect("truncate");
    let later = w.send("bob", &team, "hello again").await.expect("send");
    let page = w
        .engine
        .search_messages(&alice, request(json!({"cid": team.as_str()}), "hello"))
        .await
        .expect("search");
    assert_eq!(found(page), strs(&[&later]));

    // Request rules: each is an `Invalid` naming the field.
    let base = || request(json!({"cid": team.as_str()}), "hello");
    let sorted = parse_sort(&json!([{"field": "created_at"}])).expect("sort");
    let cursor = SearchCursor {
        direction: CursorDirection::After,
        values: Vec::new(),
    };
    let bad: Vec<(&str, SearchMessages)> = vec![
        (
            "query",
            SearchMessages {
                query: None,
                ..base()
            },
        ),
        (
            "query",
            SearchMessages {
                message_filter: Some(Filter::All),
                ..base()
            },
        ),
        (
            "query",
            SearchMessages {
                query: Some("?!".into()),
                ..base()
            },
        ),
        (
            "text",
            SearchMessages {
                query: None,
                message_filter: Some(
                    parse_filter(&json!({"text": {"$autocomplete": "—"}})).expect("filter"),
                ),
                ..base()
            },
        ),
        (
            "offset",
            SearchMessages {
                offset: Some(3),
                sort: sorted.clone(),
                ..base()
            },
        ),
        (
            "offset",
            SearchMessages {
                offset: Some(3),
                next: Some(cursor.clone()),
                ..base()
            },
        ),
        (
            "offset",
            SearchMessages {
                offset: Some(1_001),
                ..base()
            },
        ),
        (
            "next",
            SearchMessages {
                next: Some(cursor),
                ..base()
            },
        ),
    ];
    for (field, input) in bad {
        match w.engine.search_messages(&alice, input).await {
            Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected Invalid on {field}, got {other:?}"),
        }
    }
}
