//! The engine scaling report: does a lock-free memtable pay off inside the engine?
//!
//! The `scaling` binary runs fillrandom, overwrite, readwhilewriting and YCSB-A at several
//! thread counts, for every memtable with and without parallel memtable writes (and fjall, the
//! yardstick, with the `yardstick` feature), several runs each, alternating so that the
//! machine's drift spreads over every configuration. This module holds what a run produced
//! ([`Sample`], [`Table`]) and the Markdown it becomes ([`markdown`]): medians with min–max,
//! per thread count each memtable's ratio to the mutex memtable, the scaling over one thread,
//! groups per write and how writers waited, and the targets of issue 16 checked against the
//! figures. The same binary with `--ladder` runs the stage ladder ([`ladder_markdown`],
//! [`ladder_json`]).

mod ladder;
mod markdown;
mod table;

pub use ladder::{ladder_json, ladder_markdown, S5_NO_RECENT, WORKLOADS};
pub use markdown::{markdown, Meta};
pub use table::{Config, Sample, Stat, Table};
