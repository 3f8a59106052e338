//! The change feed (`Db::subscribe`), on the epoch and mutex memtable kinds (and hazard): events
//! arrive in strictly increasing, contiguous sequence order with their batches intact and
//! visible to readers; a subscription from the middle replays from the WAL and hands over to
//! live events without a gap or a duplicate while a writer keeps writing (also while flushes
//! delete segments underneath); after a reopen (or a flush) what left the WAL is reported as a
//! `Gap`; a subscriber that never reads gets `Lagged` with the exact range while writers never
//! block; dropping a subscription unregisters it; closing or dropping the database ends
//! subscriptions.

use bytes::Bytes;
use ferrolite::{
    Db, Error, Event, FeedItem, MapKind, Options, SeqNo, Subscription, ValueKind, WriteBatch,
};
use std::sync::Arc;
use std::time::Duration;

const KINDS: [MapKind; 3] = [MapKind::Epoch, MapKind::Mutex, MapKind::Hazard];

/// Long enough for a loaded machine; a hang is a failure, not a wait.
const WAIT: Duration = Duration::from_secs(30);

/// A memtable no test here fills: the WAL keeps everything unless the test flushes.
fn roomy(kind: MapKind) -> Options {
    Options::default().memtable(kind).memtable_size(8 << 20)
}

/// A tiny memtable: segments switch and are deleted by flushes all the time.
fn tiny(kind: MapKind) -> Options {
    Options::default()
        .memtable(kind)
        .memtable_size(8 << 10)
        .target_file_size(32 << 10)
        .level1_size(64 << 10)
        .block_size(1024)
}

fn next(sub: &mut Subscription) -> FeedItem {
    match sub.recv_timeout(WAIT) {
        Ok(Some(item)) => item,
        Ok(None) => panic!("no feed item within {WAIT:?}"),
        Err(e) => panic!("feed ended: {e}"),
    }
}

fn next_event(sub: &mut Subscription) -> Event {
    match next(sub) {
        FeedItem::Event(e) => e,
        other => panic!("expected an event, got {other:?}"),
    }
}

fn key(i: u64) -> Bytes {
    Bytes::from(format!("k{i:06}"))
}

fn put_one(db: &Db, i: u64) {
    db.put(key(i), format!("v{i}")).unwrap();
}

/// A single-put event for `put_one(i)` at sequence `seq`.
fn check_single(e: &Event, seq: SeqNo, i: u64) {
    assert_eq!(e.seq, seq);
    assert_eq!(e.ops.len(), 1);
    assert_eq!(e.ops[0].kind, ValueKind::Put);
    assert_eq!(e.ops[0].key, key(i));
    assert_eq!(e.ops[0].value, Bytes::from(format!("v{i}")));
}

#[test]
fn order_and_batches_intact() {
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        let db = Arc::new(Db::open(dir.path(), roomy(kind)).unwrap());
        let mut sub = db.subscribe(0, 100_000).unwrap();
        const WRITERS: u64 = 3;
        const BATCHES: u64 = 200;
        let handles: Vec<_> = (0..WRITERS)
            .map(|w| {
                let db = db.clone();
                std::thread::spawn(move || {
                    for i in 0..BATCHES {
                        let mut b = WriteBatch::new();
                        let n = 1 + (i % 4);
                        for j in 0..n {
                            let k = format!("w{w}/{i}/{j}");
                            if j == 2 {
                                b.delete(k);
                            } else {
                                b.put(k, format!("{w}.{i}.{j}"));
                            }
                        }
                        db.write(b).unwrap();
                    }
                })
            })
            .collect();
        let mut seen = vec![0u64; WRITERS as usize];
        let mut expect_seq = 1;
        for _ in 0..WRITERS * BATCHES {
            let e = next_event(&mut sub);
            assert_eq!(e.seq, expect_seq, "{kind:?}: contiguous, increasing");
            expect_seq = e.last_seq() + 1;
            // Published only after it is visible to readers.
            assert!(db.stats().last_seq >= e.last_seq());
            let first = std::str::from_utf8(&e.ops[0].key).unwrap().to_string();
            let parts: Vec<&str> = first.split('/').collect();
            let w: u64 = parts[0][1..].parse().unwrap();
            let i: u64 = parts[1].parse().unwrap();
            assert_eq!(
                i, seen[w as usize],
                "{kind:?}: writer {w}'s batches in order"
            );
            seen[w as usize] += 1;
            assert_eq!(e.ops.len() as u64, 1 + (i % 4), "batch intact");
            for (j, op) in e.ops.iter().enumerate() {
                assert_eq!(op.key, Bytes::from(format!("w{w}/{i}/{j}")));
                if j == 2 {
                    assert_eq!(op.kind, ValueKind::Delete);
                } else {
                    assert_eq!(op.kind, ValueKind::Put);
                    assert_eq!(op.value, Bytes::from(format!("{w}.{i}.{j}")));
                }
            }
        }
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(sub.try_recv().unwrap(), None, "nothing more");
    }
}

#[test]
fn replay_from_middle_then_live_without_gap_or_dup() {
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        let db = Arc::new(Db::open(dir.path(), roomy(kind)).unwrap());
        for i in 1..=100 {
            put_one(&db, i);
        }
        const TOTAL: u64 = 600;
        let writer = {
            let db = db.clone();
            std::thread::spawn(move || {
                for i in 101..=TOTAL {
                    put_one(&db, i);
                }
            })
        };
        std::thread::sleep(Duration::from_millis(2));
        let mut sub = db.subscribe(50, 10_000).unwrap();
        for seq in 50..=TOTAL {
            // Single-put batches: batch i has sequence number i.
            check_single(&next_event(&mut sub), seq, seq);
        }
        writer.join().unwrap();
        assert_eq!(sub.try_recv().unwrap(), None);

        // From the future: nothing until that sequence number.
        let mut later = db.subscribe(TOTAL + 3, 16).unwrap();
        for i in TOTAL + 1..=TOTAL + 4 {
            put_one(&db, i);
        }
        check_single(&next_event(&mut later), TOTAL + 3, TOTAL + 3);
        check_single(&next_event(&mut later), TOTAL + 4, TOTAL + 4);
        assert_eq!(later.try_recv().unwrap(), None);
    }
}

#[test]
fn handover_while_flushes_delete_segments() {
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        let db = Arc::new(Db::open(dir.path(), tiny(kind)).unwrap());
        const TOTAL: u64 = 3000;
        let writer = {
            let db = db.clone();
            std::thread::spawn(move || {
                for i in 1..=TOTAL {
                    put_one(&db, i);
                }
            })
        };
        let mut subs = 0;
        let mut gaps = 0;
        while !writer.is_finished() || subs == 0 {
            let from = db.stats().last_seq.saturating_sub(40) + 1;
            let mut sub = db.subscribe(from, 100_000).unwrap();
            subs += 1;
            let mut expect = from;
            let until = (from + 200).min(TOTAL);
            let mut first = true;
            while expect <= until {
                match next(&mut sub) {
                    FeedItem::Gap {
                        from: f,
                        available_from,
                    } if first => {
                        assert_eq!(f, from);
                        assert!(available_from > from, "{kind:?}");
                        expect = available_from;
                        gaps += 1;
                    }
                    FeedItem::Event(e) => {
                        check_single(&e, expect, expect);
                        expect += 1;
                    }
                    other => panic!("{kind:?}: unexpected {other:?} at {expect}"),
                }
                first = false;
            }
        }
        writer.join().unwrap();
        eprintln!("{kind:?}: {subs} subscriptions, {gaps} gaps");
        assert!(db.stats().flushes > 0, "{kind:?}: segments were deleted");
        assert!(subs > 0);
    }
}

#[test]
fn restart_reports_gap_then_live() {
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = Db::open(dir.path(), roomy(kind)).unwrap();
            for i in 1..=20 {
                put_one(&db, i);
            }
        }
        let db = Db::open(dir.path(), roomy(kind)).unwrap();
        // Open replayed the WAL into a table and deleted the segment.
        let mut sub = db.subscribe(0, 64).unwrap();
        assert_eq!(
            next(&mut sub),
            FeedItem::Gap {
                from: 0,
                available_from: 21
            }
        );
        for i in 21..=25 {
            put_one(&db, i);
        }
        for i in 21..=25 {
            check_single(&next_event(&mut sub), i, i);
        }
        // A subscription from what the disk still holds replays it, no gap.
        let mut from_disk = db.subscribe(21, 64).unwrap();
        for i in 21..=25 {
            check_single(&next_event(&mut from_disk), i, i);
        }
        // A flush deletes the segment too.
        db.flush().unwrap();
        put_one(&db, 26);
        check_single(&next_event(&mut sub), 26, 26);
        check_single(&next_event(&mut from_disk), 26, 26);
        let mut after_flush = db.subscribe(22, 64).unwrap();
        assert_eq!(
            next(&mut after_flush),
            FeedItem::Gap {
                from: 22,
                available_from: 26
            }
        );
        check_single(&next_event(&mut after_flush), 26, 26);
        assert_eq!(after_flush.try_recv().unwrap(), None);
    }
}

#[test]
fn slow_subscriber_lags_and_writers_never_block() {
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        let db = Arc::new(Db::open(dir.path(), roomy(kind)).unwrap());
        let mut sub = db.subscribe(0, 4).unwrap();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        {
            let db = db.clone();
            std::thread::spawn(move || {
                for i in 1..=100 {
                    put_one(&db, i);
                }
                done_tx.send(()).unwrap();
            });
        }
        done_rx
            .recv_timeout(WAIT)
            .expect("writers must not block on a full subscriber");
        // Overflows at 5, 9, ..., 97 drop the backlog; 97..=100 stay queued.
        assert_eq!(
            next(&mut sub),
            FeedItem::Lagged {
                missed_from: 1,
                missed_to: 96
            }
        );
        for i in 97..=100 {
            check_single(&next_event(&mut sub), i, i);
        }
        assert_eq!(sub.try_recv().unwrap(), None);
        put_one(&db, 101);
        check_single(&next_event(&mut sub), 101, 101);
        // Resubscribing from `missed_from` replays the missed events from the WAL.
        let mut again = db.subscribe(1, 200).unwrap();
        for i in 1..=101 {
            check_single(&next_event(&mut again), i, i);
        }
    }
}

#[test]
fn dropping_a_subscription_unregisters_it() {
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path(), roomy(kind)).unwrap();
        assert_eq!(db.stats().feed_subscribers, 0);
        let a = db.subscribe(0, 4).unwrap();
        let mut b = db.subscribe(0, 4).unwrap();
        assert_eq!(db.stats().feed_subscribers, 2);
        drop(a);
        assert_eq!(db.stats().feed_subscribers, 1);
        put_one(&db, 1);
        check_single(&next_event(&mut b), 1, 1);
        drop(b);
        assert_eq!(db.stats().feed_subscribers, 0);
        put_one(&db, 2);
        assert!(matches!(db.subscribe(0, 0), Err(Error::InvalidOptions(_))));
        assert_eq!(db.stats().feed_subscribers, 0);
    }
}

#[test]
fn close_and_drop_end_subscriptions() {
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path(), roomy(kind)).unwrap();
        let mut sub = db.subscribe(0, 16).unwrap();
        put_one(&db, 1);
        let reader = std::thread::spawn(move || {
            let items: Vec<FeedItem> = sub.by_ref().collect();
            (items, sub.try_recv())
        });
        std::thread::sleep(Duration::from_millis(20));
        db.close().unwrap();
        let (items, after) = reader.join().unwrap();
        assert_eq!(items.len(), 1);
        assert!(matches!(&items[0], FeedItem::Event(e) if e.seq == 1));
        assert!(matches!(after, Err(Error::Closed)));
        assert!(matches!(db.subscribe(0, 4), Err(Error::Closed)));
        drop(db);

        // Dropping the handle ends them too; queued items are still delivered first.
        let db = Db::open(dir.path(), roomy(kind)).unwrap();
        let mut sub = db.subscribe(2, 16).unwrap();
        put_one(&db, 2);
        drop(db);
        check_single(&next_event(&mut sub), 2, 2);
        assert_eq!(sub.recv(), None);
        assert!(matches!(
            sub.recv_timeout(Duration::from_millis(1)),
            Err(Error::Closed)
        ));
    }
}

#[test]
fn on_event_handler_runs_until_close() {
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path(), roomy(kind)).unwrap();
        put_one(&db, 1);
        let (tx, rx) = std::sync::mpsc::channel();
        let worker = db
            .on_event(0, 64, move |item| tx.send(item.clone()).unwrap())
            .unwrap();
        for i in 2..=10 {
            put_one(&db, i);
        }
        for i in 1..=10 {
            match rx.recv_timeout(WAIT).unwrap() {
                FeedItem::Event(e) => check_single(&e, i, i),
                other => panic!("{other:?}"),
            }
        }
        db.close().unwrap();
        worker.join().unwrap();
        assert_eq!(db.stats().feed_subscribers, 0);
    }
}

/// The engine's own statistics are a projection of its events: a handler thread tallies the
/// committed batches (`DbStats::events`), catches up with the writes, and is not counted as a
/// user's subscription; `event_stats(false)` turns it off.
#[test]
fn event_stats_projection_tallies_what_was_committed() {
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path(), tiny(kind)).unwrap();
        let mut puts = 0u64;
        let mut value_bytes = 0u64;
        for i in 0..3000u64 {
            let value = vec![b'v'; (i % 50) as usize];
            value_bytes += value.len() as u64;
            db.put(format!("key{i:05}"), value).unwrap();
            puts += 1;
        }
        let mut b = WriteBatch::new();
        b.put("a", "12345").delete("key00001").delete("zz");
        db.write(b).unwrap();
        let last = db.stats().last_seq;
        let deadline = std::time::Instant::now() + WAIT;
        let events = loop {
            let e = db.stats().events.expect("on by default");
            if e.applied_seq == last || std::time::Instant::now() > deadline {
                break e;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        assert_eq!(events.applied_seq, last, "{kind}: the projection caught up");
        assert_eq!(events.lagged_ops, 0, "{kind}");
        assert_eq!(events.events, 3001, "{kind}");
        assert_eq!((events.puts, events.deletes), (puts + 1, 2), "{kind}");
        assert_eq!(events.value_bytes, value_bytes + 5, "{kind}");
        assert_eq!(events.key_bytes, 3000 * 8 + 1 + 8 + 2, "{kind}");
        assert_eq!(events.largest_batch, 3, "{kind}");
        assert_eq!(
            db.stats().feed_subscribers,
            0,
            "{kind}: not a user subscription"
        );
        drop(db);

        let db = Db::open(dir.path(), tiny(kind).event_stats(false)).unwrap();
        db.put("x", "y").unwrap();
        assert_eq!(db.stats().events, None, "{kind}");
    }
}
