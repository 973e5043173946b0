//! Shared fixtures: a data directory with the bundled demo graph, and a router over it.
