//! Integration tests of the store: on disk, across reopening, under concurrent reads.

mod bulk;
mod fixtures;
mod history;
mod integrity;
mod persist;
mod search;
mod store;
