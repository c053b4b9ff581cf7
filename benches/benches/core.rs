//! Core hot paths: unread arithmetic, recipient planning, message windows.
//! Run: `cargo bench -p chat-benches --bench core`

use chat_benches::AllWatching;
use chat_core::fanout::{plan, Audience, Event, EventKind};
use chat_core::ids::{Cid, MessageId, UserId};
use chat_core::model::{ChannelCounters, Message};
use chat_core::query::{select_window, MessageCursor, MessagePage};
use chat_core::read_state::{unread_count, ReadState};
use chat_core::time::Timestamp;
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};

fn unread(c: &mut Criterion) {
    let cid = Cid::parse("messaging:bench").expect("cid");
    let counters = ChannelCounters {
        last_seq: 1_000_000,
        truncated_seq: 10,
        deleted_seqs: (0..1_000).map(|i| i * 1_000).collect(),
        ..ChannelCounters::default()
    };
    let reads: Vec<ReadState> = (0..1_000)
        .map(|i| ReadState {
            cid: cid.clone(),
            user_id: UserId::new_unchecked("u"),
            last_read_seq: i * 997,
            last_read_at: Timestamp::default(),
            last_read_message_id: None,
            own_after_cursor: 0,
        })
        .collect();
    c.bench_function("unread_count/1000_channels", |b| {
        b.iter(|| {
            reads
                .iter()
                .map(|r| unread_count(black_box(&counters), r))
                .sum::<u64>()
        })
    });
}

fn recipients(c: &mut Criterion) {
    let cid = Cid::parse("messaging:bench").expect("cid");
    let message = Message::new(
        MessageId::new_unchecked("m"),
        cid.clone(),
        UserId::new_unchecked("u0"),
        Timestamp::default(),
    );
    let event = Event {
        app: chat_core::ids::AppId::new_unchecked("bench"),
        kind: EventKind::MessageNew { message },
        created_at: Timestamp::default(),
        cid: Some(cid),
        actor: Some(UserId::new_unchecked("u0")),
        audience: Audience::Channel,
    };
    let mut group = c.benchmark_group("plan_message_new");
    for n in [10usize, 100, 10_000] {
        let index = AllWatching::new(n);
        let members = index.members();
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| plan(black_box(&event), &members, &index).len())
        });
    }
    group.finish();
}

fn windows(c: &mut Criterion) {
    let cid = Cid::parse("messaging:bench").expect("cid");
    let messages: Vec<Message> = (0..10_000)
        .map(|i| {
            Message::new(
                MessageId::new_unchecked(format!("m{i:05}")),
                cid.clone(),
                UserId::new_unchecked("u"),
                Timestamp::from_micros(i),
            )
        })
        .collect();
    let sorted: Vec<&Message> = messages.iter().collect();
    let page = MessagePage {
        cursor: MessageCursor::Lt(MessageId::new_unchecked("m05000")),
        limit: 25,
        created_after: None,
    };
    c.bench_function("select_window/id_lt_10k", |b| {
        b.iter(|| select_window(black_box(&sorted), &page).map(|w| w.len()))
    });
}

criterion_group!(benches, unread, recipients, windows);
criterion_main!(benches);
