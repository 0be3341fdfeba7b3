//! A [`FunctionEvaluator`] that calls a function runner over gRPC (porch-rs's
//! `porch-fn-runner` or Porch's own), for the engine's non-builtin images.
//! Combine it with the builtins through [`crate::Chain`] to run catalog
//! functions in process and everything else remotely.

use cad_lib::{
    EvalError, EvalErrorKind, EvalOutput, FunctionEvaluator, FunctionSpec, ResourceList,
};
use porch_proto::evaluator::EvaluateFunctionRequest;
use porch_proto::evaluator::function_evaluator_client::FunctionEvaluatorClient;
use tonic::transport::{Channel, Endpoint};

use crate::server::{EXIT_CODE_KEY, STDERR_KEY};

/// Why the client could not be created.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The address is not a valid endpoint.
    #[error("invalid function runner address {0:?}: {1}")]
    Address(String, String),
    /// The private runtime could not start.
    #[error("cannot start the client runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// Calls `evaluator.FunctionEvaluator/EvaluateFunction` synchronously.
pub struct GrpcEvaluator {
    runtime: tokio::runtime::Runtime,
    client: FunctionEvaluatorClient<Channel>,
}

impl GrpcEvaluator {
    /// A client for `address` (`http://127.0.0.1:9445`); connects lazily.
    pub fn new(address: &str, max_message_size: usize) -> Result<Self, ClientError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let endpoint = Endpoint::from_shared(address.to_string())
            .map_err(|e| ClientError::Address(address.into(), e.to_string()))?;
        let channel = {
            let _guard = runtime.enter();
            endpoint.connect_lazy()
        };
        let client = FunctionEvaluatorClient::new(channel)
            .max_decoding_message_size(max_message_size)
            .max_encoding_message_size(max_message_size);
        Ok(Self { runtime, client })
    }

    /// Sends one serialised ResourceList; returns the serialised output and
    /// the function's log.
    pub async fn call(
        mut client: FunctionEvaluatorClient<Channel>,
        image: String,
        body: Vec<u8>,
    ) -> Result<(Vec<u8>, Vec<u8>), EvalError> {
        let req = EvaluateFunctionRequest {
            resource_list: body,
            image,
        };
        match client.evaluate_function(req).await {
            Ok(resp) => {
                let resp = resp.into_inner();
                Ok((resp.resource_list, resp.log))
            }
            Err(status) => Err(from_status(&status)),
        }
    }
}

fn from_status(status: &tonic::Status) -> EvalError {
    let kind = match status.code() {
        tonic::Code::NotFound => EvalErrorKind::NotFound,
        tonic::Code::InvalidArgument => EvalErrorKind::InvalidConfig,
        _ => EvalErrorKind::Failed,
    };
    let results = ResourceList::parse(&String::from_utf8_lossy(status.details()))
        .map(|rl| rl.results)
        .unwrap_or_default();
    let exit_code = status
        .metadata()
        .get(EXIT_CODE_KEY)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let stderr = status
        .metadata()
        .get_bin(STDERR_KEY)
        .and_then(|v| v.to_bytes().ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    EvalError {
        kind,
        message: status.message().to_string(),
        exit_code,
        stderr,
        results,
    }
}

impl FunctionEvaluator for GrpcEvaluator {
    fn evaluate(
        &self,
        function: &FunctionSpec,
        input: ResourceList,
    ) -> Result<EvalOutput, EvalError> {
        let Some(image) = function.image.clone() else {
            return Err(EvalError::new(
                EvalErrorKind::NotAllowed,
                "exec functions do not run remotely",
            ));
        };
        let body = input
            .to_yaml()
            .map_err(|e| EvalError::new(EvalErrorKind::InvalidConfig, e.to_string()))?;
        let (out, log) =
            self.runtime
                .block_on(Self::call(self.client.clone(), image, body.into_bytes()))?;
        let resource_list = ResourceList::parse(&String::from_utf8_lossy(&out))
            .map_err(|e| EvalError::new(EvalErrorKind::InvalidOutput, e.to_string()))?;
        Ok(EvalOutput {
            resource_list,
            stderr: String::from_utf8_lossy(&log).into_owned(),
        })
    }
}
