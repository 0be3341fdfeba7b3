//! The strategies of the resources served now.

pub mod core;
pub mod packagerevision;
pub mod repository;
