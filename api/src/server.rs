//! The HTTP/1.1 server loop: connection timeouts and graceful shutdown.
//!
//! - A client has [`ServeOptions::header_timeout`] to send a request's headers (a connection
//!   holding half-sent headers is closed), and a connection that moves no byte for
//!   [`ServeOptions::idle_timeout`] is closed once its request in flight, if any, is answered.
//! - A request head over [`ServeOptions::max_header_bytes`] is refused by the connection
//!   layer (431); the edge refuses smaller ones over its own limits. hyper answers the requests
//!   it cannot parse itself (400, 414, 431) with an empty body: the connection's stream
//!   recognises those answers as they are written and gives them the JSON error body
//!   ([`automatic_answer`]), so every refusal a client can get is JSON.
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
    let io = TokioIo::new(Tracked {
        inner: stream,
        start,
        last: last.clone(),
        max_header_bytes: options.max_header_bytes,
        rewritten: None,
    });
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

/// A stream that records when it last moved a byte (milliseconds after `start`), and writes
/// hyper's own empty-bodied refusals with the JSON error body instead.
struct Tracked {
    inner: TcpStream,
    start: Instant,
    last: Arc<AtomicU64>,
    max_header_bytes: usize,
    /// A refusal being written in its JSON form: the bytes and how many are written.
    rewritten: Option<(Vec<u8>, usize)>,
}

/// The JSON form of a refusal hyper wrote by itself for a request it could not parse, or
/// `None` for any other write. hyper's automatic answers are a whole head, no body, with
/// exactly `connection: close`, `content-length: 0` and `date` (see hyper's
/// `Server::on_error`): 400 for a request line or header line that does not parse, 414 for a
/// request target over its limit, 431 for a head over the buffer. Handlers' answers always
/// carry a content type, so they never match.
fn automatic_answer(data: &[u8], max_header_bytes: usize) -> Option<Vec<u8>> {
    // Cheap tests first: this runs on every write.
    if data.len() > 256 || !data.starts_with(b"HTTP/1.1 4") || !data.ends_with(b"\r\n\r\n") {
        return None;
    }
    let head = std::str::from_utf8(data).ok()?;
    let rest = head.strip_prefix("HTTP/1.1 ")?;
    let status: u16 = rest.get(..3)?.parse().ok()?;
    let lines = head.strip_suffix("\r\n\r\n")?;
    let mut headers: Vec<&str> = lines.split("\r\n").skip(1).collect();
    headers.sort_unstable();
    let [connection, length, date] = headers.as_slice() else { return None };
    if *connection != "connection: close" || *length != "content-length: 0" || !date.starts_with("date: ") {
        return None;
    }
    let message = match status {
        400 => "the request is not valid HTTP/1.1: its request line or a header line does not parse; \
                send `METHOD /path HTTP/1.1`, then one `Name: value` line per header"
            .to_owned(),
        414 => "the request target is too long for this server: send long queries in a POST body".to_owned(),
        431 => {
            format!("the request head is over this server's limit of {max_header_bytes} bytes: send less in headers")
        }
        _ => return None,
    };
    let code = crate::Code::of_status(axum::http::StatusCode::from_u16(status).ok()?);
    let body = serde_json::json!({ "error": { "code": code, "message": message } }).to_string();
    let status_line = head.split("\r\n").next()?;
    Some(
        format!(
            "{status_line}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{date}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
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
        if self.rewritten.is_none() {
            if let Some(answer) = automatic_answer(data, self.max_header_bytes) {
                self.rewritten = Some((answer, 0));
            }
        }
        // hyper retries the same bytes until they are reported written: they are, once the
        // whole JSON form is.
        if let Some((answer, mut written)) = self.rewritten.take() {
            while written < answer.len() {
                match Pin::new(&mut self.inner).poll_write(cx, &answer[written..]) {
                    Poll::Ready(Ok(0)) => return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into())),
                    Poll::Ready(Ok(n)) => {
                        written += n;
                        self.touch();
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {
                        self.rewritten = Some((answer, written));
                        return Poll::Pending;
                    }
                }
            }
            return Poll::Ready(Ok(data.len()));
        }
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
        // hyper's automatic answers are one buffer: see `poll_write`.
        let mut filled = bufs.iter().filter(|b| !b.is_empty());
        if let (Some(only), None) = (filled.next(), filled.next()) {
            if self.rewritten.is_none() {
                self.rewritten = automatic_answer(only, self.max_header_bytes).map(|answer| (answer, 0));
            }
            if self.rewritten.is_some() {
                return self.poll_write(cx, only);
            }
        }
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
