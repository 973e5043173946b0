//! Integration tests of the HTTP API (through the router, no socket) and of the `tupu` CLI.

mod cli;
mod fixtures;
mod graph;
mod learners;
mod next_steps;
mod predict;
mod sparql;
