//! # tupu-api: the HTTP server and the `tupu` command-line tool
//!
//! The top of Tupu's crate stack and the only crate that knows HTTP, axum and JSON wire
//! types. [`app`] builds the whole router over an [`AppState`], so tests drive it with
//! `tower::ServiceExt::oneshot` and no socket; [`serve`] binds it to an address.
//!
//! Every handler error goes through [`ApiError`], whose JSON body carries a stable `code`.

mod audit;
pub mod auth;
mod backup;
mod bounded;
mod code;
mod config;
mod edge;
mod error;
mod fitting;
mod metrics;
mod next_cache;
mod openapi;
pub mod privacy;
mod routes;
mod server;
mod state;

pub use audit::{Actor, AuditEntry, AuditError, AuditLog, verify as verify_audit};
pub use backup::{backup, restore};
pub use config::{Overrides, Settings};
pub use error::{ApiError, Code};
pub use fitting::{FitError, FitOutcome, NodeReport, fit_into_graph, stored_answers};
pub use metrics::Metrics;
pub use routes::app;
pub use server::{ServeOptions, serve_on, shutdown_signal};
pub use state::{AppState, ServerConfig, initialise, open_graph, open_learners, open_private_learners, open_search};

/// Serves the API on `addr` until SIGTERM or SIGINT, then shuts down gracefully (see
/// [`serve_on`]).
pub async fn serve(state: AppState, addr: std::net::SocketAddr, options: ServeOptions) -> anyhow::Result<()> {
    use anyhow::Context;
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!(%addr, "serving");
    serve_on(listener, state, options, shutdown_signal()).await.context("the server failed")
}
