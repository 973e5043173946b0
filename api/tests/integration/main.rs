//! Integration tests of the HTTP API (through the router, no socket) and of the `tupu` CLI.

mod cli;
mod design;
mod employment;
mod errors;
mod fixtures;
mod fuzz;
mod graph;
mod import_crash;
mod imports;
mod learners;
mod next_steps;
mod operations;
mod predict;
mod search;
mod security;
mod server;
mod sparql;
mod versions;
