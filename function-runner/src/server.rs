//! The `evaluator.FunctionEvaluator` gRPC service (wire-compatible with
//! Porch) over the builtin and exec runtimes, and the gRPC health service.
//!
//! An image served by neither runtime answers `NotFound`. A function that
//! fails answers `Internal` with the error text; the failed call's
//! ResourceList (with its results) travels in the status details and its
//! exit code and stderr in metadata, so porch-rs clients report exactly
//! what the function said while Porch clients still see a plain error.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use cad_lib::{EvalError, EvalErrorKind, ResourceList};
use porch_proto::evaluator::function_evaluator_server::{
    FunctionEvaluator, FunctionEvaluatorServer,
};
use porch_proto::evaluator::{EvaluateFunctionRequest, EvaluateFunctionResponse};
use porch_proto::health::health_check_response::ServingStatus;
use porch_proto::health::health_server::{Health, HealthServer};
use porch_proto::health::{HealthCheckRequest, HealthCheckResponse};
use tokio::sync::Semaphore;
use tonic::{Request, Response, Status};

use crate::builtin::BuiltinRuntime;
use crate::exec::ExecRuntime;

/// Metadata key carrying a failed function's exit code.
pub const EXIT_CODE_KEY: &str = "x-porch-fn-exit-code";
/// Metadata key carrying a failed function's stderr (percent-free, lossy).
pub const STDERR_KEY: &str = "x-porch-fn-stderr-bin";

/// Limits of the service.
#[derive(Debug, Clone, Copy)]
pub struct ServiceLimits {
    /// Largest request or response message.
    pub max_message_size: usize,
    /// Calls evaluated at once (others wait).
    pub max_concurrent: usize,
}

impl Default for ServiceLimits {
    fn default() -> Self {
        Self {
            max_message_size: 96 << 20,
            max_concurrent: 16,
        }
    }
}

/// The evaluator service.
#[derive(Clone)]
pub struct EvaluatorService {
    builtin: BuiltinRuntime,
    exec: Option<ExecRuntime>,
    slots: Arc<Semaphore>,
}

impl EvaluatorService {
    /// A service over the given runtimes.
    pub fn new(builtin: BuiltinRuntime, exec: Option<ExecRuntime>, limits: ServiceLimits) -> Self {
        Self {
            builtin,
            exec,
            slots: Arc::new(Semaphore::new(limits.max_concurrent.max(1))),
        }
    }

    /// Evaluates one serialised ResourceList; returns the serialised output
    /// and the function's stderr.
    pub async fn evaluate(
        &self,
        image: &str,
        input: Vec<u8>,
    ) -> Result<(Vec<u8>, String), EvalError> {
        let _permit = self
            .slots
            .acquire()
            .await
            .map_err(|_| EvalError::new(EvalErrorKind::Failed, "service is shutting down"))?;
        if self.builtin.find(image, None).is_some() {
            let b = self.builtin.clone();
            let image = image.to_string();
            return tokio::task::spawn_blocking(move || run_builtin(&b, &image, &input))
                .await
                .map_err(|e| {
                    EvalError::new(EvalErrorKind::Failed, format!("builtin panicked: {e}"))
                })?;
        }
        if let Some(exec) = &self.exec
            && exec.supports(image)
        {
            let raw = exec.run_raw(&exec.argv(image)?, input).await?;
            if raw.status == 0 && !raw.stdout.is_empty() {
                return Ok((raw.stdout, raw.stderr));
            }
            let out = raw.into_output()?;
            let yaml = out
                .resource_list
                .to_yaml()
                .map_err(|e| EvalError::new(EvalErrorKind::InvalidOutput, e.to_string()))?;
            return Ok((yaml.into_bytes(), out.stderr));
        }
        Err(EvalError::new(
            EvalErrorKind::NotFound,
            format!(
                "function image {image:?} not found: no builtin or configured executable serves it"
            ),
        ))
    }

    /// The tonic server for this service, with message size limits.
    pub fn into_server(self, limits: ServiceLimits) -> FunctionEvaluatorServer<Self> {
        FunctionEvaluatorServer::new(self)
            .max_decoding_message_size(limits.max_message_size)
            .max_encoding_message_size(limits.max_message_size)
    }
}

/// Parses, runs and encodes on a blocking thread (objects are not `Send`).
fn run_builtin(
    b: &BuiltinRuntime,
    image: &str,
    input: &[u8],
) -> Result<(Vec<u8>, String), EvalError> {
    let text = std::str::from_utf8(input).map_err(|e| {
        EvalError::new(
            EvalErrorKind::InvalidConfig,
            format!("resource_list is not UTF-8: {e}"),
        )
    })?;
    let rl = ResourceList::parse(text)
        .map_err(|e| EvalError::new(EvalErrorKind::InvalidConfig, e.to_string()))?;
    let out = b.run(image, None, rl)?;
    let yaml = out
        .resource_list
        .to_yaml()
        .map_err(|e| EvalError::new(EvalErrorKind::InvalidOutput, e.to_string()))?;
    Ok((yaml.into_bytes(), out.stderr))
}

fn failure_status(e: EvalError) -> Status {
    match e.kind {
        EvalErrorKind::NotFound => Status::not_found(e.message),
        EvalErrorKind::InvalidConfig => Status::invalid_argument(e.message),
        _ => {
            let details = ResourceList {
                results: e.results,
                ..Default::default()
            }
            .to_yaml()
            .unwrap_or_default();
            let mut status = Status::with_details(
                tonic::Code::Internal,
                format!("failed to evaluate function: {}", e.message),
                details.into_bytes().into(),
            );
            if let Ok(v) = e.exit_code.to_string().parse() {
                status.metadata_mut().insert(EXIT_CODE_KEY, v);
            }
            status.metadata_mut().insert_bin(
                STDERR_KEY,
                tonic::metadata::MetadataValue::from_bytes(e.stderr.as_bytes()),
            );
            status
        }
    }
}

#[tonic::async_trait]
impl FunctionEvaluator for EvaluatorService {
    async fn evaluate_function(
        &self,
        request: Request<EvaluateFunctionRequest>,
    ) -> Result<Response<EvaluateFunctionResponse>, Status> {
        let req = request.into_inner();
        tracing::info!(image = %req.image, bytes = req.resource_list.len(), "evaluate_function");
        let (out, log) = self
            .evaluate(&req.image, req.resource_list)
            .await
            .map_err(failure_status)?;
        Ok(Response::new(EvaluateFunctionResponse {
            resource_list: out,
            log: log.into_bytes(),
        }))
    }
}

/// The health service: `SERVING` for the whole server and the evaluator.
#[derive(Debug, Clone, Default)]
pub struct HealthService;

fn health_status(service: &str) -> Result<HealthCheckResponse, Status> {
    if service.is_empty() || service == porch_proto::EVALUATOR_SERVICE {
        Ok(HealthCheckResponse {
            status: ServingStatus::Serving as i32,
        })
    } else {
        Err(Status::not_found(format!("unknown service {service:?}")))
    }
}

type WatchStream =
    Pin<Box<dyn tokio_stream::Stream<Item = Result<HealthCheckResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Health for HealthService {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        health_status(&request.into_inner().service).map(Response::new)
    }

    type WatchStream = WatchStream;

    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        use tokio_stream::StreamExt;
        let first = health_status(&request.into_inner().service).unwrap_or(HealthCheckResponse {
            status: ServingStatus::ServiceUnknown as i32,
        });
        let stream = tokio_stream::once(Ok(first)).chain(tokio_stream::pending());
        Ok(Response::new(Box::pin(stream)))
    }
}

/// Serves both services on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: EvaluatorService,
    limits: ServiceLimits,
    timeout: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    tonic::transport::Server::builder()
        .timeout(timeout)
        .tcp_nodelay(true)
        .add_service(HealthServer::new(HealthService))
        .add_service(service.into_server(limits))
        .serve_with_incoming_shutdown(
            tokio_stream::StreamExt::map(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                |s| {
                    // Small request/response pairs must not wait for Nagle.
                    s.inspect(|s| {
                        let _ = s.set_nodelay(true);
                    })
                },
            ),
            shutdown,
        )
        .await
}
