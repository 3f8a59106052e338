//! How much each mode tries ([`Budget`]): the WAL formats with a base database each, how many
//! trailing WAL records are cut at every offset, and how many bytes of a region and bits of a
//! byte are flipped (a sample in quick mode, every byte in default mode, every bit in full).

use crate::Mode;
use ferrolite::RecordFormat;

/// Budgets for one mode.
#[derive(Clone, Copy, Debug)]
pub(super) struct Budget {
    /// WAL formats with a base database each.
    pub(super) formats: &'static [RecordFormat],
    /// Cut at every offset of the last `cut_records` WAL records.
    pub(super) cut_records: usize,
    /// Bytes tried per region (`None`: every byte).
    pub(super) bytes_per_region: Option<usize>,
    /// Bits tried per byte (1: one, rotating with the offset; 8: all).
    pub(super) bits_per_byte: u32,
    /// Put the bytes back and reopen after every `undo_every`-th detected flip.
    pub(super) undo_every: u64,
    /// Under the other WAL recovery modes, every `mode_cut_step`-th cut of trial 1.
    pub(super) mode_cut_step: usize,
}

impl Budget {
    pub(super) fn for_mode(mode: Mode) -> Budget {
        mode.pick(
            Budget {
                formats: &[RecordFormat::Binary],
                cut_records: 3,
                bytes_per_region: Some(12),
                bits_per_byte: 1,
                undo_every: 16,
                mode_cut_step: 7,
            },
            Budget {
                formats: &[RecordFormat::Binary, RecordFormat::Json],
                cut_records: 5,
                bytes_per_region: None,
                bits_per_byte: 1,
                undo_every: 8,
                mode_cut_step: 3,
            },
            Budget {
                formats: &[RecordFormat::Binary, RecordFormat::Json],
                cut_records: 8,
                bytes_per_region: None,
                bits_per_byte: 8,
                undo_every: 1,
                mode_cut_step: 1,
            },
        )
    }
}
