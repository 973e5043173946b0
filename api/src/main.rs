//! The `tupu` command-line tool: serve, import, query, validate, export.

mod cli;
mod match_cli;
mod search_cli;

/// mimalloc, built to replace `malloc` and `free` for the whole process, so that Rust, RocksDB's
/// C++ and the C libraries share one allocator. Bulk imports spend about a quarter less time
/// than under glibc's allocator, whose frees of many small keys dominate a bulk load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
