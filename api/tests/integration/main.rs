//! Integration tests of the HTTP API (through the router, no socket) and of the `tupu` CLI.

mod cli;
mod employment;
mod fixtures;
mod graph;
mod learners;
mod sparql;
