//! A user's first five minutes with Ferrolite: open, write, read, scan, snapshot, batch,
//! flush, compact, statistics, reopen.
//!
//! Run with `cargo run -p ferrolite --example quickstart [-- MEMTABLE]`, where MEMTABLE is one
//! of mutex, epoch (default), hazard, noreclaim, crossbeam, btree.

use ferrolite::{Db, MapKind, Options, SyncPolicy, WriteBatch};

fn main() -> ferrolite::Result<()> {
    let kind: MapKind = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("a memtable kind"))
        .unwrap_or(MapKind::Epoch);
    let dir = std::env::temp_dir().join(format!("ferrolite-quickstart-{}", std::process::id()));

    // 1. Open (creating the directory). Options are a builder; every field has a default.
    let opts = Options::default()
        .memtable(kind)
        .sync(SyncPolicy::EveryWrite) // fsync each commit group
        .memtable_size(1 << 20); // small, so this example flushes
    let db = Db::open(&dir, opts.clone())?;
    println!("opened {} with the {kind} memtable", dir.display());

    // 2. Writes and reads. Keys and values are bytes (anything `Into<Bytes>`).
    db.put("user:1", "ada")?;
    db.put("user:2", "grace")?;
    db.put("user:3", "barbara")?;
    db.delete("user:2")?;
    println!("user:1 = {:?}", db.get("user:1")?);
    println!("user:2 = {:?} (deleted)", db.get("user:2")?);

    // 3. An atomic batch: readers see all of it or none of it.
    let mut batch = WriteBatch::new();
    batch.put("account:a", "90").put("account:b", "110");
    db.write(batch)?;

    // 4. A snapshot reads at a fixed point while writes go on.
    let snap = db.snapshot()?;
    db.put("user:1", "ada lovelace")?;
    println!(
        "now user:1 = {:?}, in the snapshot {:?}",
        db.get("user:1")?,
        snap.get("user:1")?
    );
    drop(snap);

    // 5. Ordered scans: a range, or a prefix.
    for entry in db.scan_prefix("user:")? {
        let (k, v) = entry?;
        println!(
            "  {} -> {}",
            String::from_utf8_lossy(&k),
            String::from_utf8_lossy(&v)
        );
    }
    let accounts = db.scan("account:".."account;")?.count();
    println!("{accounts} accounts");

    // 6. Enough data to fill a few memtables, then an explicit flush and full compaction.
    for i in 0..20_000u32 {
        db.put(format!("item:{i:08}"), vec![b'x'; 100])?;
    }
    db.flush()?;
    db.compact()?;
    println!("tables checked by verify(): {}", db.verify()?);
    println!("--- stats ---\n{}", db.stats());

    // 7. Close (dropping does it too) and reopen: everything is still there.
    db.close()?;
    drop(db);
    let db = Db::open(&dir, opts)?;
    assert_eq!(db.get("user:1")?.as_deref(), Some(&b"ada lovelace"[..]));
    assert_eq!(db.iter()?.count(), 2 + 2 + 20_000);
    println!("reopened: {} entries", db.iter()?.count());
    drop(db);
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
