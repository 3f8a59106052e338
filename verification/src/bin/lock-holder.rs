//! `lock-holder <db-dir>`: open the database at `<db-dir>` (creating it if needed), print
//! `LOCKED` on stdout, and keep it open until stdin is closed; then close it and exit.
//!
//! `tests/faults.rs` (through `bad_input`) spawns it to hold a database's lock from **another process** and checks
//! that `Db::open` in the test process fails with `Error::Locked` naming the directory, and
//! succeeds once this process is gone.

#[cfg(not(any(loom, feature = "shuttle")))] // the engine's memtables need a std scheduler
fn main() {
    use std::io::{Read, Write};
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: lock-holder <db-dir>");
        std::process::exit(2);
    };
    let db = match ferrolite::Db::open(&dir, ferrolite::Options::default()) {
        Ok(db) => db,
        Err(e) => {
            eprintln!("lock-holder: cannot open {}: {e}", dir.to_string_lossy());
            std::process::exit(1);
        }
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "LOCKED")
        .and_then(|()| out.flush())
        .expect("writing to stdout");
    drop(out);
    // Wait for EOF on stdin: the parent closes its end when it is done (or dies).
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    if let Err(e) = db.close() {
        eprintln!("lock-holder: close: {e}");
        std::process::exit(1);
    }
}

#[cfg(any(loom, feature = "shuttle"))]
fn main() {
    eprintln!("lock-holder is not built under loom or shuttle");
    std::process::exit(2);
}
