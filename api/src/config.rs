//! The server's settings, from embedded defaults, then a JSON file (`--config FILE` or
//! `TUPU_CONFIG`), then `TUPU_*` environment variables and command-line flags (clap reads
//! both; a flag wins over its variable). Everything is checked before the server starts, and a
//! file with an unknown key, a wrong type or an out-of-range value is refused with its path.
//!
//! ```json
//! { "addr": "127.0.0.1:7878", "read_only": false, "query_timeout_ms": 10000,
//!   "max_body_bytes": 16777216, "next_cache_ms": 5000,
//!   "recommend": { "mastery_threshold": 0.85, "per_thread": 2, "resources_per_item": 3,
//!                  "weights": { "goal": 1.0 } } }
//! ```

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tupu_recommend::RecommendConfig;

use crate::state::ServerConfig;

/// Every knob of `tupu serve`, as the file spells it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Settings {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Refuse SPARQL updates.
    pub read_only: bool,
    /// Do not load the demo curriculum into an empty data directory.
    pub no_demo: bool,
    /// Longest a SPARQL query may run, in milliseconds (at least 1).
    pub query_timeout_ms: u64,
    /// Largest request body, in bytes (at least 1,024).
    pub max_body_bytes: usize,
    /// How long a rendered next-step list is served again, in milliseconds (0: never).
    pub next_cache_ms: u64,
    /// The recommender: mastery threshold, diversity, score weights.
    pub recommend: RecommendConfig,
}

impl Default for Settings {
    fn default() -> Self {
        let server = ServerConfig::default();
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 7878)),
            read_only: !server.allow_updates,
            no_demo: false,
            query_timeout_ms: server.query_timeout.as_millis() as u64,
            max_body_bytes: server.max_body_bytes,
            next_cache_ms: server.next_cache.as_millis() as u64,
            recommend: RecommendConfig::default(),
        }
    }
}

/// Values given on the command line or in `TUPU_*` variables; `None`: not given.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--addr` / `TUPU_ADDR`.
    pub addr: Option<SocketAddr>,
    /// `--read-only`.
    pub read_only: bool,
    /// `--no-demo`.
    pub no_demo: bool,
    /// `--query-timeout-ms` / `TUPU_QUERY_TIMEOUT_MS`.
    pub query_timeout_ms: Option<u64>,
    /// `--max-body-bytes` / `TUPU_MAX_BODY_BYTES`.
    pub max_body_bytes: Option<usize>,
    /// `--next-cache-ms` / `TUPU_NEXT_CACHE_MS`.
    pub next_cache_ms: Option<u64>,
}

impl Settings {
    /// Defaults, then the file, then the overrides; then checked.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Self> {
        let mut settings = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read the settings file {}", path.display()))?;
                Self::from_json(&text).with_context(|| format!("in the settings file {}", path.display()))?
            }
            None => Self::default(),
        };
        if let Some(addr) = overrides.addr {
            settings.addr = addr;
        }
        settings.read_only |= overrides.read_only;
        settings.no_demo |= overrides.no_demo;
        if let Some(ms) = overrides.query_timeout_ms {
            settings.query_timeout_ms = ms;
        }
        if let Some(bytes) = overrides.max_body_bytes {
            settings.max_body_bytes = bytes;
        }
        if let Some(ms) = overrides.next_cache_ms {
            settings.next_cache_ms = ms;
        }
        settings.check()?;
        Ok(settings)
    }

    /// The defaults with the keys of `text` (a JSON object) laid over them; every key must be
    /// one the defaults have.
    pub fn from_json(text: &str) -> anyhow::Result<Self> {
        let given: Value = serde_json::from_str(text).context("not valid JSON")?;
        let mut merged = serde_json::to_value(Self::default())?;
        overlay(&mut merged, given, "")?;
        serde_json::from_value(merged).context("a value has the wrong type")
    }

    /// Refuses values the server cannot run with.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.query_timeout_ms == 0 {
            bail!("query_timeout_ms must be at least 1");
        }
        if self.max_body_bytes < 1024 {
            bail!("max_body_bytes must be at least 1024");
        }
        let t = self.recommend.mastery_threshold;
        if !(t > 0.0 && t < 1.0) {
            bail!("recommend.mastery_threshold must be between 0 and 1 (exclusive), not {t}");
        }
        if self.recommend.per_thread == 0 {
            bail!("recommend.per_thread must be at least 1");
        }
        let weights = serde_json::to_value(&self.recommend.weights)?;
        for (name, w) in weights.as_object().into_iter().flatten() {
            if w.as_f64().is_none_or(|w| !w.is_finite()) {
                bail!("recommend.weights.{name} must be a finite number");
            }
        }
        Ok(())
    }

    /// The HTTP server's part.
    pub fn server_config(&self) -> ServerConfig {
        ServerConfig {
            query_timeout: Duration::from_millis(self.query_timeout_ms),
            max_body_bytes: self.max_body_bytes,
            allow_updates: !self.read_only,
            next_cache: Duration::from_millis(self.next_cache_ms),
            ..ServerConfig::default()
        }
    }
}

/// Lays `given` over `base`, key by key, refusing keys `base` lacks.
fn overlay(base: &mut Value, given: Value, path: &str) -> anyhow::Result<()> {
    match (base, given) {
        (Value::Object(base), Value::Object(given)) => {
            for (key, value) in given {
                let here = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                let Some(slot) = base.get_mut(&key) else {
                    let known: Vec<&str> = base.keys().map(String::as_str).collect();
                    bail!("unknown setting '{here}'; known here: {}", known.join(", "));
                };
                overlay(slot, value, &here)?;
            }
            Ok(())
        }
        (base @ Value::Object(_), other) => bail!("'{path}' must be an object, not {other}; it holds {base}"),
        (slot, value) => {
            *slot = value;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_overrides_defaults_and_flags_override_the_file() {
        let s = Settings::from_json(r#"{"query_timeout_ms": 500, "recommend": {"per_thread": 3}}"#).unwrap();
        assert_eq!((s.query_timeout_ms, s.recommend.per_thread), (500, 3));
        assert_eq!(s.recommend.mastery_threshold, RecommendConfig::default().mastery_threshold);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tupu.json");
        std::fs::write(&file, r#"{"query_timeout_ms": 500, "next_cache_ms": 0}"#).unwrap();
        let s =
            Settings::load(Some(&file), &Overrides { query_timeout_ms: Some(700), ..Overrides::default() }).unwrap();
        assert_eq!((s.query_timeout_ms, s.next_cache_ms), (700, 0));
    }

    #[test]
    fn bad_settings_are_named() {
        for (text, expected) in [
            (r#"{"query_timeout": 5}"#, "unknown setting 'query_timeout'"),
            (r#"{"recommend": {"weights": {"gaol": 1}}}"#, "unknown setting 'recommend.weights.gaol'"),
            (r#"{"query_timeout_ms": "fast"}"#, "wrong type"),
            (r#"{"recommend": 3}"#, "'recommend' must be an object"),
            ("{", "not valid JSON"),
        ] {
            let e = format!("{:#}", Settings::from_json(text).unwrap_err());
            assert!(e.contains(expected), "{text}: {e}");
        }
        let zero = Settings { query_timeout_ms: 0, ..Settings::default() };
        assert!(zero.check().unwrap_err().to_string().contains("query_timeout_ms"));
    }
}
