//! The one table of error codes: every `error.code` the HTTP API can answer, with its status.
//!
//! Each [`Code`] has exactly one wire string ([`Code::as_str`], snake_case, stable: clients
//! match on it) and one HTTP status ([`Code::status`]), both written once in the table below.
//! Call sites name a variant, never a string. The only answers whose status is not the code's
//! are the edge's ([`ApiError::Http`](crate::ApiError)): a response an inner layer already
//! gave a status keeps it, so `invalid_request` also covers the rarer 4xx statuses,
//! `internal` the rarer 5xx ones, and `invalid_body` is 422 where axum's own JSON extractor
//! refused a body. `README.md` documents the table; a test keeps the two equal.

use axum::http::StatusCode;

/// Declares [`Code`] from one table: `Variant = "wire_string", STATUS, "meaning"`.
macro_rules! codes {
    ($($variant:ident = $wire:literal, $status:ident, $meaning:literal;)+) => {
        /// A stable, machine-readable error code (see the module documentation).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $(
                #[doc = $meaning]
                $variant,
            )+
        }

        impl Code {
            /// Every code, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),+];

            /// The wire string, e.g. `node_not_found`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $wire,)+
                }
            }

            /// The HTTP status of an answer with this code.
            pub const fn status(self) -> StatusCode {
                match self {
                    $(Code::$variant => StatusCode::$status,)+
                }
            }

            /// What the code means, for the documentation.
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(Code::$variant => $meaning,)+
                }
            }
        }
    };
}

codes! {
    AmbiguousId = "ambiguous_id", BAD_REQUEST, "Several nodes share this local name; use the full IRI.";
    BatchTooLarge = "batch_too_large", BAD_REQUEST, "More texts in one linking batch than allowed.";
    EmptyGraph = "empty_graph", BAD_REQUEST, "The graph to release holds nothing.";
    EmptyMastery = "empty_mastery", BAD_REQUEST, "An empty mastery vector without `\"clear\": true`.";
    EmptyQuery = "empty_query", BAD_REQUEST, "The search query is empty.";
    EmptyText = "empty_text", BAD_REQUEST, "A text to link is empty.";
    GoalUnreachable = "goal_unreachable", BAD_REQUEST, "No learning path reaches the goal.";
    InvalidBody = "invalid_body", BAD_REQUEST, "The body does not parse or has the wrong shape (422 when axum's JSON extractor refused it).";
    InvalidEncoding = "invalid_encoding", BAD_REQUEST, "The body is not UTF-8.";
    InvalidGraphName = "invalid_graph_name", BAD_REQUEST, "A framework name that is not a valid graph name.";
    InvalidLearnerId = "invalid_learner_id", BAD_REQUEST, "The learner id is empty, over 256 characters, holds control characters or is not UTF-8.";
    InvalidMastery = "invalid_mastery", BAD_REQUEST, "A mastery entry names an unknown node or a value outside 0 to 1.";
    InvalidParameter = "invalid_parameter", BAD_REQUEST, "A query parameter is malformed or out of range.";
    InvalidPath = "invalid_path", BAD_REQUEST, "The request path is not valid.";
    InvalidReleaseName = "invalid_release_name", BAD_REQUEST, "A release name that is empty, contains `/` or is `current`.";
    InvalidRequest = "invalid_request", BAD_REQUEST, "A request refused before any handler (any other 4xx status keeps its status).";
    MissingGoal = "missing_goal", BAD_REQUEST, "A learning path without a goal.";
    MissingParameter = "missing_parameter", BAD_REQUEST, "A required parameter is missing.";
    MissingQuery = "missing_query", BAD_REQUEST, "A SPARQL request without `query` or `update`.";
    NoDataDirectory = "no_data_directory", BAD_REQUEST, "The server has no data directory to back up.";
    NoRequirements = "no_requirements", BAD_REQUEST, "The target requires no competency.";
    NothingToFit = "nothing_to_fit", BAD_REQUEST, "No known node with evidence to fit.";
    QueryFailed = "query_failed", BAD_REQUEST, "The SPARQL query failed while it was evaluated.";
    QuerySyntax = "query_syntax", BAD_REQUEST, "The SPARQL text does not parse.";
    QueryTooComplex = "query_too_complex", BAD_REQUEST, "The SPARQL text nests or branches beyond a limit (named in `details`).";
    QueryTooLong = "query_too_long", BAD_REQUEST, "The search query is longer than allowed.";
    ReadOnly = "read_only", BAD_REQUEST, "An update to a server started with `--read-only`.";
    RowBudgetExceeded = "row_budget_exceeded", BAD_REQUEST, "The query produced more intermediate rows than `--max-query-rows`.";
    TextTooLong = "text_too_long", BAD_REQUEST, "A text to link is longer than allowed.";
    UnknownFilterValue = "unknown_filter_value", BAD_REQUEST, "A search filter names an unknown kind, level, language, subject or type.";
    UnknownSubject = "unknown_subject", BAD_REQUEST, "No node has this subject.";
    UnsupportedOperation = "unsupported_operation", BAD_REQUEST, "A SPARQL operation the server does not run, such as `LOAD`.";
    UpdateNeedsPost = "update_needs_post", BAD_REQUEST, "A SPARQL update sent with GET.";
    WrongKind = "wrong_kind", BAD_REQUEST, "The node is not of the kind this route takes.";
    Unauthorized = "unauthorized", UNAUTHORIZED, "No API key, or one that is not valid.";
    AdminRequired = "admin_required", FORBIDDEN, "Only an admin key may do this (e.g. drop a graph, write the vocabulary).";
    CrossSiteRequest = "cross_site_request", FORBIDDEN, "A write a browser sent for another site.";
    Forbidden = "forbidden", FORBIDDEN, "The key's role or tenant may not use this route.";
    HostNotAllowed = "host_not_allowed", FORBIDDEN, "The `Host` header is not one of the server's names.";
    CommitNotFound = "commit_not_found", NOT_FOUND, "No commit has this version.";
    DraftNotFound = "draft_not_found", NOT_FOUND, "No draft has this id.";
    NodeNotFound = "node_not_found", NOT_FOUND, "No node has this id.";
    ReleaseNotFound = "release_not_found", NOT_FOUND, "No release has this name.";
    RouteNotFound = "route_not_found", NOT_FOUND, "No route matches the path.";
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED, "The route does not take this method (`Allow` lists those it takes).";
    NotAcceptable = "not_acceptable", NOT_ACCEPTABLE, "No representation the `Accept` header allows.";
    RequestTimeout = "request_timeout", REQUEST_TIMEOUT, "The request was not received in time.";
    DraftDecided = "draft_decided", CONFLICT, "The draft was already approved or rejected.";
    ReleaseExists = "release_exists", CONFLICT, "A release of this name exists; names are never reused.";
    RevertConflict = "revert_conflict", CONFLICT, "A later commit changed the same statements.";
    BodyTooLarge = "body_too_large", PAYLOAD_TOO_LARGE, "The body is over `--max-body-bytes`.";
    ResultTooLarge = "result_too_large", PAYLOAD_TOO_LARGE, "The results are over `--max-result-bytes`.";
    UpdateTooLarge = "update_too_large", PAYLOAD_TOO_LARGE, "The update changes more quads than `--max-update-quads`.";
    UriTooLong = "uri_too_long", URI_TOO_LONG, "The request target is over 32 KiB.";
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "The body's media type is not one the route takes.";
    InvalidEdits = "invalid_edits", UNPROCESSABLE_ENTITY, "Edits refused; every problem in `details`.";
    InvalidEvents = "invalid_events", UNPROCESSABLE_ENTITY, "Events refused, each by index and field in `details`; none applied.";
    InvalidImport = "invalid_import", UNPROCESSABLE_ENTITY, "An import refused; every fault with its location in `details`.";
    InvalidInput = "invalid_input", UNPROCESSABLE_ENTITY, "Matching input refused; every problem in `details`.";
    ValidationFailed = "validation_failed", UNPROCESSABLE_ENTITY, "The change fails validation; every finding in `details`; nothing applied.";
    HeadersTooLarge = "headers_too_large", REQUEST_HEADER_FIELDS_TOO_LARGE, "The headers are over 64 KiB.";
    Internal = "internal", INTERNAL_SERVER_ERROR, "A fault of the server (any other 5xx status keeps its status); the body says no more.";
    QueryTimeout = "query_timeout", SERVICE_UNAVAILABLE, "The query ran past `--query-timeout-ms`.";
    Unavailable = "unavailable", SERVICE_UNAVAILABLE, "The server cannot serve now.";
    Timeout = "timeout", GATEWAY_TIMEOUT, "The server did not answer in time.";
}

impl Code {
    /// The code of an error status that no handler gave a JSON body (the edge's fallback).
    pub(crate) fn of_status(status: StatusCode) -> Code {
        match status.as_u16() {
            400 => Code::InvalidRequest,
            401 => Code::Unauthorized,
            403 => Code::Forbidden,
            404 => Code::RouteNotFound,
            405 => Code::MethodNotAllowed,
            408 => Code::RequestTimeout,
            413 => Code::BodyTooLarge,
            414 => Code::UriTooLong,
            415 => Code::UnsupportedMediaType,
            422 => Code::InvalidBody,
            431 => Code::HeadersTooLarge,
            503 => Code::Unavailable,
            504 => Code::Timeout,
            500..=599 => Code::Internal,
            _ => Code::InvalidRequest,
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The OpenAPI schema: a string enum of every code, each listed with its status and meaning.
impl utoipa::PartialSchema for Code {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let mut description = String::from("The error's stable code; its HTTP status and meaning:\n");
        for code in Code::ALL {
            description.push_str(&format!("\n- `{code}` ({}): {}", code.status().as_u16(), code.meaning()));
        }
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(Code::ALL.iter().map(|c| c.as_str())))
            .description(Some(description))
            .into()
    }
}

impl utoipa::ToSchema for Code {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    /// Every variant's position in the table, by an exhaustive match with no `_` arm: a new
    /// variant does not compile until it is named here and counted in [`VARIANTS`], and the
    /// test below checks that `ALL` lists each exactly once.
    fn position(code: Code) -> usize {
        match code {
            Code::AmbiguousId
            | Code::BatchTooLarge
            | Code::EmptyGraph
            | Code::EmptyMastery
            | Code::EmptyQuery
            | Code::EmptyText
            | Code::GoalUnreachable
            | Code::InvalidBody
            | Code::InvalidEncoding
            | Code::InvalidGraphName
            | Code::InvalidLearnerId
            | Code::InvalidMastery
            | Code::InvalidParameter
            | Code::InvalidPath
            | Code::InvalidReleaseName
            | Code::InvalidRequest
            | Code::MissingGoal
            | Code::MissingParameter
            | Code::MissingQuery
            | Code::NoDataDirectory
            | Code::NoRequirements
            | Code::NothingToFit
            | Code::QueryFailed
            | Code::QuerySyntax
            | Code::QueryTooComplex
            | Code::QueryTooLong
            | Code::ReadOnly
            | Code::RowBudgetExceeded
            | Code::TextTooLong
            | Code::UnknownFilterValue
            | Code::UnknownSubject
            | Code::UnsupportedOperation
            | Code::UpdateNeedsPost
            | Code::WrongKind
            | Code::Unauthorized
            | Code::AdminRequired
            | Code::CrossSiteRequest
            | Code::Forbidden
            | Code::HostNotAllowed
            | Code::CommitNotFound
            | Code::DraftNotFound
            | Code::NodeNotFound
            | Code::ReleaseNotFound
            | Code::RouteNotFound
            | Code::MethodNotAllowed
            | Code::NotAcceptable
            | Code::RequestTimeout
            | Code::DraftDecided
            | Code::ReleaseExists
            | Code::RevertConflict
            | Code::BodyTooLarge
            | Code::ResultTooLarge
            | Code::UpdateTooLarge
            | Code::UriTooLong
            | Code::UnsupportedMediaType
            | Code::InvalidEdits
            | Code::InvalidEvents
            | Code::InvalidImport
            | Code::InvalidInput
            | Code::ValidationFailed
            | Code::HeadersTooLarge
            | Code::Internal
            | Code::QueryTimeout
            | Code::Unavailable
            | Code::Timeout => code as usize,
        }
    }

    /// The number of variants the exhaustive match above names.
    const VARIANTS: usize = 65;

    #[test]
    fn every_code_is_listed_once_unique_and_snake_case() {
        assert_eq!(Code::ALL.len(), VARIANTS, "`Code::ALL` and the variants differ in number");
        let positions: BTreeSet<usize> = Code::ALL.iter().map(|&c| position(c)).collect();
        assert_eq!(positions, (0..VARIANTS).collect(), "`Code::ALL` misses or repeats a variant");
        let mut seen = BTreeSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "two codes share the wire string `{s}`");
            let snake = !s.is_empty()
                && s.starts_with(|c: char| c.is_ascii_lowercase())
                && !s.ends_with('_')
                && !s.contains("__")
                && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            assert!(snake, "`{s}` is not snake_case");
            assert!(code.status().is_client_error() || code.status().is_server_error(), "`{s}` is not an error status");
            assert!(!code.meaning().is_empty(), "`{s}` has no meaning");
        }
    }

    #[test]
    fn the_edge_gives_each_status_the_code_of_that_status() {
        for status in [400, 401, 403, 404, 405, 408, 413, 414, 415, 431, 500, 503, 504] {
            let status = StatusCode::from_u16(status).unwrap();
            assert_eq!(Code::of_status(status).status(), status, "{status}");
        }
        // The documented exceptions keep the inner layer's status under the nearest code.
        assert_eq!(Code::of_status(StatusCode::UNPROCESSABLE_ENTITY), Code::InvalidBody);
        assert_eq!(Code::of_status(StatusCode::TOO_MANY_REQUESTS), Code::InvalidRequest);
        assert_eq!(Code::of_status(StatusCode::BAD_GATEWAY), Code::Internal);
    }

    /// The error-code table of `README.md` (under "Error codes"): code → status.
    fn documented() -> BTreeMap<String, u16> {
        let readme = include_str!("../../README.md");
        let start = readme.find("### Error codes").expect("README.md has an \"### Error codes\" section");
        let mut table = BTreeMap::new();
        for line in readme[start..].lines().skip(1) {
            if line.starts_with('#') {
                break;
            }
            if !line.starts_with("| `") {
                continue;
            }
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let parsed = match cells[..] {
                ["", code, status, _meaning, ""] => {
                    code.strip_prefix('`').and_then(|c| c.strip_suffix('`')).zip(status.parse::<u16>().ok())
                }
                _ => None,
            };
            let Some((code, status)) = parsed else { panic!("README.md: cannot read the error-code row {line:?}") };
            assert!(table.insert(code.to_owned(), status).is_none(), "README.md lists `{code}` twice");
        }
        table
    }

    #[test]
    fn the_readme_documents_exactly_these_codes_with_their_status() {
        let table: BTreeMap<String, u16> =
            Code::ALL.iter().map(|c| (c.as_str().to_owned(), c.status().as_u16())).collect();
        assert_eq!(documented(), table, "README.md's error-code table and `Code` differ");
    }

    #[test]
    fn the_openapi_document_lists_every_code_as_the_enum_of_error_code() {
        let doc = serde_json::to_value(crate::openapi::document()).unwrap();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["ErrorDetail"]["properties"]["code"]["$ref"], "#/components/schemas/Code");
        let listed: Vec<&str> =
            schemas["Code"]["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(listed, Code::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>());
        let description = schemas["Code"]["description"].as_str().unwrap();
        assert!(description.contains("- `node_not_found` (404): No node has this id."), "{description}");
    }
}
