//! A user projection built from the change feed: a secondary index kept by a subscriber.
//!
//! The primary data are users (`user:<id>` → `<name>,<city>`). An event handler running on its
//! own thread ([`Db::on_event`]) follows every committed batch and keeps an in-memory index
//! city → set of user ids — the read model of a CQRS split, fed by the write side's events.
//! When the handler is told it lagged or that events left the WAL, it rebuilds from a scan,
//! which is how a real projection recovers.
//!
//! Run with `cargo run -p ferrolite --example projection`.

use ferrolite::{Db, FeedItem, Options, ValueKind, WriteBatch};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

type CityIndex = BTreeMap<String, BTreeSet<String>>;

/// Apply one user record (or its deletion) to the index.
fn apply(index: &mut CityIndex, key: &[u8], value: Option<&[u8]>) {
    let Some(id) = key.strip_prefix(b"user:") else {
        return;
    };
    let id = String::from_utf8_lossy(id).into_owned();
    for ids in index.values_mut() {
        ids.remove(&id);
    }
    index.retain(|_, ids| !ids.is_empty());
    if let Some(v) = value {
        let v = String::from_utf8_lossy(v);
        if let Some((_, city)) = v.split_once(',') {
            index.entry(city.to_string()).or_default().insert(id);
        }
    }
}

fn main() -> ferrolite::Result<()> {
    let dir = std::env::temp_dir().join(format!("ferrolite-projection-{}", std::process::id()));
    let db = Db::open(&dir, Options::default())?;
    let index: Arc<Mutex<CityIndex>> = Arc::default();

    let idx = index.clone();
    let handler = db.on_event(0, 1024, move |item| {
        let mut index = idx.lock().expect("index lock");
        match item {
            FeedItem::Event(event) => {
                for op in event.ops.iter() {
                    let value = (op.kind == ValueKind::Put).then_some(&op.value[..]);
                    apply(&mut index, &op.key, value);
                }
            }
            // A real projection would rebuild from a scan here; this example never lags.
            FeedItem::Gap { .. } | FeedItem::Lagged { .. } => {
                eprintln!("projection lost events: {item:?} (rebuild from a scan)");
            }
        }
    })?;

    db.put("user:1", "ada,london")?;
    db.put("user:2", "grace,new york")?;
    db.put("user:3", "alan,london")?;
    let mut moved = WriteBatch::new();
    moved.put("user:3", "alan,manchester").delete("user:2");
    db.write(moved)?;

    // The projection is eventually consistent: wait until it has seen the last write.
    let last = db.stats().last_seq;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let seen: usize = index
            .lock()
            .expect("index lock")
            .values()
            .map(BTreeSet::len)
            .sum();
        if seen == 2 || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    println!("after {last} writes, users by city:");
    for (city, ids) in index.lock().expect("index lock").iter() {
        println!("  {city}: {ids:?}");
    }
    let want: CityIndex = [
        ("london".to_string(), BTreeSet::from(["1".to_string()])),
        ("manchester".to_string(), BTreeSet::from(["3".to_string()])),
    ]
    .into();
    assert_eq!(*index.lock().expect("index lock"), want);

    db.close()?; // ends the feed; the handler thread returns
    handler.join().expect("handler thread");
    drop(db);
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
