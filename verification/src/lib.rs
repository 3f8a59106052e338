//! Verification of the structures (filled by the verify issue).
