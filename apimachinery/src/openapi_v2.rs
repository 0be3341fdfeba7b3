//! `/openapi/v2` as the gnostic protobuf kubectl 1.27 and 1.28 ask for.
//!
//! Before `kubectl apply`/`create` with `--validate=strict` (the default),
//! those versions fetch `/openapi/v2` as
//! `application/com.github.proto-openapi.spec.v2@v1.0+protobuf` and use
//! server-side validation only if the PATCH operation tagged with the
//! object's `x-kubernetes-group-version-kind` lists a `fieldValidation` query
//! parameter. (kubectl 1.29+ read OpenAPI v3 instead.) The server's schemas
//! are published as OpenAPI 3.0, so [`swagger_from_v3`] derives the Swagger
//! 2.0 document and [`encode_document`] writes it as `openapi.v2.Document`.

mod convert;
mod encode;
pub mod proto;

pub use convert::swagger_from_v3;
pub use encode::encode_document;

#[cfg(test)]
#[path = "openapi_v2/wire_test.rs"]
mod tests;
