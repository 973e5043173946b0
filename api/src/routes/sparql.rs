//! The SPARQL 1.1 Protocol endpoint at `/sparql`: query by GET and POST, update by POST
//! (through the validated commit path; refused on a `--read-only` server).
//!
//! The default graph is the union of every named graph unless `default-graph-uri` is given.
//! Results are negotiated with the `Accept` header: SPARQL JSON (default), XML, CSV or TSV for
//! SELECT and ASK; Turtle (default), N-Triples, RDF/XML or JSON-LD for CONSTRUCT and DESCRIBE.
//! Evaluation and serialisation together are cancelled after the server's query timeout.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::NamedNode;
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{QueryEvaluationError, QueryResults};
use tupu_graph::{GraphError, QueryOptions, RowBudget, UpdateOptions};

use crate::auth::Principal;
use crate::bounded::{CappedBuffer, Deadline, Priority, on_large_stack};
use crate::error::{ApiError, Code};
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/sparql", get(sparql_get).post(sparql_post))
}

struct SparqlRequest {
    query: String,
    options: QueryOptions,
}

fn parse_pairs(text: &str) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_str(text)
        .map_err(|e| ApiError::new(Code::InvalidParameter, format!("malformed form or query string: {e}")))
}

fn graph_names(pairs: &[(String, String)], key: &str) -> Result<Vec<NamedNode>, ApiError> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| {
            NamedNode::new(v)
                .map_err(|e| ApiError::new(Code::InvalidParameter, format!("{key} '{v}' is not an IRI: {e}")))
        })
        .collect()
}

fn request(query: Option<String>, pairs: &[(String, String)]) -> Result<SparqlRequest, ApiError> {
    let query =
        query.or_else(|| pairs.iter().find(|(k, _)| k == "query").map(|(_, v)| v.clone())).ok_or_else(|| {
            ApiError::new(
                Code::MissingQuery,
                "give the query in the 'query' parameter or as an application/sparql-query body",
            )
        })?;
    Ok(SparqlRequest {
        query,
        options: QueryOptions {
            default_graphs: graph_names(pairs, "default-graph-uri")?,
            named_graphs: graph_names(pairs, "named-graph-uri")?,
            cancel: None,
        },
    })
}

/// A SPARQL Update, evaluated into a change set and committed through the validated commit
/// path (see `GraphStore::update`).
async fn update(state: AppState, text: String, principal: &Principal) -> Result<Response, ApiError> {
    if !state.config.allow_updates {
        return Err(ApiError::new(Code::ReadOnly, "this server is read-only (started with --read-only)"));
    }
    if !principal.may_update() {
        return Err(ApiError::new(Code::Forbidden, "SPARQL Update needs a designer or admin key"));
    }
    let admin = principal.is_admin();
    let deadline = Deadline::start(state.config.query_timeout);
    let options = UpdateOptions {
        cancel: Some(deadline.token()),
        deadline: Some(deadline.at),
        row_budget: state.config.max_query_rows,
        max_quads: state.config.max_update_quads,
        admin,
        ..UpdateOptions::default()
    };
    let graph = state.graph.clone();
    let timeout = state.config.query_timeout;
    let report = on_large_stack(Priority::Normal, move || Ok(graph.update_with(&text, &options)?)).await.map_err(
        |e| match e {
            ApiError::QueryTimeout(_) => ApiError::QueryTimeout(timeout.as_millis()),
            other => other,
        },
    )?;
    drop(deadline);
    Ok(axum::Json(report).into_response())
}

async fn sparql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = parse_pairs(raw.as_deref().unwrap_or(""))?;
    if pairs.iter().any(|(k, _)| k == "update") {
        return Err(ApiError::new(Code::UpdateNeedsPost, "send SPARQL updates with POST, not GET"));
    }
    run(state, request(None, &pairs)?, &headers).await
}

async fn sparql_post(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let principal = Principal::of_request(principal);
    let mut pairs = parse_pairs(raw.as_deref().unwrap_or(""))?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default();
    let utf8 = |body: &Bytes| {
        String::from_utf8(body.to_vec())
            .map_err(|_| ApiError::new(Code::InvalidEncoding, "the request body must be UTF-8"))
    };
    let query = match content_type.as_str() {
        "application/sparql-query" => Some(utf8(&body)?),
        "application/sparql-update" => return update(state, utf8(&body)?, &principal).await,
        "application/x-www-form-urlencoded" => {
            pairs.extend(parse_pairs(&utf8(&body)?)?);
            if let Some((_, text)) = pairs.iter().find(|(k, _)| k == "update") {
                if principal.role.is_none() {
                    // What a web page's form sends: no preflight, so no key.
                    return Err(ApiError::new(
                        Code::CrossSiteRequest,
                        "a form-encoded update needs an API key; send it as application/sparql-update",
                    ));
                }
                return update(state, text.clone(), &principal).await;
            }
            None
        }
        other => {
            return Err(ApiError::new(
                Code::UnsupportedMediaType,
                format!(
                    "POST /sparql takes application/sparql-query, application/sparql-update or application/x-www-form-urlencoded, not '{other}'"
                ),
            ));
        }
    };
    run(state, request(query, &pairs)?, &headers).await
}

/// The media types of the Accept header, best first (stable for equal weights).
fn accepted(headers: &HeaderMap) -> Vec<String> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Vec::new();
    };
    let mut items: Vec<(f32, usize, String)> = accept
        .split(',')
        .enumerate()
        .filter_map(|(i, item)| {
            let mut parts = item.split(';');
            let media = parts.next()?.trim().to_ascii_lowercase();
            let q =
                parts.filter_map(|p| p.trim().strip_prefix("q=")).find_map(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
            (q > 0.0 && !media.is_empty()).then_some((q, i, media))
        })
        .collect();
    items.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    items.into_iter().map(|(_, _, m)| m).collect()
}

fn negotiate<F: Copy>(
    accept: &[String],
    parse: impl Fn(&str) -> Option<F>,
    default: F,
    what: &str,
) -> Result<F, ApiError> {
    if accept.is_empty() {
        return Ok(default);
    }
    for media in accept {
        if media == "*/*" || media == "application/*" || media == "text/*" {
            return Ok(default);
        }
        if let Some(f) = parse(media) {
            return Ok(f);
        }
    }
    Err(ApiError::new(
        Code::NotAcceptable,
        format!("no acceptable media type for {what}; accepted: {}", accept.join(", ")),
    ))
}

fn eval_error(e: QueryEvaluationError) -> ApiError {
    GraphError::from(e).into()
}

/// Serialises results into a buffer of at most `max_bytes` (`result_too_large` beyond).
fn serialize(
    results: QueryResults<'static>,
    accept: &[String],
    max_bytes: usize,
) -> Result<(Vec<u8>, &'static str), ApiError> {
    let io = |e: std::io::Error| {
        if CappedBuffer::is_overflow(&e) {
            ApiError::new(
                Code::ResultTooLarge,
                format!("the results exceed {max_bytes} bytes (--max-result-bytes); add a LIMIT or page with OFFSET"),
            )
        } else {
            ApiError::internal(e)
        }
    };
    let buffer = CappedBuffer::new(max_bytes);
    match results {
        QueryResults::Solutions(solutions) => {
            let format =
                negotiate(accept, QueryResultsFormat::from_media_type, QueryResultsFormat::Json, "SELECT results")?;
            let mut writer = QueryResultsSerializer::from_format(format)
                .serialize_solutions_to_writer(buffer, solutions.variables().to_vec())
                .map_err(io)?;
            for solution in solutions {
                writer.serialize(&solution.map_err(eval_error)?).map_err(io)?;
            }
            Ok((writer.finish().map_err(io)?.bytes, format.media_type()))
        }
        QueryResults::Boolean(value) => {
            let format =
                negotiate(accept, QueryResultsFormat::from_media_type, QueryResultsFormat::Json, "ASK results")?;
            let bytes =
                QueryResultsSerializer::from_format(format).serialize_boolean_to_writer(buffer, value).map_err(io)?;
            Ok((bytes.bytes, format.media_type()))
        }
        QueryResults::Graph(triples) => {
            let format = negotiate(accept, RdfFormat::from_media_type, RdfFormat::Turtle, "CONSTRUCT results")?;
            if !format.supports_datasets() || format == RdfFormat::TriG {
                let mut writer = RdfSerializer::from_format(format).for_writer(buffer);
                for triple in triples {
                    writer.serialize_triple(&triple.map_err(eval_error)?).map_err(io)?;
                }
                Ok((writer.finish().map_err(io)?.bytes, format.media_type()))
            } else {
                Err(ApiError::new(
                    Code::NotAcceptable,
                    format!("{} holds quads; ask for a triple format such as text/turtle", format.media_type()),
                ))
            }
        }
    }
}

/// Evaluates and serialises a query on a large-stack thread, under the deadline (which also
/// fires when the client goes away), the row budget and the result size cap.
async fn run(state: AppState, request: SparqlRequest, headers: &HeaderMap) -> Result<Response, ApiError> {
    let accept = accepted(headers);
    let timeout = state.config.query_timeout;
    let deadline = Deadline::start(timeout);
    let budget = RowBudget::new(state.config.max_query_rows, deadline.token());
    let rows = budget.clone();
    let graph = state.graph.clone();
    let max_bytes = state.config.max_result_bytes;
    let result = on_large_stack(Priority::Background, move || {
        let results = graph.query_bounded(&request.query, &request.options, &budget)?;
        serialize(results, &accept, max_bytes)
    })
    .await;
    drop(deadline);
    let (body, media_type) = result.map_err(|e| match e {
        ApiError::QueryTimeout(_) if rows.exceeded() => GraphError::RowBudgetExceeded(rows.budget()).into(),
        ApiError::QueryTimeout(_) => ApiError::QueryTimeout(timeout.as_millis()),
        other => other,
    })?;
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    Ok(response)
}
