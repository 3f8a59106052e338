//! Linearizability checking of recorded concurrent histories (being written).
