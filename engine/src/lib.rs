pub mod authoring;
pub mod git;
pub mod store;
