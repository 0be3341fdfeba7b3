//! Generates the tonic client and server code for the evaluator and health
//! services (needs `protoc`, Debian package `protobuf-compiler`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_protos(&["proto/evaluator.proto", "proto/health.proto"], &["proto"])?;
    Ok(())
}
