//! Benchmark support for Ferrolite: workload generators shared by the bench binaries.
