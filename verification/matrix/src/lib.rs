//! # ferrolite-matrix
//!
//! The verification matrix — one row per structure (or seeded mutant), one column per
//! [`Checker`], one [`Cell`] where they meet — and the reports written from it: a Markdown
//! table with a legend, expected violations, per-checker details, the seeded mutants and every
//! failure's reproduction, and the same data as JSON ([`Summary`]).
//!
//! Two producers fill it with the same code: `cargo xtask verify`, which runs each cell as a
//! cargo test in its own process, and `ferrolite_verification::own`, which runs the checkers
//! in-process on a map defined in the user's crate. A failing cell's reason names the kind of
//! evidence first ([`Kind`], [`reason`]).

mod cell;
mod checker;
mod evidence;
mod report;

pub use cell::{Cell, Evidence, Outcome, Row, RowMutant};
pub use checker::{Checker, CHECKERS};
pub use evidence::{expected_in, reason, Kind};
pub use report::{line, plural, Summary};
