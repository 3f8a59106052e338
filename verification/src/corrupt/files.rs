//! Trials 4 and 5: whole files missing (each listed table, `CURRENT`, the manifest: open
//! names them, and everything is back once they are) or extra (a foreign valid table, junk,
//! an empty file named like tables: deleted at open, nothing changes).

use super::base::{key, names_ending, scratch, Base, KEYS};
use super::examine::{examine, guarded, write_close_reopen, Found};
use super::stats::Stats;
use crate::rng::SplitMix as Rng;
use ferrolite::{Db, Error};

/// 4. Each table the manifest lists, removed: open names it; put back, all is there.
pub(super) fn missing_tables(base: &Base, st: &mut Stats) {
    for t in &base.tables {
        let what = format!("{}: table {t} removed", base.label());
        guarded(&what, || {
            without_file(base, t, t, "OPENED without a table the manifest lists")
        });
        st.missing_tables += 1;
        st.corruption_detected += 1;
    }
}

/// 4b. `CURRENT` or the manifest removed: open fails with `Corruption` naming `CURRENT` (it
/// does not start a new database over the tables, which would delete them); put back, all is
/// there.
pub(super) fn missing_manifest_files(base: &Base, st: &mut Stats) {
    let manifest = std::fs::read_to_string(base.dir.path().join("CURRENT"))
        .expect("reading CURRENT")
        .trim_end()
        .to_string();
    for name in ["CURRENT".to_string(), manifest] {
        let what = format!("{}: {name} removed", base.label());
        guarded(&what, || {
            without_file(base, &name, "CURRENT", "OPENED without its file list")
        });
        st.missing_files += 1;
        st.corruption_detected += 1;
    }
}

/// On a copy of the base: remove `file`; opening must fail with `Corruption` naming `named` in
/// the copy's directory (`opened` says what it means if it opens); put the file back, and
/// everything must be there.
fn without_file(base: &Base, file: &str, named: &str, opened: &str) -> Result<(), String> {
    let dir = base.copy();
    let path = dir.path().join(file);
    let saved = std::fs::read(&path).map_err(|e| e.to_string())?;
    std::fs::remove_file(&path).map_err(|e| e.to_string())?;
    match Db::open(dir.path(), base.opts()) {
        Err(Error::Corruption { path: p, .. }) if p == dir.path().join(named) => {}
        Err(e) => return Err(format!("expected Corruption naming {named}, got {e:?}")),
        Ok(_) => return Err(opened.into()),
    }
    std::fs::write(&path, saved).map_err(|e| e.to_string())?;
    let full = base.model(base.batches.len());
    match examine(dir.path(), &base.opts(), &full, &base.universe, None)? {
        (Found::Nothing, Some(db)) => db.close().map_err(|e| e.to_string()),
        (found, _) => Err(format!("after putting it back: {found:?}")),
    }
}

/// 5. Tables no manifest lists: a valid one from another database, junk, an empty file.
pub(super) fn extra_tables(base: &Base, st: &mut Stats) {
    let full = base.model(base.batches.len());
    // A valid table of another database, with keys that collide with ours.
    let other = scratch("other");
    {
        let db = Db::open(other.path(), base.opts()).expect("opening the other database");
        for i in 0..KEYS {
            db.put(key(i), b"from another database".to_vec())
                .expect("writing the other database");
        }
        db.flush().expect("flushing the other database");
    }
    let foreign = names_ending(other.path(), ".sst");
    assert!(!foreign.is_empty());
    let foreign = std::fs::read(other.path().join(&foreign[0])).expect("reading its table");
    let top: u64 = base
        .tables
        .iter()
        .filter_map(|t| t.trim_end_matches(".sst").parse().ok())
        .max()
        .unwrap_or(0);
    let cases: Vec<(&str, String, Vec<u8>)> = vec![
        (
            "a valid table of another database",
            format!("{:06}.sst", top + 50),
            foreign.clone(),
        ),
        (
            "a valid foreign table numbered below ours",
            "000000.sst".into(),
            foreign,
        ),
        (
            "junk named like a table",
            format!("{:06}.sst", top + 51),
            Rng(7).bytes(3000),
        ),
        (
            "an empty file named like a table",
            format!("{:06}.sst", top + 52),
            Vec::new(),
        ),
    ];
    for (i, (name, file, bytes)) in cases.into_iter().enumerate() {
        let what = format!("{}: extra file {file}: {name}", base.label());
        guarded(&what, || {
            let dir = base.copy();
            std::fs::write(dir.path().join(&file), &bytes).map_err(|e| e.to_string())?;
            let opts = base.opts();
            match examine(dir.path(), &opts, &full, &base.universe, None)? {
                (Found::Nothing, Some(db)) => {
                    if dir.path().join(&file).exists() {
                        return Err("the extra file is still there after open".into());
                    }
                    // New tables get numbers that clash with nothing.
                    db.flush().map_err(|e| format!("flush: {e}"))?;
                    write_close_reopen(db, dir.path(), &opts, &full, &base.universe, 900 + i as u64)
                }
                (found, _) => Err(format!("{found:?}")),
            }
        });
        st.extra_tables += 1;
        st.recovered_ok += 1;
    }
}
