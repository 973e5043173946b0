//! API keys, roles and tenants, and the one policy that says which role may call which route.
//!
//! - [`KeyStore`]: the keys of a data directory (`DIR/keys.json`), each stored as the SHA-256 of
//!   a random 32-byte key, with its role and tenant; a key is shown once, when created. The
//!   file is read again when it changes, so `tupu keys create|revoke` take effect on a running
//!   server.
//! - [`policy`]: route → [`Access`], by path prefix and method. **Adding a route means adding
//!   its line here**; a route the policy does not name is for administrators only.
//! - [`authorize`]: the middleware. It checks the `Host` header against the configured names,
//!   refuses browser-made cross-site writes (form posts without a key, `Sec-Fetch-Site:
//!   cross-site`, a foreign `Origin`), reads the key (`Authorization: Bearer KEY` or
//!   `X-Api-Key`), applies the policy and puts the [`Principal`] into the request.
//!
//! Without any key configured the server runs in *local mode*: every route is open, the server
//! listens on loopback only (`serve` refuses anything else), and operations that need an
//! administrator (whole-graph `DROP`/`CLEAR`, system graphs) are refused over HTTP: run them
//! with `tupu update` on the machine.
//!
//! Learner routes are namespaced by tenant: the middleware rewrites the learner id of
//! `/api/v1/learners/{id}/…` to the caller's tenant namespace before routing (and
//! pseudonymises it, see [`crate::privacy`]), so a key of one tenant can never name a learner
//! of another.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, Code};
use crate::state::AppState;

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including whole-graph operations and the system graphs.
    Admin,
    /// Edits, imports, SPARQL Update, drafts and releases.
    Designer,
    /// Approves and rejects drafts.
    Reviewer,
    /// A learning app: learner data of its tenant.
    App,
    /// An employment service: matching, gaps and reports.
    Employment,
    /// Reads the published graph.
    Reader,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 6] = [Role::Admin, Role::Designer, Role::Reviewer, Role::App, Role::Employment, Role::Reader];

    /// The role's name as written in keys and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Designer => "designer",
            Role::Reviewer => "reviewer",
            Role::App => "app",
            Role::Employment => "employment",
            Role::Reader => "reader",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| format!("unknown role '{s}'; use one of admin, designer, reviewer, app, employment, reader"))
    }
}

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a key.
    Open,
    /// A key with one of these roles.
    Roles(&'static [Role]),
    /// Learner data: an app key (of the learner's tenant, by construction) or an admin key.
    Learner,
}

const ANY: &[Role] = &Role::ALL;
const DESIGN: &[Role] = &[Role::Admin, Role::Designer];
const DRAFTS: &[Role] = &[Role::Admin, Role::Designer, Role::Reviewer];
const REVIEW: &[Role] = &[Role::Admin, Role::Reviewer];
const EMPLOY: &[Role] = &[Role::Admin, Role::Employment];
const ADMIN: &[Role] = &[Role::Admin];

/// The one route → access policy (see the module documentation).
pub fn policy(method: &Method, path: &str) -> Access {
    let under = |prefix: &str| path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'));
    let read = matches!(*method, Method::GET | Method::HEAD);
    let read_or = |write: &'static [Role]| Access::Roles(if read { ANY } else { write });
    if path == "/health" {
        Access::Open
    } else if path == "/metrics" || under("/api/v1/admin") {
        Access::Roles(ADMIN)
    } else if under("/api/v1/learners") {
        Access::Learner
    } else if path == "/sparql" {
        // Queries by any role; the handler asks for designer or admin before an update.
        Access::Roles(ANY)
    } else if under("/api/v1/drafts") {
        let decision = path.ends_with("/approve") || path.ends_with("/reject");
        Access::Roles(if decision {
            REVIEW
        } else if read {
            DRAFTS
        } else {
            DESIGN
        })
    } else if path == "/api/v1/search" || path == "/api/v1/suggest" || path == "/api/v1/link" {
        Access::Roles(ANY)
    } else if under("/api/v1/match") || path == "/api/v1/gap" || under("/api/v1/reports") {
        Access::Roles(EMPLOY)
    } else if under("/api/v1/impact") || under("/api/v1/import") || under("/api/v1/edits") {
        Access::Roles(DESIGN)
    } else if [
        "/api/v1/nodes",
        "/api/v1/graph",
        "/api/v1/occupations",
        "/api/v1/majors",
        "/api/v1/releases",
        "/api/v1/history",
        "/api/v1/validate",
        "/api/v1/openapi.json",
    ]
    .iter()
    .any(|p| under(p))
    {
        read_or(DESIGN)
    } else {
        Access::Roles(ADMIN)
    }
}

/// A stored key: its hash, never the key.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyEntry {
    /// Public id, used to revoke the key.
    pub id: String,
    /// Its role.
    pub role: Role,
    /// Its tenant, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Hex SHA-256 of the key.
    pub sha256: String,
    /// When it was created (RFC 3339).
    pub created: String,
}

#[derive(Default, Serialize, Deserialize)]
struct KeyFile {
    keys: Vec<KeyEntry>,
}

/// Why a key operation failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file cannot be read or written.
    #[error("key file {path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Bad input to `keys create` or `keys revoke`.
    #[error("{0}")]
    Invalid(String),
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(text.as_bytes()))
}

/// Checks a tenant name: 1–64 of `a-z 0-9 - _ .`.
pub fn check_tenant(tenant: &str) -> Result<(), KeyError> {
    let ok = !tenant.is_empty()
        && tenant.len() <= 64
        && tenant.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(KeyError::Invalid(format!("tenant '{tenant}' must be 1 to 64 of a-z, 0-9, '-', '_', '.'")))
    }
}

struct Loaded {
    modified: Option<SystemTime>,
    by_hash: HashMap<String, KeyEntry>,
    /// The file could not be read: no key is accepted, and the server is not in local mode.
    broken: bool,
}

/// The keys of a data directory (see the module documentation).
pub struct KeyStore {
    path: PathBuf,
    loaded: RwLock<Loaded>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl KeyStore {
    /// The keys in `path` (a missing file holds none).
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, KeyError> {
        let store = Self::unread(path.into());
        store.reload()?;
        Ok(store)
    }

    /// The keys in `path`, read now; a file that cannot be read accepts no key (and the
    /// server is then not in local mode either: it fails closed).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let store = Self::unread(path.into());
        store.reload_or_close();
        store
    }

    fn unread(path: PathBuf) -> Self {
        Self { path, loaded: RwLock::new(Loaded { modified: None, by_hash: HashMap::new(), broken: false }) }
    }

    /// The key file of a data directory.
    pub fn in_dir(data: &Path) -> Result<Self, KeyError> {
        Self::open(data.join("keys.json"))
    }

    fn file_error(&self, e: impl std::fmt::Display) -> KeyError {
        KeyError::File { path: self.path.clone(), message: e.to_string() }
    }

    fn read(&self) -> Result<KeyFile, KeyError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| self.file_error(e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(KeyFile::default()),
            Err(e) => Err(self.file_error(e)),
        }
    }

    fn modified(&self) -> Option<SystemTime> {
        std::fs::metadata(&self.path).and_then(|m| m.modified()).ok()
    }

    fn reload(&self) -> Result<(), KeyError> {
        let modified = self.modified();
        let file = self.read()?;
        let by_hash = file.keys.into_iter().map(|k| (k.sha256.clone(), k)).collect();
        *self.loaded.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Loaded { modified, by_hash, broken: false };
        Ok(())
    }

    fn reload_or_close(&self) {
        if let Err(e) = self.reload() {
            tracing::error!(error = %e, "cannot read the key file; no key is accepted until it is fixed");
            *self.loaded.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
                Loaded { modified: self.modified(), by_hash: HashMap::new(), broken: true };
        }
    }

    /// Reads the file again if it changed since it was last read (one `stat` per call).
    fn refresh(&self) {
        let modified = self.modified();
        let stale = self.loaded.read().unwrap_or_else(std::sync::PoisonError::into_inner).modified != modified;
        if stale {
            self.reload_or_close();
        }
    }

    /// Whether no key is configured (local mode). A key file that cannot be read is not empty.
    pub fn is_empty(&self) -> bool {
        self.refresh();
        let loaded = self.loaded.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        loaded.by_hash.is_empty() && !loaded.broken
    }

    /// The entry of a presented key.
    pub fn check(&self, key: &str) -> Option<KeyEntry> {
        self.refresh();
        let hash = sha256_hex(key);
        self.loaded.read().unwrap_or_else(std::sync::PoisonError::into_inner).by_hash.get(&hash).cloned()
    }

    /// Every key (hashes only).
    pub fn list(&self) -> Result<Vec<KeyEntry>, KeyError> {
        Ok(self.read()?.keys)
    }

    fn write(&self, file: &KeyFile) -> Result<(), KeyError> {
        let bytes = serde_json::to_vec_pretty(file).map_err(|e| self.file_error(e))?;
        let tmp = self.path.with_extension("json.tmp");
        {
            use std::io::Write;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut out = options.open(&tmp).map_err(|e| self.file_error(e))?;
            out.write_all(&bytes).and_then(|()| out.sync_all()).map_err(|e| self.file_error(e))?;
        }
        std::fs::rename(&tmp, &self.path).map_err(|e| self.file_error(e))?;
        self.reload()
    }

    /// Creates a key and returns it with its entry: the key itself is not stored and cannot be
    /// shown again. App keys need a tenant.
    pub fn create(&self, role: Role, tenant: Option<&str>) -> Result<(String, KeyEntry), KeyError> {
        if let Some(t) = tenant {
            check_tenant(t)?;
        } else if role == Role::App {
            return Err(KeyError::Invalid("an app key needs a tenant: add --tenant NAME".to_owned()));
        }
        let key = format!("tupu_{}", hex(&rand::random::<[u8; 32]>()));
        let sha256 = sha256_hex(&key);
        let entry = KeyEntry {
            id: format!("k_{}", &sha256[..12]),
            role,
            tenant: tenant.map(str::to_owned),
            sha256,
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        let mut file = self.read()?;
        file.keys.push(entry.clone());
        self.write(&file)?;
        Ok((key, entry))
    }

    /// Revokes the key with this id.
    pub fn revoke(&self, id: &str) -> Result<KeyEntry, KeyError> {
        let mut file = self.read()?;
        let at = file
            .keys
            .iter()
            .position(|k| k.id == id)
            .ok_or_else(|| KeyError::Invalid(format!("no key has the id '{id}'; `tupu keys list` shows them")))?;
        let entry = file.keys.remove(at);
        self.write(&file)?;
        Ok(entry)
    }
}

/// Who is calling, as the middleware established it; in every request's extensions.
#[derive(Clone, Debug)]
pub struct Principal {
    /// The key's role; `None` in local mode (no key configured).
    pub role: Option<Role>,
    /// The key's tenant.
    pub tenant: Option<String>,
}

impl Principal {
    /// Whether the caller holds an admin key.
    pub fn is_admin(&self) -> bool {
        self.role == Some(Role::Admin)
    }

    /// The caller the authorisation middleware put on a request; without one (local mode, no
    /// middleware), a caller with no role and no tenant.
    pub(crate) fn of_request(principal: Option<axum::Extension<Principal>>) -> Self {
        principal.map_or(Principal { role: None, tenant: None }, |axum::Extension(p)| p)
    }

    /// Whether the caller may name learners outside the learner routes (a graduate given by
    /// its learner id): a key with a tenant names the learners of its tenant only; a key
    /// without one could name any tenant's learner (`TENANT:ID`), so only an admin key may,
    /// and local mode.
    pub fn may_name_learners(&self) -> bool {
        self.tenant.is_some() || matches!(self.role, None | Some(Role::Admin))
    }

    /// Whether the caller may run SPARQL updates (designer, admin, or local mode).
    pub fn may_update(&self) -> bool {
        matches!(self.role, None | Some(Role::Admin | Role::Designer))
    }
}

/// Whether `host` (a `Host` header, with or without port) is one of `allowed`.
fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().map(|h| format!("[{h}]")).unwrap_or_default()
    } else {
        host.rsplit_once(':')
            .map_or(host, |(h, port)| if port.bytes().all(|b| b.is_ascii_digit()) { h } else { host })
            .to_owned()
    };
    allowed.iter().any(|a| a.eq_ignore_ascii_case(&name))
}

fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        return v.strip_prefix("Bearer ").map(str::trim);
    }
    headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim)
}

/// Refuses writes a browser makes for another site: a form post or a cross-site fetch.
fn check_browser(
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    keyed: bool,
    allowed: &[String],
) -> Result<(), ApiError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let refuse = |why: &str| {
        Err(ApiError::new(
            Code::CrossSiteRequest,
            format!("{why}; call the API with an API key from a program, not from a web page"),
        ))
    };
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()).unwrap_or("");
    if site == "cross-site" || site == "same-site" {
        return refuse("a browser sent this write from another site");
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = origin.split_once("://").map_or(origin, |(_, h)| h);
        if origin == "null" || !host_allowed(host, allowed) {
            return refuse("the request's Origin is not one of the server's names");
        }
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let form = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]
        .iter()
        .any(|t| content_type.to_ascii_lowercase().starts_with(t));
    // A SPARQL form post may be a query; `/sparql` refuses a keyless form update itself.
    if form && !keyed && path != "/sparql" {
        return refuse("a form-encoded write without an API key is what a web page's form sends");
    }
    Ok(())
}

/// The learner route prefix.
const LEARNERS: &str = "/api/v1/learners/";

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A learner id as the client sent it and as the store knows it.
pub(crate) struct LearnerAlias {
    /// The id in the request.
    pub(crate) sent: String,
    /// The id handlers and the store see: in the tenant's namespace, pseudonymised.
    pub(crate) stored: String,
}

/// The id under which the learner store keeps the learner a client of `tenant` calls `sent`:
/// in the tenant's namespace (`TENANT:ID`), pseudonymised when a secret is configured. The
/// learner routes' paths and the `learner` of a graduate sent for matching go through it alike.
pub(crate) fn stored_learner_id(
    sent: &str,
    tenant: Option<&str>,
    secret: Option<&crate::privacy::LearnerSecret>,
) -> String {
    let namespaced = match tenant {
        Some(t) => format!("{t}:{sent}"),
        None => sent.to_owned(),
    };
    match secret {
        Some(secret) => secret.pseudonym(&namespaced),
        None => namespaced,
    }
}

/// Rewrites `/api/v1/learners/{id}/…` so that handlers see the id in the tenant's namespace
/// (`TENANT:ID`) and pseudonymised when a secret is configured. A path whose id does not
/// decode is refused.
fn rewrite_learner(
    request: &mut Request,
    tenant: Option<&str>,
    secret: Option<&crate::privacy::LearnerSecret>,
) -> Result<Option<LearnerAlias>, ApiError> {
    if tenant.is_none() && secret.is_none() {
        return Ok(None);
    }
    let uri = request.uri();
    let Some(rest) = uri.path().strip_prefix(LEARNERS) else { return Ok(None) };
    let (raw, tail) = rest.split_once('/').map_or((rest, None), |(id, tail)| (id, Some(tail)));
    let sent = percent_decode(raw).filter(|id| !id.is_empty()).ok_or_else(|| {
        ApiError::new(Code::InvalidLearnerId, "the learner id in the path must be non-empty, percent-encoded UTF-8")
    })?;
    let stored = stored_learner_id(&sent, tenant, secret);
    let mut path = format!("{LEARNERS}{}", percent_encode(&stored));
    if let Some(tail) = tail {
        path.push('/');
        path.push_str(tail);
    }
    if let Some(q) = uri.query() {
        path.push('?');
        path.push_str(q);
    }
    *request.uri_mut() = path.parse().map_err(|_| ApiError::new(Code::InvalidPath, "the path is not valid"))?;
    Ok(Some(LearnerAlias { sent, stored }))
}

/// Puts the id the client sent back into a JSON answer in place of the stored one.
async fn restore_learner(response: Response, alias: &LearnerAlias) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return ApiError::internal("cannot read the response").into_response();
    };
    let (Ok(from), Ok(to)) = (serde_json::to_vec(&alias.stored), serde_json::to_vec(&alias.sent)) else {
        return ApiError::internal("cannot encode a learner id").into_response();
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(&from) {
            out.extend_from_slice(&to);
            i += from.len();
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(out))
}

/// The authorisation middleware (see the module documentation).
pub async fn authorize(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let admitted = admit(&state, &request).and_then(|principal| {
        let alias = if policy(request.method(), request.uri().path()) == Access::Learner {
            rewrite_learner(&mut request, principal.tenant.as_deref(), state.config.learner_secret.as_ref())?
        } else {
            None
        };
        Ok((principal, alias))
    });
    match admitted {
        Ok((principal, alias)) => {
            request.extensions_mut().insert(principal);
            let response = next.run(request).await;
            match alias {
                Some(alias) => restore_learner(response, &alias).await,
                None => response,
            }
        }
        Err(e) => e.into_response(),
    }
}

fn admit(state: &AppState, request: &Request) -> Result<Principal, ApiError> {
    let allowed = &state.config.allowed_hosts;
    if let Some(host) = request.headers().get(header::HOST) {
        let host = host.to_str().unwrap_or("");
        if !host_allowed(host, allowed) {
            return Err(ApiError::new(
                Code::HostNotAllowed,
                format!("'{host}' is not one of this server's names; add it with --allowed-host"),
            ));
        }
    }
    let keys = state.keys.as_ref().filter(|k| !k.is_empty());
    let key = presented_key(request.headers()).map(str::to_owned);
    check_browser(request.method(), request.uri().path(), request.headers(), key.is_some() && keys.is_some(), allowed)?;
    let access = policy(request.method(), request.uri().path());
    let Some(keys) = keys else {
        return Ok(Principal { role: None, tenant: None });
    };
    let entry = match key {
        Some(key) => Some(
            keys.check(&key)
                .ok_or_else(|| ApiError::new(Code::Unauthorized, "the API key is not valid (revoked, or mistyped)"))?,
        ),
        None => None,
    };
    let principal = Principal { role: entry.as_ref().map(|e| e.role), tenant: entry.and_then(|e| e.tenant) };
    let needs = |roles: &[Role]| roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(" or ");
    match (access, principal.role) {
        (Access::Open, _) => {}
        (_, None) => {
            return Err(ApiError::new(
                Code::Unauthorized,
                "this route needs an API key: send 'Authorization: Bearer KEY' (create one with `tupu keys create`)",
            ));
        }
        (Access::Roles(roles), Some(role)) => {
            if !roles.contains(&role) {
                return Err(ApiError::new(
                    Code::Forbidden,
                    format!("this route needs a {} key; this key's role is {}", needs(roles), role.name()),
                ));
            }
        }
        (Access::Learner, Some(role)) => {
            if !matches!(role, Role::App | Role::Admin) {
                return Err(ApiError::new(
                    Code::Forbidden,
                    format!(
                        "learner data needs an app key of the learner's tenant; this key's role is {}",
                        role.name()
                    ),
                ));
            }
        }
    }
    Ok(principal)
}

/// The names a server answers to by default: the loopback ones.
pub fn loopback_hosts() -> Vec<String> {
    ["localhost", "127.0.0.1", "[::1]"].iter().map(|s| (*s).to_owned()).collect()
}

/// Shared handle to the key store.
pub type Keys = Arc<KeyStore>;
