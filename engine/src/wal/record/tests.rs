//! Unit tests of the record log: round trips, every cut, every damage rule.

use super::reader::all_zero;
use super::*;
use crate::error::{Error, Result};
use crate::fs::{Dir, IoJob, StdFs};
use bytes::Bytes;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use std::io;
use std::path::Path;
use std::sync::Arc;

/// The directory handle and file name of `path` on the real file system.
fn split(path: &Path) -> (Dir, String) {
    let name = path.file_name().unwrap().to_str().unwrap().to_string();
    (Dir::new(Arc::new(StdFs), path.parent().unwrap()), name)
}

/// A new log at `path`.
fn create_at(path: &Path, magic: [u8; 8]) -> Result<LogWriter> {
    let (dir, name) = split(path);
    LogWriter::create(&dir, &name, magic, IoJob::Commit)
}

/// Read the log at `path`.
fn read_at(path: &Path, magic: [u8; 8]) -> Result<LogContents> {
    let (dir, name) = split(path);
    read_log(&dir, &name, magic)
}

/// Write `payloads` through a [`LogWriter`]; return the file's bytes and each record's
/// offset.
fn build(payloads: &[Vec<u8>]) -> (Vec<u8>, Vec<u64>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    let mut w = create_at(&path, WAL_MAGIC).unwrap();
    let mut offsets = Vec::new();
    for p in payloads {
        offsets.push(w.len());
        w.append(p).unwrap();
    }
    w.sync().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len() as u64, w.len());
    (bytes, offsets)
}

fn decode(data: &[u8]) -> Result<LogContents> {
    decode_log(
        Path::new("test.log"),
        WAL_MAGIC,
        Bytes::copy_from_slice(data),
    )
}

fn payloads_of(c: &LogContents) -> Vec<Vec<u8>> {
    c.records.iter().map(|r| r.payload.to_vec()).collect()
}

/// Payloads with non-zero bytes, some empty.
fn sample_payloads() -> Vec<Vec<u8>> {
    [0usize, 1, 5, 17, 0, 40, 3]
        .iter()
        .enumerate()
        .map(|(i, &n)| (0..n).map(|j| (i * 31 + j * 7 + 1) as u8).collect())
        .collect()
}

fn corruption_offset(r: Result<LogContents>) -> Option<u64> {
    match r {
        Err(Error::Corruption { offset, .. }) => Some(offset),
        _ => None,
    }
}

#[test]
fn roundtrip_many_random_records() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("000001.wal");
    let mut w = create_at(&path, WAL_MAGIC).unwrap();
    assert_eq!(w.len(), LOG_HEADER_LEN as u64);
    assert_eq!(w.len(), LOG_HEADER_LEN as u64);
    let mut expected = Vec::new();
    for i in 0..500 {
        let len = if i % 10 == 0 {
            0
        } else {
            rng.random_range(0..3000)
        };
        let p: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        let offset = w.len();
        w.append(&p).unwrap();
        assert_eq!(w.len(), offset + (RECORD_HEADER_LEN + len) as u64);
        if rng.random_ratio(1, 20) {
            w.flush().unwrap();
            assert_eq!(w.buffered(), 0);
        }
        expected.push((offset, p));
    }
    w.sync().unwrap();
    let c = read_at(&path, WAL_MAGIC).unwrap();
    assert!(c.torn_tail.is_none());
    assert_eq!(c.valid_len, w.len());
    assert_eq!(c.valid_len, std::fs::metadata(&path).unwrap().len());
    let got: Vec<(u64, Vec<u8>)> = c
        .records
        .iter()
        .map(|r| (r.offset, r.payload.to_vec()))
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn flushed_records_are_visible_without_sync_and_drop_flushes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m");
    let mut w = create_at(&path, MANIFEST_MAGIC).unwrap();
    w.append(b"one").unwrap();
    w.append(b"").unwrap();
    assert_eq!(w.buffered(), 2 * RECORD_HEADER_LEN + 3);
    // Not flushed yet: only the header is in the file.
    let c = read_at(&path, MANIFEST_MAGIC).unwrap();
    assert!(c.records.is_empty() && c.torn_tail.is_none());
    w.flush().unwrap();
    let c = read_at(&path, MANIFEST_MAGIC).unwrap();
    assert_eq!(payloads_of(&c), vec![b"one".to_vec(), Vec::new()]);
    w.append(b"three").unwrap();
    drop(w);
    let c = read_at(&path, MANIFEST_MAGIC).unwrap();
    assert_eq!(c.records.len(), 3);
    assert_eq!(&c.records[2].payload[..], b"three");
}

#[test]
fn create_refuses_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x");
    std::fs::write(&path, b"").unwrap();
    assert!(matches!(
        create_at(&path, WAL_MAGIC),
        Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::AlreadyExists
    ));
}

#[test]
fn oversized_record_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = create_at(&dir.path().join("x"), WAL_MAGIC).unwrap();
    // calloc'd and never touched: cheap.
    let big = vec![0u8; MAX_RECORD_LEN + 1];
    assert!(matches!(
        w.append(&big),
        Err(Error::BatchTooLarge { len, max }) if len == MAX_RECORD_LEN + 1 && max == MAX_RECORD_LEN
    ));
    assert_eq!(w.buffered(), 0);
}

#[test]
fn truncation_at_every_offset_is_a_torn_tail_or_clean() {
    let payloads = sample_payloads();
    let (bytes, offsets) = build(&payloads);
    let ends: Vec<u64> = offsets
        .iter()
        .zip(&payloads)
        .map(|(o, p)| o + (RECORD_HEADER_LEN + p.len()) as u64)
        .collect();
    for cut in 0..=bytes.len() {
        let c = decode(&bytes[..cut]).unwrap_or_else(|e| panic!("cut {cut}: {e}"));
        let cut = cut as u64;
        let whole = ends.iter().take_while(|&&e| e <= cut).count();
        assert_eq!(payloads_of(&c), payloads[..whole].to_vec(), "cut {cut}");
        if cut < LOG_HEADER_LEN as u64 {
            assert_eq!(c.valid_len, 0);
            assert_eq!(c.torn_tail.as_ref().unwrap().offset, 0);
            continue;
        }
        let boundary = if whole == 0 {
            LOG_HEADER_LEN as u64
        } else {
            ends[whole - 1]
        };
        assert_eq!(c.valid_len, boundary, "cut {cut}");
        if cut == boundary {
            assert!(c.torn_tail.is_none(), "cut {cut}");
        } else {
            assert_eq!(c.torn_tail.unwrap().offset, boundary, "cut {cut}");
        }
    }
}

#[test]
fn damage_in_a_record_followed_by_another_is_corruption() {
    let payloads = sample_payloads();
    let (bytes, offsets) = build(&payloads);
    for i in 0..offsets.len() - 1 {
        let start = offsets[i] as usize;
        let end = offsets[i + 1] as usize;
        for at in start..end {
            for mask in [0x01u8, 0x10, 0x80, 0xff] {
                let mut d = bytes.clone();
                d[at] ^= mask;
                assert_eq!(
                    corruption_offset(decode(&d)),
                    Some(offsets[i]),
                    "record {i}, byte {at}, mask {mask:#x}"
                );
            }
        }
    }
}

#[test]
fn multi_byte_damage_to_a_middle_length_is_corruption() {
    let payloads = sample_payloads();
    let (bytes, offsets) = build(&payloads);
    let masks = [0x01u8, 0x80, 0xff, 0x5a];
    let middle = &offsets[..offsets.len() - 1];
    for (i, &offset) in middle.iter().enumerate() {
        let start = offset as usize;
        // Every set of 2 to 4 of the four length bytes, each damaged with every mask (the
        // same one for all bytes of a set, and a mix).
        for set in 0u32..16 {
            let picked: Vec<usize> = (0..4).filter(|b| set & (1 << b) != 0).collect();
            if picked.len() < 2 {
                continue;
            }
            for (m, &mask) in masks.iter().enumerate() {
                for mixed in [false, true] {
                    let mut d = bytes.clone();
                    for (k, &b) in picked.iter().enumerate() {
                        let mask = if mixed {
                            masks[(m + k) % masks.len()]
                        } else {
                            mask
                        };
                        d[start + b] ^= mask;
                    }
                    assert_eq!(
                        corruption_offset(decode(&d)),
                        Some(offset),
                        "record {i}, bytes {picked:?}, mask {mask:#x}, mixed {mixed}"
                    );
                }
            }
        }
        // A length that reaches far past the end of the file, or beyond the maximum.
        for len in [u32::MAX, MAX_RECORD_LEN as u32 + 1, bytes.len() as u32] {
            let mut d = bytes.clone();
            d[start..start + 4].copy_from_slice(&len.to_le_bytes());
            assert_eq!(corruption_offset(decode(&d)), Some(offset), "len {len}");
        }
    }
}

#[test]
fn damage_in_the_last_record() {
    let payloads = sample_payloads();
    let (bytes, offsets) = build(&payloads);
    let last = *offsets.last().unwrap();
    assert!(payloads.last().unwrap().iter().all(|&b| b != 0));
    for at in last as usize..bytes.len() {
        for mask in [0x01u8, 0x10, 0x80, 0xff] {
            let mut d = bytes.clone();
            d[at] ^= mask;
            // A complete record that fails a check was damaged after it was written, not
            // torn: the header's or the payload's, the record is reported, never dropped.
            // (The payload's last byte is 201: no mask here makes it the zero that an
            // unfinished write would leave.)
            assert_ne!(d[d.len() - 1], 0);
            assert_eq!(
                corruption_offset(decode(&d)),
                Some(last),
                "byte {at} mask {mask:#x}"
            );
        }
    }
    // The same damage with zeros appended after the record (a preallocated tail): still
    // corruption, the record itself does not end in zeros.
    for at in last as usize..bytes.len() {
        let mut d = bytes.clone();
        d[at] ^= 0x10;
        d.resize(bytes.len() + 100, 0);
        assert_eq!(corruption_offset(decode(&d)), Some(last), "byte {at}");
    }
    // A payload that is partly zero cannot be told from a damaged one: corruption. A
    // payload that is entirely zero (the header reached the disk, none of the payload did)
    // is the torn tail rule 5 describes.
    let plen = payloads.last().unwrap().len();
    for zeroed in 1..=plen {
        let mut d = bytes.clone();
        let n = d.len();
        d[n - zeroed..].fill(0);
        if zeroed < plen {
            assert_eq!(corruption_offset(decode(&d)), Some(last), "{zeroed} zeroed");
            continue;
        }
        let c = decode(&d).unwrap_or_else(|e| panic!("{zeroed} bytes zeroed: {e}"));
        assert_eq!(payloads_of(&c), payloads[..payloads.len() - 1].to_vec());
        assert_eq!(c.valid_len, last);
        assert_eq!(c.torn_tail.unwrap().offset, last);
    }
}

#[test]
fn write_cut_short_and_zero_filled_is_a_torn_tail() {
    let payloads = sample_payloads();
    let (bytes, offsets) = build(&payloads);
    let last = *offsets.last().unwrap() as usize;
    // The last write reached the disk up to `written` bytes into the record; the file was
    // extended with zeros up to its full length (and perhaps further). Torn while nothing
    // of the payload is there; a partly written payload is corruption (rule 5).
    for written in 0..bytes.len() - last {
        for extra in [0usize, 1, 100] {
            let mut d = bytes[..last + written].to_vec();
            d.resize(bytes.len() + extra, 0);
            if written > RECORD_HEADER_LEN {
                assert_eq!(
                    corruption_offset(decode(&d)),
                    Some(last as u64),
                    "written {written}"
                );
                continue;
            }
            let c = decode(&d).unwrap_or_else(|e| panic!("written {written}: {e}"));
            assert_eq!(payloads_of(&c), payloads[..payloads.len() - 1].to_vec());
            assert_eq!(c.valid_len, last as u64);
            assert_eq!(
                c.torn_tail.unwrap().offset,
                last as u64,
                "written {written}"
            );
        }
    }
    // The same for a record with an empty payload: the header alone.
    let (bytes, offsets) = build(&[b"x".to_vec(), Vec::new()]);
    let last = offsets[1] as usize;
    for written in 0..RECORD_HEADER_LEN {
        let mut d = bytes[..last + written].to_vec();
        d.resize(bytes.len() + 5, 0);
        let c = decode(&d).unwrap_or_else(|e| panic!("written {written}: {e}"));
        assert_eq!(payloads_of(&c), vec![b"x".to_vec()]);
        assert_eq!(c.torn_tail.unwrap().offset, last as u64);
    }
}

#[test]
fn frame_format_is_pinned() {
    let (bytes, offsets) = build(&[b"abc".to_vec(), Vec::new()]);
    assert_eq!(offsets, vec![16, 16 + 12 + 3]);
    // Spelled as in LevelDB's crc32c::Mask, independently of `mask_crc`.
    #[allow(clippy::manual_rotate)]
    let leveldb_mask = |c: u32| ((c >> 15) | (c << 17)).wrapping_add(0xa282_ead8);
    for (at, payload) in [(16usize, &b"abc"[..]), (31, &b""[..])] {
        let len = (payload.len() as u32).to_le_bytes();
        let pcrc = crc32c::crc32c(payload).to_le_bytes();
        let hcrc = leveldb_mask(crc32c::crc32c(&[len, pcrc].concat())).to_le_bytes();
        let expect = [&len[..], &pcrc, &hcrc, payload].concat();
        assert_eq!(&bytes[at..at + expect.len()], &expect[..]);
    }
    assert_eq!(crc32c::crc32c(b"abc"), 0x364b_3fb7);
    assert_eq!(bytes.len(), 16 + 12 + 3 + 12);
    // An all-zero header never passes its check, so zeros never read as empty records.
    assert_ne!(header_crc(0, 0), 0);
}

#[test]
fn zero_filled_tail_is_torn_but_zeros_before_data_are_corruption() {
    let payloads = sample_payloads();
    let (bytes, offsets) = build(&payloads);
    for zeros in [1usize, 7, 8, 11, 12, 13, 100, 4096] {
        let mut d = bytes.clone();
        d.resize(bytes.len() + zeros, 0);
        let c = decode(&d).unwrap();
        assert_eq!(payloads_of(&c), payloads);
        assert_eq!(c.valid_len, bytes.len() as u64);
        assert_eq!(c.torn_tail.unwrap().offset, bytes.len() as u64);
    }
    // A hole (zeros) where a record should be, with a record after it.
    let mut d = bytes[..offsets[3] as usize].to_vec();
    d.resize(d.len() + 64, 0);
    d.extend_from_slice(&bytes[offsets[3] as usize..]);
    assert_eq!(corruption_offset(decode(&d)), Some(offsets[3]));
    // A zeroed record (not last) is corruption too.
    let mut d = bytes.clone();
    d[offsets[2] as usize..offsets[3] as usize].fill(0);
    assert_eq!(corruption_offset(decode(&d)), Some(offsets[2]));
}

#[test]
fn header_checks() {
    let (bytes, _) = build(&sample_payloads());
    let p = Path::new("f");
    let b = Bytes::copy_from_slice(&bytes);
    assert!(matches!(
        decode_log(p, MANIFEST_MAGIC, b.clone()),
        Err(Error::Incompatible { .. })
    ));
    let mut d = bytes.clone();
    d[..8].copy_from_slice(b"SQLite f");
    assert!(matches!(decode(&d), Err(Error::Incompatible { .. })));
    // Another version with a correct header checksum.
    let mut d = bytes.clone();
    d[8..12].copy_from_slice(&2u32.to_le_bytes());
    let crc = crc32c::crc32c(&d[..12]);
    d[12..16].copy_from_slice(&crc.to_le_bytes());
    let e = decode(&d).unwrap_err();
    assert!(matches!(e, Error::Incompatible { .. }), "{e}");
    // Damaged version or checksum: corruption at 0.
    for at in 8..16 {
        let mut d = bytes.clone();
        d[at] ^= 0x04;
        assert_eq!(corruption_offset(decode(&d)), Some(0), "byte {at}");
    }
    // Shorter than the header: torn at 0, whether a header prefix or zeros.
    for n in 0..LOG_HEADER_LEN {
        for d in [bytes[..n].to_vec(), vec![0u8; n]] {
            let c = decode(&d).unwrap();
            assert!(c.records.is_empty());
            assert_eq!(c.valid_len, 0);
            assert_eq!(c.torn_tail.unwrap().offset, 0);
        }
    }
    // A header cut short and zero-filled (a torn first write), short or long: torn at 0.
    for n in 1..LOG_HEADER_LEN {
        for total in [n + 1, LOG_HEADER_LEN, 100] {
            let mut d = bytes[..n].to_vec();
            d.resize(total.max(n + 1), 0);
            if d[n] == bytes[n] {
                continue; // the header's own byte is zero here: not cut at n
            }
            let c = decode(&d).unwrap();
            assert!(
                c.records.is_empty() && c.valid_len == 0,
                "n {n} total {total}"
            );
            assert_eq!(c.torn_tail.unwrap().offset, 0);
        }
    }
    // ... but a damaged header with non-zero data after it is not.
    let mut d = bytes[..LOG_HEADER_LEN + 20].to_vec();
    d[10] ^= 1;
    assert!(decode(&d).is_err());
    // A short file of something else is not ours.
    assert!(matches!(decode(b"hello"), Err(Error::Incompatible { .. })));
    // A file of zeros (size reached the disk, data did not) is an empty torn log.
    let c = decode(&[0u8; 100]).unwrap();
    assert!(c.records.is_empty() && c.torn_tail.is_some());
}

fn payload_sets() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(
        prop_oneof![
            Just(Vec::new()),
            prop::collection::vec(any::<u8>(), 0..64),
            prop::collection::vec(any::<u8>(), 0..600),
        ],
        1..12,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn prop_cut_yields_whole_records_before_the_cut(
        payloads in payload_sets(),
        cut_frac in 0.0f64..=1.0,
    ) {
        let (bytes, offsets) = build(&payloads);
        let cut = ((bytes.len() as f64) * cut_frac) as usize;
        let c = decode(&bytes[..cut]).unwrap();
        let whole = offsets
            .iter()
            .zip(&payloads)
            .take_while(|(o, p)| *o + (RECORD_HEADER_LEN + p.len()) as u64 <= cut as u64)
            .count();
        prop_assert_eq!(payloads_of(&c), payloads[..whole].to_vec());
        // A file shorter than its header is torn at 0 (valid_len 0), even an empty one.
        prop_assert_eq!(
            c.torn_tail.is_none(),
            cut >= LOG_HEADER_LEN && c.valid_len == cut as u64
        );
        let full = decode(&bytes).unwrap();
        prop_assert!(full.torn_tail.is_none());
        prop_assert_eq!(payloads_of(&full), payloads);
    }

    #[test]
    fn prop_single_byte_damage_is_reported_at_its_record(
        payloads in payload_sets(),
        pos_frac in 0.0f64..1.0,
        mask in 1u8..=255,
    ) {
        let (bytes, offsets) = build(&payloads);
        let body = bytes.len() - LOG_HEADER_LEN;
        let at = LOG_HEADER_LEN + ((body as f64) * pos_frac) as usize;
        prop_assume!(at < bytes.len());
        let mut d = bytes.clone();
        d[at] ^= mask;
        let i = offsets.iter().rposition(|&o| o <= at as u64).unwrap();
        let start = offsets[i] as usize;
        // In the last record, damage is read as a torn tail only if it leaves the
        // zero-fill signature of an unfinished write: zeros from the header's last byte on
        // (header damage), or an all-zero payload (payload damage); see the module
        // documentation.
        let torn_signature = if at < start + RECORD_HEADER_LEN {
            all_zero(&d[start + RECORD_HEADER_LEN - 1..])
        } else {
            all_zero(&d[start + RECORD_HEADER_LEN..])
        };
        let corrupt = i + 1 < offsets.len() || !torn_signature;
        if corrupt {
            prop_assert_eq!(corruption_offset(decode(&d)), Some(offsets[i]));
        } else {
            let c = decode(&d).unwrap();
            prop_assert_eq!(c.torn_tail.as_ref().map(|t| t.offset), Some(offsets[i]));
            prop_assert_eq!(payloads_of(&c), payloads[..i].to_vec());
        }
    }

    #[test]
    fn prop_damaged_length_of_a_middle_record_is_corruption(
        payloads in payload_sets(),
        rec_frac in 0.0f64..1.0,
        masks in prop::array::uniform4(any::<u8>()),
    ) {
        prop_assume!(payloads.len() >= 2 && masks.iter().any(|&m| m != 0));
        let (bytes, offsets) = build(&payloads);
        let i = ((offsets.len() - 1) as f64 * rec_frac) as usize;
        let start = offsets[i] as usize;
        let mut d = bytes.clone();
        for (b, m) in masks.iter().enumerate() {
            d[start + b] ^= m;
        }
        prop_assert_eq!(corruption_offset(decode(&d)), Some(offsets[i]));
    }

    #[test]
    fn prop_zero_filled_cut_is_a_torn_tail_or_a_partly_zeroed_payload(
        payloads in payload_sets(),
        cut_frac in 0.0f64..=1.0,
        extra in 0usize..64,
    ) {
        // A crash leaves a prefix of the file and zeros up to (or past) its full length.
        let (bytes, offsets) = build(&payloads);
        let cut = LOG_HEADER_LEN
            + ((bytes.len() - LOG_HEADER_LEN) as f64 * cut_frac) as usize;
        let mut d = bytes[..cut].to_vec();
        d.resize(bytes.len() + extra, 0);
        let whole = offsets
            .iter()
            .zip(&payloads)
            .take_while(|(o, p)| *o + (RECORD_HEADER_LEN + p.len()) as u64 <= cut as u64)
            .count();
        let c = match decode(&d) {
            Ok(c) => c,
            // Rule 5: a record cut inside its payload whose zero-filled rest differs from
            // what was written is corruption at that record.
            Err(Error::Corruption { offset, .. }) => {
                prop_assert_eq!(Some(&offset), offsets.get(whole));
                prop_assert!(cut as u64 > offset + RECORD_HEADER_LEN as u64);
                return Ok(());
            }
            Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
        };
        // A record whose zeroed part was all zeros anyway still reads back intact.
        prop_assert!(c.records.len() >= whole);
        prop_assert_eq!(payloads_of(&c), payloads[..c.records.len()].to_vec());
        prop_assert_eq!(c.torn_tail.is_none(), c.valid_len == d.len() as u64);
    }
}
