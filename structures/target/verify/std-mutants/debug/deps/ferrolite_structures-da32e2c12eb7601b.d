/work/main/structures/target/verify/std-mutants/debug/deps/ferrolite_structures-da32e2c12eb7601b.d: structures/src/lib.rs structures/src/kind.rs structures/src/level.rs structures/src/lockfree/mod.rs structures/src/lockfree/node.rs structures/src/lockfree/raw.rs structures/src/map.rs structures/src/mutant.rs structures/src/mutex.rs structures/src/reclaim/mod.rs structures/src/reclaim/epoch.rs structures/src/reclaim/hazard.rs structures/src/reclaim/none.rs structures/src/reclaim/owned.rs structures/src/reclaim/slots.rs structures/src/reclaim/stats.rs structures/src/reference.rs structures/src/sync.rs structures/src/thread_id.rs Cargo.toml

/work/main/structures/target/verify/std-mutants/debug/deps/libferrolite_structures-da32e2c12eb7601b.rmeta: structures/src/lib.rs structures/src/kind.rs structures/src/level.rs structures/src/lockfree/mod.rs structures/src/lockfree/node.rs structures/src/lockfree/raw.rs structures/src/map.rs structures/src/mutant.rs structures/src/mutex.rs structures/src/reclaim/mod.rs structures/src/reclaim/epoch.rs structures/src/reclaim/hazard.rs structures/src/reclaim/none.rs structures/src/reclaim/owned.rs structures/src/reclaim/slots.rs structures/src/reclaim/stats.rs structures/src/reference.rs structures/src/sync.rs structures/src/thread_id.rs Cargo.toml

structures/src/lib.rs:
structures/src/kind.rs:
structures/src/level.rs:
structures/src/lockfree/mod.rs:
structures/src/lockfree/node.rs:
structures/src/lockfree/raw.rs:
structures/src/map.rs:
structures/src/mutant.rs:
structures/src/mutex.rs:
structures/src/reclaim/mod.rs:
structures/src/reclaim/epoch.rs:
structures/src/reclaim/hazard.rs:
structures/src/reclaim/none.rs:
structures/src/reclaim/owned.rs:
structures/src/reclaim/slots.rs:
structures/src/reclaim/stats.rs:
structures/src/reference.rs:
structures/src/sync.rs:
structures/src/thread_id.rs:
Cargo.toml:

# env-dep:CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__
# env-dep:CLIPPY_CONF_DIR
