//! Unit tests of the `powercut` adapter.

use super::*;

fn setup() -> (tempfile::TempDir, PowerCutFs) {
    (tempfile::tempdir().unwrap(), PowerCutFs::over_std())
}

#[test]
fn simulated_syncs_follow_the_same_model() {
    let dir = tempfile::tempdir().unwrap();
    let fs = PowerCutFs::without_real_syncs(StdFs::shared());
    let kept = durable_file(&fs, dir.path(), "kept", b"synced");
    let mut f = fs.open_append(&kept).unwrap();
    f.write_all(b"+lost").unwrap();
    let mut g = fs
        .create_new(&dir.path().join("new"), IoJob::Flush)
        .unwrap();
    g.sync_data().unwrap();
    assert!(fs.sync_dir(&dir.path().join("missing")).is_err());
    fs.cut(CutMode::strict()).unwrap();
    assert_eq!(real(&kept).unwrap(), b"synced");
    assert_eq!(real(&dir.path().join("new")), None);
}

fn real(path: &Path) -> Option<Vec<u8>> {
    std::fs::read(path).ok()
}

/// A synced, dir-synced file `name` holding `data`.
fn durable_file(fs: &PowerCutFs, dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    let mut f = fs.create_new(&p, IoJob::Flush).unwrap();
    f.write_all(data).unwrap();
    f.sync_data().unwrap();
    fs.sync_dir(dir).unwrap();
    p
}

#[test]
fn unsynced_data_is_lost_and_synced_data_stays() {
    let (dir, fs) = setup();
    let p = durable_file(&fs, dir.path(), "a", b"durable");
    let mut f = fs.open_append(&p).unwrap();
    f.write_all(b" and more").unwrap();
    f.sync_all().unwrap();
    f.write_all(b" lost").unwrap();
    assert_eq!(fs.unsynced_bytes(), 5);
    assert_eq!(real(&p).unwrap(), b"durable and more lost");
    let r = fs.cut(CutMode::strict()).unwrap();
    assert_eq!(real(&p).unwrap(), b"durable and more");
    assert_eq!((r.files_truncated, r.lost_unsynced_bytes), (1, 5));
}

#[test]
fn files_first_seen_by_open_append_are_durable_as_found() {
    let (dir, fs) = setup();
    let p = dir.path().join("old");
    std::fs::write(&p, b"from before").unwrap();
    let mut f = fs.open_append(&p).unwrap();
    f.write_all(b"!").unwrap();
    fs.cut(CutMode::strict()).unwrap();
    assert_eq!(real(&p).unwrap(), b"from before");
}

#[test]
fn a_new_file_vanishes_without_a_dir_sync_even_if_its_data_was_synced() {
    let (dir, fs) = setup();
    let kept = durable_file(&fs, dir.path(), "kept", b"x");
    let p = dir.path().join("new");
    let mut f = fs.create_new(&p, IoJob::Flush).unwrap();
    f.write_all(b"synced data").unwrap();
    f.sync_data().unwrap();
    assert_eq!(fs.pending_dir_ops(), 1);
    let r = fs.cut(CutMode::strict()).unwrap();
    assert_eq!(real(&p), None);
    assert_eq!(real(&kept).unwrap(), b"x");
    assert_eq!(r.files_vanished, 1);
}

#[test]
fn a_dir_synced_file_without_data_sync_stays_empty() {
    let (dir, fs) = setup();
    let p = dir.path().join("f");
    let mut f = fs.create_new(&p, IoJob::Flush).unwrap();
    f.write_all(b"unsynced").unwrap();
    fs.sync_dir(dir.path()).unwrap();
    fs.cut(CutMode::strict()).unwrap();
    assert_eq!(real(&p).unwrap(), b"");
}

#[test]
fn a_rename_without_a_dir_sync_is_undone_and_the_old_target_comes_back() {
    let (dir, fs) = setup();
    let target = durable_file(&fs, dir.path(), "CURRENT", b"old\n");
    let tmp = dir.path().join("CURRENT.tmp");
    let mut f = fs.create(&tmp, IoJob::Open).unwrap();
    f.write_all(b"new\n").unwrap();
    f.sync_all().unwrap();
    drop(f);
    fs.rename(&tmp, &target).unwrap();
    assert_eq!(real(&target).unwrap(), b"new\n");
    // The old target is hidden while the rename is pending.
    let names: Vec<_> = fs
        .list_dir(dir.path())
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, vec!["CURRENT".to_string()]);
    let r = fs.cut(CutMode::strict()).unwrap();
    assert_eq!(real(&target).unwrap(), b"old\n");
    assert_eq!(
        real(&tmp),
        None,
        "the temporary file's creation was undone too"
    );
    assert_eq!((r.renames_undone, r.files_vanished), (1, 1));
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "no trash left behind");
}

#[test]
fn a_rename_onto_a_new_name_is_undone_to_absent() {
    let (dir, fs) = setup();
    let a = durable_file(&fs, dir.path(), "a", b"data");
    let b = dir.path().join("b");
    fs.rename(&a, &b).unwrap();
    fs.cut(CutMode::strict()).unwrap();
    assert_eq!(real(&a).unwrap(), b"data");
    assert_eq!(real(&b), None);
}

#[test]
fn a_synced_rename_is_durable_and_the_replaced_file_is_gone() {
    let (dir, fs) = setup();
    let target = durable_file(&fs, dir.path(), "t", b"old");
    let src = durable_file(&fs, dir.path(), "s", b"new");
    fs.rename(&src, &target).unwrap();
    fs.sync_dir(dir.path()).unwrap();
    let r = fs.cut(CutMode::strict()).unwrap();
    assert_eq!(real(&target).unwrap(), b"new");
    assert_eq!(real(&src), None);
    assert_eq!(r, CutReport::default());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_removal_without_a_dir_sync_is_undone_with_durable_contents() {
    let (dir, fs) = setup();
    let p = durable_file(&fs, dir.path(), "gone", b"kept");
    let mut f = fs.open_append(&p).unwrap();
    f.write_all(b" not synced").unwrap();
    drop(f);
    fs.remove_file(&p).unwrap();
    assert!(!fs.exists(&p).unwrap());
    assert!(fs.list_dir(dir.path()).unwrap().is_empty());
    assert_eq!(
        fs.remove_file(&p).unwrap_err().kind(),
        io::ErrorKind::NotFound
    );
    let r = fs.cut(CutMode::strict()).unwrap();
    assert_eq!(real(&p).unwrap(), b"kept");
    assert_eq!(r.removals_undone, 1);
}

#[test]
fn a_synced_removal_is_durable_and_frees_the_trash() {
    let (dir, fs) = setup();
    let p = durable_file(&fs, dir.path(), "gone", b"x");
    fs.remove_file(&p).unwrap();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1); // the trash
    fs.sync_dir(dir.path()).unwrap();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    fs.cut(CutMode::strict()).unwrap();
    assert_eq!(real(&p), None);
}

#[test]
fn a_new_directory_comes_back_empty_unless_its_parent_was_synced() {
    let (root, fs) = setup();
    let db = root.path().join("db");
    fs.create_dir_all(&db).unwrap();
    durable_file(&fs, &db, "f", b"synced in its directory");
    let r = fs.cut(CutMode::strict()).unwrap();
    assert_eq!(std::fs::read_dir(&db).unwrap().count(), 0);
    assert_eq!((r.dirs_emptied, r.files_vanished), (1, 1));

    let fs = PowerCutFs::over_std();
    let db2 = root.path().join("db2");
    fs.create_dir_all(&db2).unwrap();
    fs.sync_dir(root.path()).unwrap();
    let f = durable_file(&fs, &db2, "f", b"here");
    fs.cut(CutMode::strict()).unwrap();
    assert_eq!(real(&f).unwrap(), b"here");
}

#[test]
fn operations_after_the_cut_fail_without_touching_the_disk() {
    let (dir, fs) = setup();
    let p = durable_file(&fs, dir.path(), "a", b"abc");
    let mut w = fs.open_append(&p).unwrap();
    let r = fs.open_random(&p).unwrap();
    let clone = fs.clone();
    fs.cut(CutMode::strict()).unwrap();
    assert!(fs.is_dead() && clone.is_dead());
    assert!(w.write_all(b"zzz").is_err());
    assert!(w.sync_data().is_err());
    assert!(r.read_exact_at(&mut [0u8; 1], 0).is_err());
    assert!(clone
        .create_new(&dir.path().join("b"), IoJob::Flush)
        .is_err());
    assert!(clone.remove_file(&p).is_err());
    assert!(clone.list_dir(dir.path()).is_err());
    assert!(clone.sync_dir(dir.path()).is_err());
    assert!(fs.cut(CutMode::strict()).is_err());
    assert_eq!(real(&p).unwrap(), b"abc");
    assert!(!dir.path().join("b").exists());
}

#[test]
fn torn_modes_keep_a_prefix_of_the_tail_or_zeros() {
    for seed in 0..40u64 {
        for zero_fill in [false, true] {
            let (dir, fs) = setup();
            let p = durable_file(&fs, dir.path(), "a", b"0123");
            let mut f = fs.open_append(&p).unwrap();
            f.write_all(b"456789").unwrap();
            let r = fs.cut(CutMode::torn(seed, zero_fill)).unwrap();
            let got = real(&p).unwrap();
            assert!(got.len() >= 4 && got.len() <= 10, "{got:?}");
            assert_eq!(&got[..4], b"0123");
            let nonzero = got[4..].iter().take_while(|&&b| b != 0).count();
            assert_eq!(&got[4..4 + nonzero], &b"456789"[..nonzero]);
            assert!(got[4 + nonzero..].iter().all(|&b| b == 0));
            if !zero_fill {
                assert_eq!(r.zeroed_bytes, 0);
            }
            assert_eq!(r.lost_unsynced_bytes, 10 - nonzero as u64 - 4);
        }
    }
}

#[test]
fn torn_dir_ops_keep_a_prefix_in_order() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..40u64 {
        let (dir, fs) = setup();
        let names = ["a", "b", "c", "d"];
        for n in names {
            let mut f = fs.create_new(&dir.path().join(n), IoJob::Flush).unwrap();
            f.sync_data().unwrap();
        }
        let r = fs.cut(CutMode::torn(seed, false)).unwrap();
        let present: Vec<bool> = names.iter().map(|n| dir.path().join(n).exists()).collect();
        let k = present.iter().take_while(|&&p| p).count();
        assert!(present[k..].iter().all(|&p| !p), "{present:?}");
        assert_eq!(r.dir_ops_kept, k as u64);
        seen.insert(k);
    }
    assert!(seen.len() >= 3, "prefixes seen: {seen:?}");
}

#[test]
fn an_armed_cut_lands_before_the_chosen_operation() {
    // Ops: 0 create, 1 write, 2 sync, 3 sync_dir, 4 rename, 5 sync_dir.
    let run = |at: u64| {
        let (dir, fs) = setup();
        fs.arm_cut(at, CutMode::strict());
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        let steps = || -> io::Result<()> {
            let mut f = fs.create_new(&a, IoJob::Flush)?;
            f.write_all(b"data")?;
            f.sync_data()?;
            fs.sync_dir(dir.path())?;
            fs.rename(&a, &b)?;
            fs.sync_dir(dir.path())
        };
        let ok = steps().is_ok();
        assert_eq!(ok, at >= 6, "at {at}");
        assert_eq!(fs.is_dead(), at < 6);
        assert_eq!(fs.last_cut().is_some(), at < 6);
        (real(&a), real(&b))
    };
    assert_eq!(run(0), (None, None));
    assert_eq!(run(3), (None, None)); // created and synced, but not in the directory
    assert_eq!(run(4), (Some(b"data".to_vec()), None));
    assert_eq!(run(5), (Some(b"data".to_vec()), None)); // the rename is undone
    assert_eq!(run(6), (None, Some(b"data".to_vec())));
}

#[test]
fn create_then_remove_then_cut_leaves_nothing() {
    let (dir, fs) = setup();
    let p = dir.path().join("x");
    let mut f = fs.create_new(&p, IoJob::Flush).unwrap();
    f.write_all(b"1").unwrap();
    drop(f);
    fs.remove_file(&p).unwrap();
    fs.cut(CutMode::strict()).unwrap();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
