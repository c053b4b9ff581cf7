//! End-to-end socket behaviour over real loopback TCP on port 0.

mod common;

use std::time::Duration;

use bytes::Bytes;
use chat_transport_ws::{Frame, SendOutcome, TransportConfig};
use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

fn quiet() -> TransportConfig {
    // No timers: these tests are about traffic, not keep-alive.
    TransportConfig {
        health_interval: Duration::ZERO,
        idle_timeout: Duration::ZERO,
        ..TransportConfig::default()
    }
}

#[tokio::test]
async fn first_frame_comes_before_frames_queued_right_after_registration() {
    let server = Server::start(quiet()).await;
    let mut ws = server.connect("c1", "alice").await;
    // Publish as soon as the connection is visible, before the client reads anything.
    wait_until(|| server.registry.user_of(&conn("c1")).is_some()).await;
    for i in 0..200 {
        let outcome = server
            .registry
            .send(&conn("c1"), Frame::durable(format!(r#"{{"n":{i}}}"#)));
        assert_eq!(outcome, SendOutcome::Queued);
    }
    assert_eq!(next_text(&mut ws).await, first("c1"));
    for i in 0..200 {
        assert_eq!(next_text(&mut ws).await, format!(r#"{{"n":{i}}}"#));
    }
}

#[tokio::test]
async fn frames_arrive_in_order_across_batches() {
    let config = TransportConfig {
        max_batch: 7,
        ..quiet()
    };
    let server = Server::start(config).await;
    let mut ws = server.connect_ready("c1", "alice").await;
    let shared = Bytes::from_static(b"{\"type\":\"message.new\"}");
    for i in 0..500 {
        let frame = if i % 2 == 0 {
            Frame::durable(shared.clone())
        } else {
            Frame::droppable(format!("{i}"))
        };
        assert_eq!(
            server.registry.send(&conn("c1"), frame),
            SendOutcome::Queued
        );
    }
    for i in 0..500 {
        let expected = if i % 2 == 0 {
            "{\"type\":\"message.new\"}".to_owned()
        } else {
            format!("{i}")
        };
        assert_eq!(next_text(&mut ws).await, expected);
    }
}

#[tokio::test]
async fn client_health_check_is_answered_and_other_text_forwarded() {
    let mut server = Server::start(quiet()).await;
    let mut ws = server.connect_ready("c1", "alice").await;

    ws.send(Message::text(r#"{"type":"health.check","client_id":"x"}"#))
        .await
        .unwrap();
    assert_eq!(next_text(&mut ws).await, health("c1"));

    ws.send(Message::text(r#"{"type":"custom"}"#))
        .await
        .unwrap();
    assert_eq!(
        server.next_event().await,
        Event::Text(conn("c1"), user("alice"), r#"{"type":"custom"}"#.to_owned())
    );

    ws.send(Message::Ping(Bytes::from_static(b"p")))
        .await
        .unwrap();
    match ws.next().await {
        Some(Ok(Message::Pong(data))) => assert_eq!(&data[..], b"p"),
        other => panic!("expected a pong, got {other:?}"),
    }
    // The health check never reached the handler.
    ws.close(None).await.unwrap();
    assert_eq!(
        server.next_event().await,
        Event::Close(conn("c1"), user("alice"), vec![])
    );
}

#[tokio::test]
async fn a_closed_socket_leaves_every_index_and_reports_its_watches() {
    let mut server = Server::start(quiet()).await;
    let mut a1 = server.connect_ready("a1", "alice").await;
    let _a2 = server.connect_ready("a2", "alice").await;
    let _b1 = server.connect_ready("b1", "bob").await;
    let r = server.registry.clone();
    assert_eq!(r.connection_count(), 3);
    assert!(r.watch(&conn("a1"), &cid("x")));
    assert!(r.watch(&conn("a1"), &cid("y")));
    assert!(r.watch(&conn("b1"), &cid("x")));
    assert_eq!(r.watcher_count(&cid("x")), 2);

    a1.close(None).await.unwrap();
    // The server answers the close handshake.
    assert!(matches!(
        a1.next().await,
        None | Some(Ok(Message::Close(_)))
    ));
    assert_eq!(server.closed("a1").await, vec![cid("x"), cid("y")]);

    assert_eq!(r.connection_count(), 2);
    assert_eq!(r.user_of(&conn("a1")), None);
    assert_eq!(r.connections_of(&user("alice")), vec![conn("a2")]);
    assert!(r.watched_by(&conn("a1")).is_empty());
    assert_eq!(r.watchers(&cid("x")), vec![(conn("b1"), user("bob"))]);
    assert!(r.watchers(&cid("y")).is_empty());
    assert!(!r.is_watching(&user("alice"), &cid("x")));
    assert_eq!(
        r.send(&conn("a1"), Frame::durable("x")),
        SendOutcome::Closed
    );
}

#[tokio::test(start_paused = true)]
async fn idle_socket_gets_health_checks_then_is_closed() {
    let mut server = Server::start(TransportConfig::default()).await;
    let mut ws = server.connect_ready("c1", "alice").await;
    let start = Instant::now();

    // Signs of life postpone the idle close: ping every 40 s for 120 s.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_secs(40)).await;
        ws.send(Message::Ping(Bytes::new())).await.unwrap();
    }
    // Then silence: the server keeps sending its 30 s heartbeat and closes 60 s after the
    // last ping.
    let mut healths = 0;
    let code = loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => {
                assert_eq!(text.as_str(), health("c1"));
                healths += 1;
            }
            Some(Ok(Message::Pong(_))) => {}
            Some(Ok(Message::Close(frame))) => break frame.map(|f| f.code),
            other => panic!("unexpected {other:?}"),
        }
    };
    let elapsed = start.elapsed();
    assert_eq!(code, Some(CloseCode::Normal));
    assert!(
        elapsed >= Duration::from_secs(180) && elapsed < Duration::from_secs(185),
        "{elapsed:?}"
    );
    // 180 s / 30 s.
    assert_eq!(healths, 5);
    assert_eq!(server.closed("c1").await, vec![]);
    assert_eq!(server.registry.connection_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn client_health_checks_keep_the_socket_open() {
    let mut server = Server::start(TransportConfig::default()).await;
    let mut ws = server.connect_ready("c1", "alice").await;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_secs(59)).await;
        ws.send(Message::text(r#"{"type":"health.check"}"#))
            .await
            .unwrap();
        // Skip the periodic checks until the answer; none of them is a close.
        assert_eq!(next_text(&mut ws).await, health("c1"));
    }
    assert_eq!(server.registry.connection_count(), 1);
    drop(ws);
    assert_eq!(server.closed("c1").await, vec![]);
}

#[tokio::test(start_paused = true)]
async fn a_slow_consumer_is_disconnected_and_reported() {
    let config = TransportConfig {
        queue_capacity: 4,
        ..quiet()
    };
    let mut server = Server::start(config).await;
    // This client never reads: the kernel buffers fill, then the queue, then a durable frame
    // does not fit.
    let _ws = server.connect_ready("c1", "alice").await;
    assert!(server.registry.watch(&conn("c1"), &cid("busy")));
    let big = Bytes::from(vec![b'x'; 64 * 1024]);
    let mut dropped = 0;
    let mut closed = false;
    for i in 0..100_000 {
        let frame = if i % 2 == 0 {
            Frame::droppable(big.clone())
        } else {
            Frame::durable(big.clone())
        };
        match server.registry.send(&conn("c1"), frame) {
            SendOutcome::Queued => {}
            SendOutcome::Dropped => dropped += 1,
            SendOutcome::Closed => {
                closed = true;
                break;
            }
        }
        tokio::task::yield_now().await;
    }
    assert!(closed, "the queue never filled");
    // Whether a droppable frame hit the full queue first depends on timing; never a durable.
    assert!(dropped <= 1);
    assert_eq!(server.closed("c1").await, vec![cid("busy")]);
    assert_eq!(server.registry.connection_count(), 0);
    assert!(server.registry.watchers(&cid("busy")).is_empty());
    server.registry.drained().await;
}

#[tokio::test]
async fn close_flushes_queued_frames_then_closes_normally() {
    let mut server = Server::start(quiet()).await;
    let mut c1 = server.connect_ready("c1", "alice").await;
    let mut c2 = server.connect_ready("c2", "bob").await;
    for i in 0..10 {
        server
            .registry
            .send(&conn("c1"), Frame::durable(format!("{i}")));
    }
    server.registry.close(&conn("c1"));
    assert_eq!(
        server.registry.send(&conn("c1"), Frame::durable("late")),
        SendOutcome::Closed
    );
    let (texts, code) = read_until_close(&mut c1).await;
    assert_eq!(texts, (0..10).map(|i| i.to_string()).collect::<Vec<_>>());
    assert_eq!(code, Some(CloseCode::Normal));
    assert_eq!(server.closed("c1").await, vec![]);
    // The other socket is untouched.
    server
        .registry
        .send(&conn("c2"), Frame::durable("still here"));
    assert_eq!(next_text(&mut c2).await, "still here");
}

#[tokio::test]
async fn close_all_closes_every_socket_with_going_away() {
    let mut server = Server::start(quiet()).await;
    let mut clients = Vec::new();
    for i in 0..5 {
        let id = format!("c{i}");
        clients.push(server.connect_ready(&id, &format!("u{i}")).await);
        server.registry.watch(&conn(&id), &cid("all"));
        server.registry.send(&conn(&id), Frame::durable("bye"));
    }
    server.registry.close_all();
    for ws in &mut clients {
        let (texts, code) = read_until_close(ws).await;
        assert_eq!(texts, vec!["bye".to_owned()]);
        assert_eq!(code, Some(CloseCode::Away));
    }
    server.registry.drained().await;
    let mut closed = 0;
    while closed < 5 {
        if let Event::Close(_, _, watched) = server.next_event().await {
            assert_eq!(watched, vec![cid("all")]);
            closed += 1;
        }
    }
    assert_eq!(server.registry.connection_count(), 0);
    assert!(server.registry.watchers(&cid("all")).is_empty());

    // A socket arriving after shutdown started gets its first frame, then is closed.
    let mut late = server.connect("late", "u9").await;
    let (texts, code) = read_until_close(&mut late).await;
    assert_eq!(texts, vec![first("late")]);
    assert_eq!(code, Some(CloseCode::Away));
}

#[tokio::test]
async fn rejected_socket_gets_the_error_frame_then_a_normal_close() {
    let server = Server::start(quiet()).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/reject", server.addr))
        .await
        .unwrap();
    let (texts, code) = read_until_close(&mut ws).await;
    assert_eq!(texts, vec![r#"{"type":"connection.error"}"#.to_owned()]);
    assert_eq!(code, Some(CloseCode::Normal));
}

#[tokio::test]
async fn oversized_inbound_message_closes_with_1009() {
    let config = TransportConfig {
        max_message_size: 1024,
        ..quiet()
    };
    let mut server = Server::start(config).await;
    let mut ws = server.connect_ready("c1", "alice").await;
    ws.send(Message::text("x".repeat(2048))).await.unwrap();
    let (texts, code) = read_until_close(&mut ws).await;
    assert!(texts.is_empty());
    assert_eq!(code, Some(CloseCode::Size));
    assert_eq!(server.closed("c1").await, vec![]);
}

#[tokio::test]
async fn a_duplicate_connection_id_is_refused_without_callbacks() {
    let mut server = Server::start(quiet()).await;
    let mut original = server.connect_ready("c1", "alice").await;
    let mut duplicate = server.connect("c1", "mallory").await;
    let (texts, code) = read_until_close(&mut duplicate).await;
    assert!(texts.is_empty());
    assert_eq!(code, Some(CloseCode::Error));
    assert_eq!(server.registry.user_of(&conn("c1")), Some(user("alice")));
    server.registry.send(&conn("c1"), Frame::durable("ok"));
    assert_eq!(next_text(&mut original).await, "ok");
    original.close(None).await.unwrap();
    // The only close reported is the original's.
    assert_eq!(
        server.next_event().await,
        Event::Close(conn("c1"), user("alice"), vec![])
    );
}

#[tokio::test]
async fn a_cancelled_socket_task_still_cleans_up() {
    let mut server = Server::start(quiet()).await;
    let _ws = server.connect_ready("c1", "alice").await;
    server.registry.watch(&conn("c1"), &cid("g"));
    server.abort("c1");
    assert_eq!(server.closed("c1").await, vec![cid("g")]);
    assert_eq!(server.registry.connection_count(), 0);
    server.registry.drained().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_sockets_with_concurrent_senders() {
    let server = Server::start(quiet()).await;
    let mut clients = Vec::new();
    for i in 0..50 {
        let id = format!("c{i}");
        clients.push(server.connect_ready(&id, &format!("u{}", i % 10)).await);
        assert!(server.registry.watch(&conn(&id), &cid("room")));
    }
    assert_eq!(server.registry.watcher_count(&cid("room")), 10);
    // Four publishers fan out to the room concurrently; each socket must see every
    // publisher's frames in that publisher's order.
    let mut publishers = Vec::new();
    for p in 0..4 {
        let registry = server.registry.clone();
        publishers.push(tokio::spawn(async move {
            for n in 0..100 {
                let frame = Frame::durable(format!("{p}:{n}"));
                for (c, _) in registry.watchers(&cid("room")) {
                    assert_eq!(registry.send(&c, frame.clone()), SendOutcome::Queued);
                }
                tokio::task::yield_now().await;
            }
        }));
    }
    for p in publishers {
        p.await.unwrap();
    }
    for ws in &mut clients {
        let mut next = [0; 4];
        for _ in 0..400 {
            let text = next_text(ws).await;
            let (p, n) = text.split_once(':').unwrap();
            let (p, n): (usize, usize) = (p.parse().unwrap(), n.parse().unwrap());
            assert_eq!(n, next[p]);
            next[p] += 1;
        }
    }
}
