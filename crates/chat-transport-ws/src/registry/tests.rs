//! Registry bookkeeping and the full-queue policy, without sockets (deterministic).

use super::*;

fn conn(id: &str) -> ConnectionId {
    ConnectionId::new_unchecked(id)
}

fn user(id: &str) -> UserId {
    UserId::new_unchecked(id)
}

fn cid(id: &str) -> Cid {
    Cid::parse(&format!("messaging:{id}")).unwrap()
}

/// Registers `c` for `u` with a queue of `capacity`; the receiver plays the socket task.
fn add(r: &Registry, c: &str, u: &str, capacity: usize) -> (Arc<Control>, mpsc::Receiver<Frame>) {
    let (tx, rx) = mpsc::channel(capacity);
    let control = r.register(&conn(c), &user(u), tx).unwrap();
    (control, rx)
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

#[test]
fn register_and_lookup() {
    let r = Registry::new();
    let _a = add(&r, "c1", "alice", 4);
    let _b = add(&r, "c2", "alice", 4);
    let _c = add(&r, "c3", "bob", 4);
    assert_eq!(r.connection_count(), 3);
    assert_eq!(
        sorted(r.connections_of(&user("alice"))),
        vec![conn("c1"), conn("c2")]
    );
    assert_eq!(r.user_connection_count(&user("alice")), 2);
    assert_eq!(r.user_connection_count(&user("nobody")), 0);
    assert_eq!(r.user_of(&conn("c3")), Some(user("bob")));
    assert_eq!(r.user_of(&conn("zz")), None);
    // Duplicate ids are refused.
    let (tx, _rx) = mpsc::channel(1);
    assert!(r.register(&conn("c1"), &user("bob"), tx).is_none());
    assert_eq!(r.user_of(&conn("c1")), Some(user("alice")));
}

#[test]
fn watch_bookkeeping() {
    let r = Registry::new();
    let _a1 = add(&r, "a1", "alice", 4);
    let _a2 = add(&r, "a2", "alice", 4);
    let _b1 = add(&r, "b1", "bob", 4);
    let general = cid("general");
    let random = cid("random");

    assert!(r.watch(&conn("a1"), &general));
    assert!(r.watch(&conn("a1"), &general), "idempotent");
    assert!(r.watch(&conn("a2"), &general));
    assert!(r.watch(&conn("b1"), &general));
    assert!(r.watch(&conn("a1"), &random));
    assert!(!r.watch(&conn("nope"), &general), "unknown connection");

    assert_eq!(r.watchers(&general).len(), 3);
    assert_eq!(r.watcher_count(&general), 2, "distinct users");
    assert_eq!(r.watcher_count(&random), 1);
    assert!(r.is_watching(&user("alice"), &general));
    assert!(r.is_watching(&user("bob"), &general));
    assert!(!r.is_watching(&user("bob"), &random));
    assert_eq!(
        sorted(r.watched_by(&conn("a1"))),
        sorted(vec![general.clone(), random.clone()])
    );

    // Alice stays watching through her other connection.
    assert!(r.unwatch(&conn("a1"), &general));
    assert!(r.unwatch(&conn("a1"), &general), "idempotent");
    assert!(!r.unwatch(&conn("nope"), &general));
    assert!(r.is_watching(&user("alice"), &general));
    assert_eq!(r.watcher_count(&general), 2);
    assert_eq!(
        sorted(r.watchers(&general)),
        vec![(conn("a2"), user("alice")), (conn("b1"), user("bob"))]
    );
    assert!(r.unwatch(&conn("a2"), &general));
    assert!(!r.is_watching(&user("alice"), &general));
    assert_eq!(r.watcher_count(&general), 1);
    assert_eq!(r.watched_by(&conn("a1")), vec![random]);
}

#[test]
fn deregister_clears_every_index() {
    let r = Registry::new();
    let _a1 = add(&r, "a1", "alice", 4);
    let _b1 = add(&r, "b1", "bob", 4);
    for name in ["x", "y", "z"] {
        assert!(r.watch(&conn("a1"), &cid(name)));
    }
    assert!(r.watch(&conn("b1"), &cid("x")));

    let watched = r.deregister(&conn("a1")).unwrap();
    assert_eq!(sorted(watched), vec![cid("x"), cid("y"), cid("z")]);
    assert_eq!(r.deregister(&conn("a1")), None, "only once");
    assert_eq!(r.connection_count(), 1);
    assert_eq!(r.user_of(&conn("a1")), None);
    assert!(r.connections_of(&user("alice")).is_empty());
    assert!(r.watched_by(&conn("a1")).is_empty());
    assert!(!r.is_watching(&user("alice"), &cid("x")));
    assert_eq!(r.watchers(&cid("x")), vec![(conn("b1"), user("bob"))]);
    assert!(r.watchers(&cid("y")).is_empty());
    assert_eq!(r.watcher_count(&cid("z")), 0);
    assert!(
        !r.watch(&conn("a1"), &cid("x")),
        "gone connections cannot watch"
    );
    assert_eq!(
        r.send(&conn("a1"), Frame::durable("x")),
        SendOutcome::Closed
    );
}

#[test]
fn watchers_survive_swap_removal() {
    let r = Registry::new();
    let names: Vec<String> = (0..10).map(|i| format!("c{i}")).collect();
    let _held: Vec<_> = names.iter().map(|n| add(&r, n, n, 1)).collect();
    let room = cid("room");
    for n in &names {
        r.watch(&conn(n), &room);
    }
    for n in names.iter().step_by(3) {
        r.unwatch(&conn(n), &room);
    }
    let expected: Vec<_> = names
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 != 0)
        .map(|(_, n)| (conn(n), user(n)))
        .collect();
    assert_eq!(sorted(r.watchers(&room)), sorted(expected.clone()));
    assert_eq!(r.watcher_count(&room), expected.len());
    // Remaining positions are still right: remove the rest one by one.
    for (c, _) in &expected {
        r.unwatch(c, &room);
    }
    assert!(r.watchers(&room).is_empty());
}

#[test]
fn frames_are_queued_in_order() {
    let r = Registry::new();
    let (_control, mut rx) = add(&r, "c1", "alice", 8);
    for i in 0..5 {
        assert_eq!(
            r.send(&conn("c1"), Frame::durable(format!("{i}"))),
            SendOutcome::Queued
        );
    }
    for i in 0..5 {
        assert_eq!(rx.try_recv().unwrap().payload, format!("{i}"));
    }
    assert_eq!(
        r.send(&conn("unknown"), Frame::durable("x")),
        SendOutcome::Closed
    );
}

#[test]
fn full_queue_drops_droppable_frames_and_keeps_the_connection() {
    let r = Registry::new();
    let (control, mut rx) = add(&r, "c1", "alice", 2);
    assert_eq!(
        r.send(&conn("c1"), Frame::durable("1")),
        SendOutcome::Queued
    );
    assert_eq!(
        r.send(&conn("c1"), Frame::droppable("2")),
        SendOutcome::Queued
    );
    assert_eq!(
        r.send(&conn("c1"), Frame::droppable("typing")),
        SendOutcome::Dropped
    );
    assert_eq!(
        r.send(&conn("c1"), Frame::droppable("typing")),
        SendOutcome::Dropped
    );
    assert_eq!(control.get(), CloseRequest::Open);
    // Once the socket drains, sending works again.
    assert_eq!(rx.try_recv().unwrap().payload, "1");
    assert_eq!(
        r.send(&conn("c1"), Frame::durable("3")),
        SendOutcome::Queued
    );
}

#[test]
fn full_queue_closes_the_connection_on_a_durable_frame() {
    let r = Registry::new();
    let (control, mut rx) = add(&r, "c1", "alice", 2);
    assert_eq!(
        r.send(&conn("c1"), Frame::durable("1")),
        SendOutcome::Queued
    );
    assert_eq!(
        r.send(&conn("c1"), Frame::durable("2")),
        SendOutcome::Queued
    );
    assert_eq!(
        r.send(&conn("c1"), Frame::durable("3")),
        SendOutcome::Closed
    );
    assert_eq!(control.get(), CloseRequest::SlowConsumer);
    // Nothing more is accepted, even with room again: the client must resync.
    rx.try_recv().unwrap();
    assert_eq!(
        r.send(&conn("c1"), Frame::droppable("4")),
        SendOutcome::Closed
    );
    assert_eq!(
        r.send(&conn("c1"), Frame::durable("5")),
        SendOutcome::Closed
    );
}

#[test]
fn close_and_close_all_signal_sockets() {
    let r = Registry::new();
    let (c1, _rx1) = add(&r, "c1", "alice", 2);
    let (c2, _rx2) = add(&r, "c2", "bob", 2);
    r.close(&conn("c1"));
    r.close(&conn("unknown"));
    assert_eq!(c1.get(), CloseRequest::Normal);
    assert_eq!(c2.get(), CloseRequest::Open);
    assert_eq!(
        r.send(&conn("c1"), Frame::durable("x")),
        SendOutcome::Closed
    );
    r.close_all();
    assert_eq!(c1.get(), CloseRequest::Shutdown);
    assert_eq!(c2.get(), CloseRequest::Shutdown);
    // Late registrations are closed too.
    let (c3, _rx3) = add(&r, "c3", "carol", 2);
    assert_eq!(c3.get(), CloseRequest::Shutdown);
}

#[test]
fn implements_watch_index() {
    let r = Registry::new();
    let _a = add(&r, "c1", "alice", 2);
    r.watch(&conn("c1"), &cid("g"));
    let _b = add(&r, "c2", "bob", 2);
    r.watch(&conn("c1"), &cid("g"));
    let watchers = WatchIndex::watchers(&*r, &cid("g"));
    assert_eq!(watchers.len(), 1);
    assert_eq!(watchers[0].id(), &conn("c1"));
    assert_eq!(watchers[0].user(), &user("alice"));
    let mut of_alice = Vec::new();
    r.for_each_connection_of(&user("alice"), &mut |h| of_alice.push(h.id().clone()));
    assert_eq!(of_alice, vec![conn("c1")]);
    assert_eq!(WatchIndex::connection_count(&*r), 2);
    assert!(WatchIndex::watchers(&*r, &cid("nobody")).is_empty());
}

#[test]
fn watcher_snapshot_is_shared_until_the_watch_set_changes() {
    let r = Registry::new();
    let _a = add(&r, "a1", "alice", 2);
    let _b = add(&r, "b1", "bob", 2);
    let room = cid("room");
    r.watch(&conn("a1"), &room);
    let first = r.watcher_snapshot(&room);
    let again = r.watcher_snapshot(&room);
    assert!(Arc::ptr_eq(&first, &again), "no rebuild without a change");
    // Idempotent watches change nothing.
    r.watch(&conn("a1"), &room);
    assert!(Arc::ptr_eq(&first, &r.watcher_snapshot(&room)));
    r.watch(&conn("b1"), &room);
    let second = r.watcher_snapshot(&room);
    assert_eq!(first.len(), 1, "a taken snapshot never changes");
    assert_eq!(second.len(), 2);
    r.deregister(&conn("a1"));
    let third = r.watcher_snapshot(&room);
    assert_eq!(third.len(), 1);
    assert_eq!(third[0].id(), &conn("b1"));
}

#[test]
fn handle_send_applies_the_full_queue_policy() {
    let r = Registry::new();
    let (control, mut rx) = add(&r, "c1", "alice", 1);
    r.watch(&conn("c1"), &cid("g"));
    let handle = r.watcher_snapshot(&cid("g"))[0].clone();
    assert_eq!(handle.send(Frame::durable("1")), SendOutcome::Queued);
    assert_eq!(handle.send(Frame::droppable("t")), SendOutcome::Dropped);
    assert_eq!(control.get(), CloseRequest::Open);
    assert_eq!(handle.send(Frame::durable("2")), SendOutcome::Closed);
    assert_eq!(control.get(), CloseRequest::SlowConsumer);
    rx.try_recv().unwrap();
    assert_eq!(handle.send(Frame::durable("3")), SendOutcome::Closed);
    // A snapshot taken before deregistration may outlive it: sends then fail closed.
    r.deregister(&conn("c1"));
    drop(rx);
    assert_eq!(handle.send(Frame::durable("4")), SendOutcome::Closed);
}

#[test]
fn concurrent_register_watch_send_and_deregister() {
    let r = Registry::new();
    let room = cid("room");
    std::thread::scope(|s| {
        for t in 0..8 {
            let r = &r;
            let room = &room;
            s.spawn(move || {
                for i in 0..200 {
                    let c = conn(&format!("t{t}-c{i}"));
                    let u = user(&format!("u{}", i % 7));
                    let (tx, mut rx) = mpsc::channel(4);
                    r.register(&c, &u, tx).unwrap();
                    // Before watching, nobody else can fill this queue.
                    assert_eq!(r.send(&c, Frame::durable("x")), SendOutcome::Queued);
                    assert_eq!(rx.try_recv().unwrap().payload, "x");
                    assert!(r.watch(&c, room));
                    assert!(r.watch(&c, &cid(&format!("own{t}"))));
                    // Fan-out racing with the other threads: send to whoever watches now
                    // (a watcher may be deregistered in between: `Closed` is fine).
                    for (other, _) in r.watchers(room).into_iter().take(8) {
                        let _ = r.send(&other, Frame::droppable("typing"));
                    }
                    if i % 2 == 0 {
                        assert_eq!(r.deregister(&c).map(|w| w.len()), Some(2));
                    }
                }
            });
        }
    });
    // Half the connections remain, each still in every index exactly once.
    assert_eq!(r.connection_count(), 8 * 100);
    assert_eq!(r.watchers(&room).len(), 8 * 100);
    assert_eq!(r.watcher_count(&room), 7);
    let per_user: usize = (0..7)
        .map(|u| r.user_connection_count(&user(&format!("u{u}"))))
        .sum();
    assert_eq!(per_user, 8 * 100);
    // Concurrent removal empties everything.
    std::thread::scope(|s| {
        for t in 0..8 {
            let r = &r;
            s.spawn(move || {
                for i in (1..200).step_by(2) {
                    assert!(r.deregister(&conn(&format!("t{t}-c{i}"))).is_some());
                }
            });
        }
    });
    assert_eq!(r.connection_count(), 0);
    assert!(r.watchers(&room).is_empty());
    for t in 0..8 {
        assert!(r.watchers(&cid(&format!("own{t}"))).is_empty());
    }
    for u in 0..7 {
        assert!(r.connections_of(&user(&format!("u{u}"))).is_empty());
    }
}
