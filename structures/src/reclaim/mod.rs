//! Memory reclamation behind one small internal trait.
//!
//! The lock-free skip list (`crate::lockfree`) is written once, against [`Scheme`] (`scheme.rs`). A scheme
//! decides three things:
//!
//! 1. **How a pointer is read** ([`Scheme::protect`]): a plain `Acquire` load under epochs and
//!    with no reclamation, a `SeqCst` load under seize, a protect-and-validate loop with hazard
//!    pointers. Every pointer the algorithm dereferences is loaded through it.
//! 2. **How a node or value is retired** ([`Scheme::retire`]): deferred to the epoch, added to
//!    seize's batch, handed to the hazard domain, or parked until the map is dropped.
//! 3. **Whether a reader may step through a logically deleted node**
//!    ([`Scheme::TRAVERSE_MARKED`]): safe under epochs and seize (Harris: protection lasts as
//!    long as the operation's guard), unsafe under hazard pointers (Michael: a search must
//!    unlink marked nodes and restart when it cannot).
//!
//! The schemes: `epoch.rs` (crossbeam-epoch), `seize.rs` (seize's reference-counted batches,
//! Hyaline-1), `hazard.rs` (haphazard), `none.rs` (no reclamation before drop).
//!
//! Per-map state (a `Collector`, two hazard `Domain`s) lives in the scheme value owned by the
//! map; per-thread per-map state ([`Scheme::Local`]) lives in a [`slots::Slots`] table. Keeping
//! both per map (never global) makes reclamation deterministic at drop — every retired object
//! is freed when its map is dropped — and lets shuttle, which runs every thread on one OS
//! thread, keep threads apart.
//!
//! Because the algorithm only talks to this trait, a checker that cannot run a dependency can
//! still drive the algorithm over another scheme (for instance [`none::NoReclaim`], which has
//! no dependency at all).

pub(crate) mod epoch;
pub(crate) mod hazard;
pub(crate) mod none;
pub(crate) mod owned;
pub(crate) mod scheme;
pub(crate) mod seize;
pub(crate) mod slots;
mod stats;

pub(crate) use scheme::{Retire, Scheme, PRED, SPARE, SUCC, VALUE};
pub(crate) use stats::{Counters, Kind};
