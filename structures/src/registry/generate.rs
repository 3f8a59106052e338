//! The generator behind the registry: the table of maps in, everything that lists maps out.
//!
//! `registry!` is invoked once, on the table in `registry/mod.rs`, and generates:
//!
//! * the [`MapKind`](crate::MapKind) enum, one variant per entry (documented by the entry's
//!   doc comment), with `MapKind::ALL` in table order and `MapKind::COUNT`;
//! * the `static` array of [`MapInfo`](crate::MapInfo) behind `MapKind::info`;
//! * `MapKind::visit`, the static dispatch from a kind to `visitor.visit::<Type<K, V>>()`;
//! * the exported macros [`for_each_map!`](crate::for_each_map) and
//!   [`for_each_map_named!`](crate::for_each_map_named), which call a macro back once per
//!   entry — or once per entry a checker can run (`loom`, `shuttle`, `miri` filters), from the
//!   entry's `yes`/`no(..)` flags.
//!
//! A generator rather than hand-written lists: the table is then the only place that names a
//! map, and the enum, the dispatch, the macros and the matrix cannot disagree with it. The
//! exported macros are written inside the generator, so their own `$` tokens are passed in as
//! `$d` (the first token of the invocation: `registry! { $ … }`).
//!
//! The generated code names `MapInfo`, `Support` and `MapVisitor` as the invoking module
//! (`registry/mod.rs`) imports them, and the maps by their crate-root paths (`$crate::Type`):
//! this file defines macros only and depends on no module of the crate.

/// A checker flag of an entry (`yes` or `no("why")`) as a [`Support`](crate::Support) value.
macro_rules! support {
    (yes) => {
        Support::Yes
    };
    (no($why:literal)) => {
        Support::No($why)
    };
}

/// Generates the registry from its table (see the module documentation).
macro_rules! registry {
    ($d:tt
        $(
            $(#[$doc:meta])*
            $variant:ident => $ty:ident, $id:ident, $name:literal {
                description: $description:literal,
                synchronisation: $sync:literal,
                lock_free: $lock_free:literal,
                reclamation: $reclamation:literal,
                reference: $reference:literal,
                linearizable: $linearizable:literal,
                counts_unreclaimed: $counts_unreclaimed:literal,
                frees_on_drop: $frees_on_drop:literal,
                loom: $loom:ident $(($loom_why:literal))?,
                shuttle: $shuttle:ident $(($shuttle_why:literal))?,
                miri: $miri:ident $(($miri_why:literal))?,
                unit_tests: $unit_tests:expr $(,)?
            }
        )*
    ) => {
        /// Every concurrent map of this crate, by name: one variant per entry of the registry
        /// (`structures/src/registry/mod.rs`), in its order — ours first, then the references.
        /// [`MapKind::info`] holds the entry's properties, [`MapKind::visit`] runs generic
        /// code on its type.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum MapKind {
            $( $(#[$doc])* $variant, )*
        }

        /// The registry's rows, indexed by `MapKind as usize`.
        static TABLE: [MapInfo; MapKind::COUNT] = [
            $(
                MapInfo {
                    name: $name,
                    type_name: stringify!($ty),
                    description: $description,
                    synchronisation: $sync,
                    lock_free: $lock_free,
                    reclamation: $reclamation,
                    reference: $reference,
                    linearizable: $linearizable,
                    counts_unreclaimed: $counts_unreclaimed,
                    frees_on_drop: $frees_on_drop,
                    loom: support!($loom $(($loom_why))?),
                    shuttle: support!($shuttle $(($shuttle_why))?),
                    miri: support!($miri $(($miri_why))?),
                    unit_tests: $unit_tests,
                },
            )*
        ];

        impl MapKind {
            /// How many maps there are.
            pub const COUNT: usize = [$(MapKind::$variant),*].len();

            /// Every kind, in registry order: ours first, then the references.
            pub const ALL: [MapKind; MapKind::COUNT] = [$(MapKind::$variant),*];

            /// Runs `visitor` with this kind's map type for keys `K` and values `V`: a choice
            /// made at run time, then statically dispatched code.
            pub fn visit<K, V, T>(self, visitor: T) -> T::Output
            where
                K: $crate::MapKey,
                V: $crate::MapValue,
                T: MapVisitor<K, V>,
            {
                match self {
                    $( MapKind::$variant => visitor.visit::<$crate::$ty<K, V>>(), )*
                }
            }
        }

        /// Instantiates generic code once per map of the registry: `$m!(Type, "name")` for
        /// each, with `Type` a type name of this crate that takes `<K, V>` parameters. Tests
        /// and benchmarks use it for static dispatch.
        ///
        /// * `for_each_map!(m)`: every map;
        /// * `for_each_map!(m, loom)` (or `shuttle`, `miri`): only the maps that checker can
        ///   run (the registry's `loom`/`shuttle`/`miri` columns);
        /// * `for_each_map!(m; tokens…)`, `for_each_map!(m, miri; tokens…)`: the tokens are
        ///   passed on after a `;`: `$m!(Type, "name"; tokens…)`.
        ///
        /// ```
        /// macro_rules! check { ($t:ident, $name:literal) => {{
        ///     use ferrolite_structures::ConcurrentMap;
        ///     let m = ferrolite_structures::$t::<u32, u32>::default();
        ///     assert_eq!(m.name(), $name);
        ///     assert_eq!($name.parse::<ferrolite_structures::MapKind>().unwrap().name(), $name);
        /// }}; }
        /// // Under Miri, only the maps Miri can run (crossbeam's global collector is not).
        /// #[cfg(not(miri))]
        /// ferrolite_structures::for_each_map!(check);
        /// #[cfg(miri)]
        /// ferrolite_structures::for_each_map!(check, miri);
        /// ```
        #[macro_export]
        macro_rules! for_each_map {
            ($d m:path $d(; $d($d extra:tt)*)?) => {
                $( $d m!($ty, $name $d(; $d($d extra)*)?); )*
            };
            ($d m:path, $d checker:ident $d(; $d($d extra:tt)*)?) => {
                $(
                    $crate::__registry_select!($d checker [$loom $shuttle $miri]
                        $d m!($ty, $name $d(; $d($d extra)*)?);
                    );
                )*
            };
        }

        /// [`for_each_map!`] with the map's name also as an identifier: `$m!(Type, ident,
        /// "name")`, to name generated test functions after the map (the verifier selects a
        /// matrix cell with `--exact <name>`). Takes the same filters and extra tokens.
        ///
        /// ```
        /// macro_rules! check { ($t:ident, $id:ident, $name:literal) => {{
        ///     assert_eq!(stringify!($id), $name);
        /// }}; }
        /// ferrolite_structures::for_each_map_named!(check);
        /// ```
        #[macro_export]
        macro_rules! for_each_map_named {
            ($d m:path $d(; $d($d extra:tt)*)?) => {
                $( $d m!($ty, $id, $name $d(; $d($d extra)*)?); )*
            };
            ($d m:path, $d checker:ident $d(; $d($d extra:tt)*)?) => {
                $(
                    $crate::__registry_select!($d checker [$loom $shuttle $miri]
                        $d m!($ty, $id, $name $d(; $d($d extra)*)?);
                    );
                )*
            };
        }
    };
}

/// Keeps the tokens after the flags if the entry's flag for `checker` is `yes` (a helper of
/// the generated `for_each_map!` filters; a misspelt checker is a compile error).
#[doc(hidden)]
#[macro_export]
macro_rules! __registry_select {
    (loom [yes $s:ident $m:ident] $($t:tt)*) => { $($t)* };
    (loom [no $s:ident $m:ident] $($t:tt)*) => {};
    (shuttle [$l:ident yes $m:ident] $($t:tt)*) => { $($t)* };
    (shuttle [$l:ident no $m:ident] $($t:tt)*) => {};
    (miri [$l:ident $s:ident yes] $($t:tt)*) => { $($t)* };
    (miri [$l:ident $s:ident no] $($t:tt)*) => {};
}

pub(crate) use {registry, support};
