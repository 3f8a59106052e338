/work/main/structures/target/verify/std-mutants/debug/deps/haphazard-e903b4ecd32fe1d0.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/haphazard-0.1.8/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/haphazard-0.1.8/src/domain.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/haphazard-0.1.8/src/hazard.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/haphazard-0.1.8/src/pointer.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/haphazard-0.1.8/src/record.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/haphazard-0.1.8/src/sync.rs

/work/main/structures/target/verify/std-mutants/debug/deps/libhaphazard-e903b4ecd32fe1d0.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/haphazard-0.1.8/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/haphazard-0.1.8/src/domain.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/haphazard-0.1.8/src/hazard.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/haphazard-0.1.8/src/pointer.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/haphazard-0.1.8/src/record.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/haphazard-0.1.8/src/sync.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/haphazard-0.1.8/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/haphazard-0.1.8/src/domain.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/haphazard-0.1.8/src/hazard.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/haphazard-0.1.8/src/pointer.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/haphazard-0.1.8/src/record.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/haphazard-0.1.8/src/sync.rs:
