//! Compiles `proto/ferrolite.proto` with protox (a protobuf compiler in pure Rust, so no system
//! `protoc` is needed) and generates the tonic server and client with tonic-prost-build. The
//! descriptor set is also written to `OUT_DIR` for the gRPC reflection service.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "proto/ferrolite.proto";
    println!("cargo:rerun-if-changed={proto}");
    let fds = protox::compile([proto], ["proto"])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("ferrolite_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}
