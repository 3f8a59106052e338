//! Memory reclamation schemes for the lock-free skip list core.
#![allow(dead_code)]
pub(crate) mod slots;
