//! KRM function runtimes for porch-rs and the `porch-fn-runner` service.
//!
//! - [`builtin`]: the popular catalog functions reimplemented in Rust and
//!   run in process (well under a millisecond instead of a container start).
//! - [`image`]: which builtin an image name stands for.
//!
//! Dependencies and why: `cad-lib` (ResourceList, lossless objects, the
//! `FunctionEvaluator` trait), `porch-proto` + `tonic` (Porch's gRPC
//! contract), `tokio` (server, process management), `semver` (Kptfile `tag`
//! constraints and the builtin version table), `shlex` (exec command
//! lines), `regex` (search-replace, setters), `serde_json`/`serde_norway`
//! (config files and values), `clap` (the binary's flags), `tracing`.

pub mod builtin;
pub mod image;

pub use builtin::BuiltinRuntime;
