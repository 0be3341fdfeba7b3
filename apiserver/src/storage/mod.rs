//! Where served objects live: the Store, read through the watch cache.

pub mod cache;
pub mod index;
pub mod objects;
