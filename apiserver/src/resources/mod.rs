//! The strategies of the resources served now.

pub mod core;
pub mod repository;
