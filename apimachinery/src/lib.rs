//! Kubernetes API machinery without I/O or async: wire types (Status, Table,
//! discovery, watch events), selectors, content negotiation, patches,
//! strict decoding, protobuf envelopes and minimal server-side apply.
//!
//! Everything here is pure so that the apiserver crate can unit-test its REST
//! layer cheaply and so that the exact Kubernetes wire behaviour lives in one place.

#![warn(missing_docs)]

pub mod decode;
pub mod discovery;
pub mod field_error;
pub mod fields;
pub mod labels;
pub mod media;
pub mod meta;
pub mod names;
pub mod openapi_v2;
pub mod patch;
pub mod protobuf;
pub mod ssa;
pub mod status;
pub mod table;
pub mod watch;
