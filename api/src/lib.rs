//! Rust types of every resource porch-rs serves, with Porch's naming rules.
//! No I/O: the apiserver and engine build on these.

pub mod core;
pub mod lifecycle;
pub mod names;
pub mod packagerevision;
pub mod repository;
