//! Porch's function evaluator gRPC contract and the standard gRPC health
//! service, generated with tonic.
//!
//! `evaluator` is wire-compatible with Porch's `func/evaluator/evaluator.proto`
//! (package `evaluator`, service `FunctionEvaluator`), so Porch's engine can
//! call `porch-fn-runner` and porch-rs can call Porch's function runner.
//!
//! Dependencies: `prost` (message types), `tonic` + `tonic-prost` (service
//! stubs, with only the `codegen` and `transport` features), and at build time
//! `tonic-prost-build` (runs `protoc`).

/// The `evaluator` package: `FunctionEvaluator.EvaluateFunction`.
#[allow(missing_docs, clippy::all)]
pub mod evaluator {
    tonic::include_proto!("evaluator");
}

/// The `grpc.health.v1` package: `Health.Check` and `Health.Watch`.
#[allow(missing_docs, clippy::all)]
pub mod health {
    tonic::include_proto!("grpc.health.v1");
}

/// Fully qualified name of the evaluator service (for health checks).
pub const EVALUATOR_SERVICE: &str = "evaluator.FunctionEvaluator";
