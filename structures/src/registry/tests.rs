//! The registry agrees with itself and with the maps: every generated list names the table's
//! maps in its order, every filter keeps exactly the maps its column allows, and every entry's
//! `name`, `linearizable`, `counts_unreclaimed` and `lock_free` are what the map type itself reports.

use super::*;
use crate::map::ConcurrentMap;

/// What the visited map type reports about itself.
struct Reports;

impl MapVisitor<u8, u8> for Reports {
    type Output = (&'static str, bool, bool, Option<bool>);
    fn visit<M: ConcurrentMap<u8, u8> + Default + 'static>(self) -> Self::Output {
        let map = M::default();
        (
            map.name(),
            map.linearizable(),
            map.counts_unreclaimed(),
            map.lock_free(),
        )
    }
}

#[test]
fn entries_agree_with_their_types() {
    for kind in MapKind::ALL {
        let info = kind.info();
        // crossbeam's global collector is a static that Miri reports as leaked.
        if cfg!(miri) && !info.miri.is_yes() {
            continue;
        }
        assert_eq!(
            kind.visit(Reports),
            (
                info.name,
                info.linearizable,
                info.counts_unreclaimed,
                Some(info.lock_free)
            ),
            "{kind:?}"
        );
        assert_eq!(info.name, kind.to_string());
        assert_eq!(info.name.parse::<MapKind>(), Ok(kind));
        assert_eq!(info.name.to_uppercase().parse::<MapKind>(), Ok(kind));
    }
    assert_eq!(MapKind::COUNT, MapKind::ALL.len());
    assert!(MapKind::ALL
        .iter()
        .enumerate()
        .all(|(i, &k)| k as usize == i));
    let err = "nope".parse::<MapKind>().unwrap_err().to_string();
    assert!(
        err.contains("`nope`") && err.contains("epoch, hazard"),
        "{err}"
    );
}

#[test]
fn names_are_unique_and_flags_explain_themselves() {
    let mut names: Vec<_> = MapKind::ALL.iter().map(|k| k.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), MapKind::COUNT);
    for kind in MapKind::ALL {
        let info = kind.info();
        for (checker, support) in [
            ("loom", info.loom),
            ("shuttle", info.shuttle),
            ("miri", info.miri),
        ] {
            assert_eq!(
                support.is_yes(),
                support.reason().is_none(),
                "{kind:?} {checker}"
            );
            assert!(support.reason().is_none_or(|why| !why.is_empty()));
        }
        assert!(!info.description.is_empty() && !info.description.contains('\n'));
        // Only maps built on the sync shim run under loom and shuttle: ours (of ours only those
        // whose reclaimer the checker can see: seize's it cannot, its reasons say why) and the
        // `Mutex<BTreeMap>` reference, whose mutex is the shim's; crossbeam's is not.
        if kind == MapKind::Crossbeam {
            assert!(!info.loom.is_yes() && !info.shuttle.is_yes(), "{kind:?}");
        }
    }
}

/// The names `for_each_map!` (with `filter`) calls back with, in order.
macro_rules! listed {
    ($($filter:ident)?) => {{
        let mut names: Vec<&str> = Vec::new();
        macro_rules! push {
            ($t:ident, $name:literal; $v:ident) => {
                $v.push($name);
            };
        }
        for_each_map!(push $(, $filter)?; names);
        names
    }};
}

/// The names `for_each_map_named!` calls back with; checks each identifier against its name.
fn listed_named() -> Vec<&'static str> {
    let mut names = Vec::new();
    macro_rules! push {
        ($t:ident, $id:ident, $name:literal; $v:ident) => {
            assert_eq!(stringify!($id), $name);
            $v.push($name);
        };
    }
    for_each_map_named!(push; names);
    names
}

#[test]
fn the_macros_list_the_table() {
    let names = |keep: fn(&MapInfo) -> bool| -> Vec<&str> {
        MapKind::ALL
            .iter()
            .map(|k| k.info())
            .filter(|i| keep(i))
            .map(|i| i.name)
            .collect()
    };
    assert_eq!(listed!(), names(|_| true));
    assert_eq!(listed_named(), names(|_| true));
    assert_eq!(listed!(loom), names(|i| i.loom.is_yes()));
    assert_eq!(listed!(shuttle), names(|i| i.shuttle.is_yes()));
    assert_eq!(listed!(miri), names(|i| i.miri.is_yes()));
    assert_ne!(listed!(miri), listed!(), "the filters are not all-pass");
}
