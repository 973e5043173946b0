//! Integration tests of the HTTP API (through the router, no socket) and of the `tupu` CLI.

mod cli;
mod errors;
mod fixtures;
mod graph;
mod import_crash;
mod learners;
mod operations;
mod sparql;
