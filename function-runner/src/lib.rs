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
//! Dependencies and why:
//! - `cad-lib`: ResourceList, lossless objects, the `FunctionEvaluator` trait.
//! - `porch-proto`, `tonic` (codegen, transport, router only), `tokio`,
//!   `tokio-stream`: Porch's gRPC contract, the server, the client, and
//!   process management for the exec runtime.
//! - `libc`: killing an exec function's whole process group.
//! - `semver`: Kptfile `tag` constraints and the builtin version table.
//! - `shlex`: splitting `exec` command lines.
//! - `regex`: search-replace, setter patterns.
//! - `rowan`, `yaml-edit`: reading line comments (`# kpt-set:`) and
//!   editing scalars in place.
//! - `starlark` (+ `anyhow` for its module functions, `base64` for its
//!   `encoding/base64.star`), behind the `starlark` cargo feature: the
//!   starlark builtin. The starlark crate switches on serde_json's
//!   `arbitrary_precision` feature for the whole build, after which a JSON
//!   float reaches custom serde visitors as a private map and serialises
//!   through non-JSON formats as one (cad-lib converts numbers explicitly;
//!   apimachinery's JSON decoder does not yet), so the feature stays off
//!   in workspace builds until every crate tolerates it.
//! - `k8s-openapi` (v1_33, `schemars` feature) + `schemars`: the built-in
//!   Kubernetes schemas of the kubeconform/kubeval validator, generated
//!   from the typed API instead of fetched.
//! - `serde`, `serde_json`, `serde_norway`: configs and values; `clap`: the
//!   binary's flags; `tracing`, `tracing-subscriber`: spans and logs;
//!   `thiserror`: error types.

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
