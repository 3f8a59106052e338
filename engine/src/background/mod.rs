//! Background work: flushes (`flush.rs`) and compactions (`compaction/`). Both run on the
//! worker threads (`workers.rs` schedules them) or, on demand, on a user's thread
//! (`Db::flush`, `Db::compact`) or the writer's (no background workers: the ancestor's first
//! stage). At most one flush and one compaction run at a time ([`crate::control::Jobs`]).

mod compaction;
mod flush;

pub(crate) use compaction::Compactor;
pub(crate) use flush::Flusher;
