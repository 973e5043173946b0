//! The `tupu` command-line tool: serve, import, query, validate, export.

mod cli;
mod match_cli;
mod search_cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
