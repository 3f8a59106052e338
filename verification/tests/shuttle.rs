//! Shuttle schedule exploration (being written).
#![cfg(feature = "shuttle")]
