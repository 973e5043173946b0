//! The HTTP/1.1 server loop: connection timeouts and graceful shutdown.
//!
//! - A client has [`ServeOptions::header_timeout`] to send a request's headers (a connection
//!   holding half-sent headers is closed), and a connection that moves no byte for
//!   [`ServeOptions::idle_timeout`] is closed once its request in flight, if any, is answered.
//! - A request head over [`ServeOptions::max_header_bytes`] is refused by the connection
//!   layer (431, no body); the edge refuses smaller ones over its own limits with the JSON
//!   error body.
//! - On the shutdown signal (SIGTERM or SIGINT from [`shutdown_signal`]) the server stops
//!   accepting, asks every connection to close after its request in flight, waits up to
//!   [`ServeOptions::shutdown_timeout`] for them, and returns; the caller then drops the state,
//!   which flushes the learner store.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use crate::state::AppState;

/// Timeouts and limits of connections.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Longest wait for a request's headers.
    pub header_timeout: Duration,
    /// A connection that moves no byte for this long is closed.
    pub idle_timeout: Duration,
    /// Longest wait for requests in flight at shutdown.
    pub shutdown_timeout: Duration,
    /// Largest request head (request line and headers).
    pub max_header_bytes: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            shutdown_timeout: Duration::from_secs(30),
            max_header_bytes: 256 * 1024,
        }
    }
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Serves the API on `listener` until `signal` completes, then shuts down gracefully (see the
/// module documentation).
pub async fn serve_on(
    listener: TcpListener,
    state: AppState,
    options: ServeOptions,
    signal: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let app = crate::app(state);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    let mut signal = std::pin::pin!(signal);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of descriptors and the like: wait a little rather than spin.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let service: Service = TowerToHyperService::new(app.clone().map_request(to_axum as ToAxum));
                connections.spawn(connection(stream, service, options.clone(), stopped.clone()));
            }
            () = &mut signal => break,
        }
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stop.send(true);
    tracing::info!(connections = connections.len(), "shutting down: finishing the requests in flight");
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(options.shutdown_timeout, drain).await.is_err() {
        tracing::warn!(left = connections.len(), "requests still in flight at the shutdown deadline were dropped");
        connections.abort_all();
    }
    Ok(())
}

type ToAxum = fn(axum::http::Request<hyper::body::Incoming>) -> axum::http::Request<Body>;
type Service = TowerToHyperService<tower::util::MapRequest<axum::Router, ToAxum>>;

fn to_axum(request: axum::http::Request<hyper::body::Incoming>) -> axum::http::Request<Body> {
    request.map(Body::new)
}

async fn connection(
    stream: TcpStream,
    service: Service,
    options: ServeOptions,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let start = Instant::now();
    let last = Arc::new(AtomicU64::new(0));
    let io = TokioIo::new(Tracked { inner: stream, start, last: last.clone() });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout)
        .max_buf_size(options.max_header_bytes.max(8192));
    let conn = builder.serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let mut tick = tokio::time::interval((options.idle_timeout / 4).max(Duration::from_millis(10)));
    let mut closing = *stopped.borrow();
    if closing {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection closed with an error");
                }
                break;
            }
            _ = stopped.changed(), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
            _ = tick.tick(), if !closing => {
                let idle = start.elapsed().saturating_sub(Duration::from_millis(last.load(Ordering::Relaxed)));
                if idle >= options.idle_timeout {
                    conn.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
        }
    }
}

/// A stream that records when it last moved a byte (milliseconds after `start`).
struct Tracked {
    inner: TcpStream,
    start: Instant,
    last: Arc<AtomicU64>,
}

impl Tracked {
    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
    }
}

impl AsyncRead for Tracked {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.touch();
        }
        result
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
