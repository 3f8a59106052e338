//! End-to-end tests: the real `ferrolite-server` binary on ephemeral loopback ports, used
//! through tonic's generated client and an HTTP client, as a client program would. One test
//! binary (one link) holds every module.

mod auth;
mod bad_input;
mod crash;
mod harness;
mod kv;
mod observe;
mod shutdown;
mod sql;
mod watch;
