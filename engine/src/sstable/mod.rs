//! Sorted string tables (being written).
