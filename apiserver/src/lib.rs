//! porch-server: the porch-rs Kubernetes extension apiserver.
//!
//! The binary is a thin wrapper over [`run`]; the modules are public so that
//! benchmarks and tests can build a server in-process.

pub mod auth;
pub mod authoring;
pub mod bootstrap;
pub mod config;
pub mod demo;
pub mod discovery;
pub mod error;
pub mod openapi;
pub mod registry;
pub mod resources;
pub mod rest;
pub mod server;
pub mod state;
pub mod storage;
pub mod sync;

pub use config::{Config, run};
