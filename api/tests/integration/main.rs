//! Integration tests of the HTTP API (through the router, no socket) and of the `tupu` CLI.

mod cli;
mod design;
mod fixtures;
mod fuzz;
mod graph;
mod learners;
mod next_steps;
mod predict;
mod search;
mod security;
mod server;
mod sparql;
