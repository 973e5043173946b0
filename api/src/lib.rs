//! # tupu-api: the HTTP server and the `tupu` command-line tool
//!
//! The top of Tupu's crate stack and the only crate that knows HTTP, axum and JSON wire
//! types. [`app`] builds the whole router over an [`AppState`], so tests drive it with
//! `tower::ServiceExt::oneshot` and no socket; [`serve`] binds it to an address.
//!
//! Every handler error goes through [`ApiError`], whose JSON body carries a stable `code`.

mod audit;
mod backup;
mod config;
mod error;
mod metrics;
mod next_cache;
mod openapi;
mod routes;
mod state;

pub use audit::{Actor, AuditEntry, AuditError, AuditLog, verify as verify_audit};
pub use backup::{backup, restore};
pub use config::{Overrides, Settings};
pub use error::ApiError;
pub use metrics::Metrics;
pub use routes::app;
pub use state::{AppState, ServerConfig, initialise, open_graph, open_learners};

/// Serves the API on `addr` until the process is stopped.
pub async fn serve(state: AppState, addr: std::net::SocketAddr) -> anyhow::Result<()> {
    use anyhow::Context;
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!(%addr, "serving");
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown()).await.context("the server failed")
}

async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
}
