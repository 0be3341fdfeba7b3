//! KRM function runtimes for porch-rs and the `porch-fn-runner` service.
//!
//! - [`builtin`]: the popular catalog functions reimplemented in Rust and
//!   run in process (well under a millisecond instead of a container start).
//! - [`exec`]: images mapped to local executables, with timeout, output
//!   and concurrency caps.
//! - [`chain`]: one evaluator over the runtimes, in order.
//! - [`server`]: the Porch-compatible gRPC service and health service;
//!   [`client`]: the matching synchronous client.
//! - [`image`]: which builtin an image name stands for.
//!
//! Dependencies and why: `cad-lib` (ResourceList, lossless objects, the
//! `FunctionEvaluator` trait), `porch-proto` + `tonic` (Porch's gRPC
//! contract), `tokio` (server, process management), `libc` (killing an exec function's whole process group), `semver` (Kptfile `tag`
//! constraints and the builtin version table), `shlex` (exec command
//! lines), `regex` (search-replace, setters), `serde_json`/`serde_norway`
//! (config files and values), `clap` (the binary's flags), `tracing`.

pub mod builtin;
pub mod chain;
pub mod client;
pub mod exec;
pub mod image;
pub mod server;

pub use builtin::BuiltinRuntime;
pub use chain::Chain;
pub use client::GrpcEvaluator;
pub use exec::{ExecConfig, ExecEntry, ExecLimits, ExecRuntime};
