//! The proptest reference-model checker (being written).
