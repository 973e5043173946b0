//! Bounded SPARQL work: a thread with a large stack per request, a deadline that cancels it
//! (also when the client goes away), and a response buffer with a size cap.
//!
//! The shape limits checked before parsing keep recursion far below what the stack holds;
//! the large stack is the second line of defence, so that no text reaching a parser can
//! overflow it and abort the process.

use std::time::Duration;

use oxigraph::sparql::CancellationToken;

use crate::error::ApiError;

/// Stack of a SPARQL thread: reserved address space, committed only as it is used.
pub(crate) const SPARQL_STACK_BYTES: usize = 256 * 1024 * 1024;

/// How a SPARQL thread is scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Priority {
    /// As every other thread (updates: they hold the graph's writer lock, and a slow holder
    /// would keep other writers waiting).
    Normal,
    /// Below the threads that serve the rest of the API (queries): on a busy machine a
    /// heavy query, which may run to its deadline, takes the CPU that `next`, search and
    /// events leave, not theirs. On an idle machine it runs at full speed.
    Background,
}

/// The nice value of a [`Priority::Background`] thread: the scheduler gives it about a tenth
/// of the share of a thread at the default value when both want a core.
const BACKGROUND_NICE: i32 = 10;

/// Runs `f` on a thread of its own with a [`SPARQL_STACK_BYTES`] stack. An evaluation stopped
/// by its row guard (deadline or budget) answers `QueryTimeout`; the caller tells which. A
/// panic in `f` is an internal error of this request, not of the process.
pub(crate) async fn on_large_stack<T: Send + 'static>(
    priority: Priority,
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("tupu-sparql".to_owned())
        .stack_size(SPARQL_STACK_BYTES)
        .spawn(move || {
            if priority == Priority::Background {
                // On Linux the nice value is per thread, and `None` names the calling one.
                if let Err(e) = rustix::process::setpriority_process(None, BACKGROUND_NICE) {
                    tracing::debug!("a SPARQL thread keeps the normal priority: {e}");
                }
            }
            let _ = tx.send(tupu_graph::catch_cancelled(f).unwrap_or(Err(ApiError::QueryTimeout(0))));
        })
        .map_err(ApiError::internal)?;
    rx.await.map_err(|_| ApiError::internal("a SPARQL thread stopped without an answer"))?
}

/// A cancellation token that fires after a timeout, or when this value is dropped (the
/// request finished, or its client went away and the handler was dropped).
pub(crate) struct Deadline {
    token: CancellationToken,
    timer: tokio::task::JoinHandle<()>,
    /// When the timeout elapses.
    pub(crate) at: std::time::Instant,
}

impl Deadline {
    /// Starts the timer.
    pub(crate) fn start(timeout: Duration) -> Self {
        let token = CancellationToken::new();
        let fire = token.clone();
        let timer = tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            fire.cancel();
        });
        Self { token, timer, at: std::time::Instant::now() + timeout }
    }

    /// The token to evaluate under.
    pub(crate) fn token(&self) -> CancellationToken {
        self.token.clone()
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        self.timer.abort();
        self.token.cancel();
    }
}

/// A response buffer that refuses to grow past `max` bytes.
pub(crate) struct CappedBuffer {
    pub(crate) bytes: Vec<u8>,
    max: usize,
}

impl CappedBuffer {
    pub(crate) fn new(max: usize) -> Self {
        Self { bytes: Vec::new(), max }
    }

    /// Whether `error` is this buffer's refusal.
    pub(crate) fn is_overflow(error: &std::io::Error) -> bool {
        error.kind() == std::io::ErrorKind::FileTooLarge
    }
}

impl std::io::Write for CappedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.max {
            return Err(std::io::Error::new(std::io::ErrorKind::FileTooLarge, "result too large"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn queries_run_below_the_api_and_updates_beside_it() {
        let own = rustix::process::getpriority_process(None).unwrap();
        let background =
            on_large_stack(Priority::Background, || Ok(rustix::process::getpriority_process(None).unwrap()))
                .await
                .unwrap();
        assert!(background >= BACKGROUND_NICE.max(own), "a query thread runs at nice {background}");
        let normal =
            on_large_stack(Priority::Normal, || Ok(rustix::process::getpriority_process(None).unwrap())).await.unwrap();
        assert_eq!(normal, own);
        // Lowering one thread leaves the caller's priority alone.
        assert_eq!(rustix::process::getpriority_process(None).unwrap(), own);
    }
}
