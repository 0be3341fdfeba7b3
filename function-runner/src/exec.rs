//! The exec runtime: functions that are local executables.
//!
//! A config file maps image names (with any tag, listed tags, or a name
//! prefix) to a command line; the ResourceList goes to the process on stdin
//! and comes back on stdout. Every call runs in its own process group with
//! a timeout, a cap on output size and a cap on concurrent processes, so a
//! function that hangs or floods its output is killed without disturbing
//! other calls. A non-zero exit returns the function's results and stderr.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use cad_lib::{
    EvalError, EvalErrorKind, EvalOutput, FunctionEvaluator, FunctionSpec, ResourceList,
};
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;

use crate::image::ImageRef;

/// Why the exec configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ExecConfigError {
    /// The file could not be read.
    #[error("cannot read exec config {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a valid config.
    #[error("invalid exec config {path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// Parser message.
        message: String,
    },
}

/// One image → executable mapping.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExecEntry {
    /// Image name without tag (catalog prefixes are stripped before
    /// matching, so `set-foo` matches `gcr.io/kpt-fn/set-foo:v1`).
    #[serde(default)]
    pub image: String,
    /// Matches every image whose name starts with this prefix instead.
    #[serde(default)]
    pub prefix: String,
    /// Tags served (empty: any tag).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Executable to run.
    pub command: String,
    /// Arguments.
    #[serde(default)]
    pub args: Vec<String>,
}

/// Limits applied to every process.
#[derive(Debug, Clone, Copy)]
pub struct ExecLimits {
    /// Wall-clock limit per call.
    pub timeout: Duration,
    /// Largest stdout accepted, in bytes.
    pub max_output: usize,
    /// Processes allowed to run at once.
    pub max_concurrent: usize,
}

impl Default for ExecLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(300),
            max_output: 96 << 20,
            max_concurrent: 8,
        }
    }
}

/// The config file: `functions: [{image, tags, command, args}]`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ExecConfig {
    /// Mappings, first match wins.
    #[serde(default)]
    pub functions: Vec<ExecEntry>,
}

impl ExecConfig {
    /// Reads a YAML config file.
    pub fn load(path: &Path) -> Result<Self, ExecConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ExecConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        serde_norway::from_str(&text).map_err(|e| ExecConfigError::Parse {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }
}

/// Runs images mapped to local executables, and `exec` functions.
#[derive(Debug, Clone)]
pub struct ExecRuntime {
    entries: Arc<Vec<ExecEntry>>,
    limits: ExecLimits,
    slots: Arc<Semaphore>,
}

impl ExecRuntime {
    /// A runtime over `config` with `limits`.
    pub fn new(config: ExecConfig, limits: ExecLimits) -> Self {
        Self {
            entries: Arc::new(config.functions),
            slots: Arc::new(Semaphore::new(limits.max_concurrent.max(1))),
            limits,
        }
    }

    /// The entry serving `image`, if any.
    pub fn find(&self, image: &str) -> Option<&ExecEntry> {
        let r = ImageRef::parse(image, None);
        let full = image.split(['@']).next().unwrap_or(image);
        self.entries.iter().find(|e| {
            let name_ok = if !e.prefix.is_empty() {
                full.starts_with(&e.prefix) || r.name.starts_with(&e.prefix)
            } else {
                e.image == r.name || full.rsplit_once(':').map_or(full, |(n, _)| n) == e.image
            };
            let tag_ok = e.tags.is_empty() || r.tag.as_ref().is_some_and(|t| e.tags.contains(t));
            name_ok && tag_ok
        })
    }

    /// Whether an image is mapped.
    pub fn supports(&self, image: &str) -> bool {
        self.find(image).is_some()
    }

    /// The command line for `image`.
    pub fn argv(&self, image: &str) -> Result<Vec<String>, EvalError> {
        let Some(e) = self.find(image) else {
            return Err(EvalError::new(
                EvalErrorKind::NotFound,
                format!("no exec function for image {image:?}"),
            ));
        };
        let mut argv = vec![e.command.clone()];
        argv.extend(e.args.iter().cloned());
        Ok(argv)
    }

    /// Runs a command line with `stdin` (a serialised ResourceList) and
    /// returns what the process produced.
    pub async fn run_raw(&self, argv: &[String], stdin: Vec<u8>) -> Result<Raw, EvalError> {
        let _permit =
            self.slots.acquire().await.map_err(|_| {
                EvalError::new(EvalErrorKind::Failed, "exec runtime is shutting down")
            })?;
        let started = std::time::Instant::now();
        let raw = run_process(argv, stdin, self.limits).await;
        tracing::debug!(
            command = argv.first().map(String::as_str).unwrap_or_default(),
            elapsed_us = started.elapsed().as_micros() as u64,
            "exec done"
        );
        raw
    }

    fn run_sync(&self, argv: &[String], input: &ResourceList) -> Result<EvalOutput, EvalError> {
        let span = tracing::debug_span!(
            "exec",
            command = argv.first().map(String::as_str).unwrap_or_default()
        );
        let _enter = span.enter();
        let stdin = input
            .to_yaml()
            .map_err(|e| EvalError::new(EvalErrorKind::InvalidConfig, e.to_string()))?;
        let raw = block_on(self.run_raw(argv, stdin.into_bytes()))??;
        raw.into_output()
    }
}

/// What a process produced.
#[derive(Debug)]
pub struct Raw {
    /// Exit status (-1 when killed by a signal).
    pub status: i32,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error (lossy UTF-8).
    pub stderr: String,
}

impl Raw {
    /// The function's output, or its failure with results and stderr.
    pub fn into_output(self) -> Result<EvalOutput, EvalError> {
        finish(self)
    }
}

fn kill_group(pid: Option<u32>) {
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) with a negative pid signals the process group we
        // created for this child; it has no memory-safety preconditions.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// Reads at most `cap` bytes; `Err(())` when there was more.
async fn read_capped(mut r: impl AsyncRead + Unpin, cap: usize) -> Result<Vec<u8>, ()> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => return Ok(out),
            Ok(n) => {
                if out.len() + n > cap {
                    return Err(());
                }
                out.extend_from_slice(&buf[..n]);
            }
        }
    }
}

async fn run_process(
    argv: &[String],
    input: Vec<u8>,
    limits: ExecLimits,
) -> Result<Raw, EvalError> {
    let Some((cmd, args)) = argv.split_first() else {
        return Err(EvalError::new(
            EvalErrorKind::InvalidConfig,
            "empty command line",
        ));
    };
    let mut child = tokio::process::Command::new(cmd)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            EvalError::new(
                EvalErrorKind::NotFound,
                format!("cannot start {cmd:?}: {e}"),
            )
        })?;
    let pid = child.id();
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        kill_group(pid);
        return Err(EvalError::new(
            EvalErrorKind::Failed,
            "cannot attach to the function's pipes",
        ));
    };
    let writer = tokio::spawn(async move {
        // A function may exit without reading its input; that is its business.
        let _ = stdin.write_all(&input).await;
        let _ = stdin.shutdown().await;
    });
    let cap = limits.max_output;
    let err_task = tokio::spawn(read_capped(stderr, 1 << 20));
    let outcome = tokio::time::timeout(limits.timeout, async {
        match read_capped(stdout, cap).await {
            Err(()) => Err(EvalError::new(
                EvalErrorKind::InvalidOutput,
                format!("function output exceeds the limit of {cap} bytes"),
            )),
            Ok(stdout) => {
                let status = child
                    .wait()
                    .await
                    .map(|s| s.code().unwrap_or(-1))
                    .unwrap_or(-1);
                Ok((status, stdout))
            }
        }
    })
    .await;
    let outcome = match outcome {
        Ok(Ok((status, stdout))) => {
            let err = err_task.await.ok().and_then(Result::ok).unwrap_or_default();
            Ok(Ok(Raw {
                status,
                stdout,
                stderr: String::from_utf8_lossy(&err).into_owned(),
            }))
        }
        Ok(Err(e)) => {
            err_task.abort();
            Ok(Err(e))
        }
        Err(t) => {
            err_task.abort();
            Err(t)
        }
    };
    writer.abort();
    match outcome {
        Ok(Ok(raw)) => Ok(raw),
        Ok(Err(e)) => {
            kill_group(pid);
            Err(e)
        }
        Err(_) => {
            kill_group(pid);
            Err(EvalError::new(
                EvalErrorKind::Failed,
                format!("function timed out after {:?}", limits.timeout),
            ))
        }
    }
}

fn finish(raw: Raw) -> Result<EvalOutput, EvalError> {
    let text = String::from_utf8_lossy(&raw.stdout);
    let parsed = if text.trim().is_empty() {
        None
    } else {
        Some(ResourceList::parse(&text))
    };
    if raw.status != 0 {
        let results = match parsed {
            Some(Ok(rl)) => rl.results,
            _ => Vec::new(),
        };
        let message = raw
            .stderr
            .trim()
            .lines()
            .last()
            .unwrap_or("function failed")
            .to_string();
        return Err(EvalError {
            kind: EvalErrorKind::Failed,
            message,
            exit_code: raw.status,
            stderr: raw.stderr,
            results,
        });
    }
    match parsed {
        Some(Ok(resource_list)) => Ok(EvalOutput {
            resource_list,
            stderr: raw.stderr,
        }),
        Some(Err(e)) => Err(EvalError {
            stderr: raw.stderr,
            ..EvalError::new(
                EvalErrorKind::InvalidOutput,
                format!("invalid function output: {e}"),
            )
        }),
        None => Err(EvalError {
            stderr: raw.stderr,
            ..EvalError::new(EvalErrorKind::InvalidOutput, "function wrote no output")
        }),
    }
}

/// Runs a future to completion on a private runtime (for synchronous
/// callers such as the render pipeline).
fn block_on<F: std::future::Future>(f: F) -> Result<F::Output, EvalError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| EvalError::new(EvalErrorKind::Failed, format!("cannot start runtime: {e}")))?;
    Ok(rt.block_on(f))
}

impl FunctionEvaluator for ExecRuntime {
    fn evaluate(
        &self,
        function: &FunctionSpec,
        input: ResourceList,
    ) -> Result<EvalOutput, EvalError> {
        if let Some(cmdline) = &function.exec {
            let argv = shlex::split(cmdline).ok_or_else(|| {
                EvalError::new(
                    EvalErrorKind::InvalidConfig,
                    format!("cannot parse exec {cmdline:?}"),
                )
            })?;
            return self.run_sync(&argv, &input);
        }
        match &function.image {
            Some(image) => self.run_sync(&self.argv(image)?, &input),
            None => Err(EvalError::new(
                EvalErrorKind::NotFound,
                "function has neither image nor exec",
            )),
        }
    }
}
