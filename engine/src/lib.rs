pub mod git;
pub mod store;
