//! Import of RDF files (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD) into named graphs.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use oxigraph::io::{RdfFormat, RdfParseError, RdfParser};
use oxigraph::model::{GraphName, NamedNode, Quad};
use tupu_graph::{ChangeSet, CommitReport, Diagnostic, DiagnosticCode, GraphStore, Location, graph_iri};

use crate::error::ImportError;

/// Most syntax errors reported for one file before giving up on it.
const MAX_SYNTAX_ERRORS: usize = 50;

/// How to import an RDF file.
#[derive(Clone, Debug, Default)]
pub struct RdfImportOptions {
    /// The format; guessed from the file extension when `None`.
    pub format: Option<RdfFormat>,
    /// Target named graph for every quad. When `None`, triples of the default graph go to a
    /// graph named after the file stem and quads of named graphs keep their graph.
    pub graph: Option<NamedNode>,
    /// Replace the target graph's current content instead of adding to it.
    pub replace: bool,
    /// Show a progress bar on a terminal.
    pub progress: bool,
}

/// What an import did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ImportReport {
    /// Quads read from the input.
    pub read: usize,
    /// Named graphs written.
    pub graphs: Vec<String>,
    /// The commit.
    pub commit: CommitReport,
}

/// Parses a format name (`turtle`, `ttl`, `nt`, `nq`, `trig`, `rdfxml`, `jsonld`, a media type
/// or an extension).
pub fn parse_format(name: &str) -> Option<RdfFormat> {
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "turtle" => Some(RdfFormat::Turtle),
        "ntriples" | "n-triples" => Some(RdfFormat::NTriples),
        "nquads" | "n-quads" => Some(RdfFormat::NQuads),
        "rdfxml" | "rdf/xml" | "xml" => Some(RdfFormat::RdfXml),
        "jsonld" | "json-ld" => Some(RdfFormat::JsonLd { profile: Default::default() }),
        other => RdfFormat::from_extension(other).or_else(|| RdfFormat::from_media_type(other)),
    }
}

/// The format of a file, from its extension.
pub fn format_of(path: &Path) -> Option<RdfFormat> {
    path.extension().and_then(|e| e.to_str()).and_then(parse_format)
}

/// Reads every quad of an RDF document, assigning graphs as [`RdfImportOptions::graph`] says.
/// All syntax errors found (up to 50) are returned together, each with its line and column.
pub fn read_rdf(
    reader: impl Read,
    source: &str,
    format: RdfFormat,
    target: &NamedNode,
    force_target: bool,
) -> Result<Vec<Quad>, ImportError> {
    let mut quads = Vec::new();
    let mut problems = Vec::new();
    let parser =
        RdfParser::from_format(format).rename_blank_nodes().with_default_graph(GraphName::NamedNode(target.clone()));
    for item in parser.for_reader(reader) {
        match item {
            Ok(mut quad) => {
                if force_target {
                    quad.graph_name = GraphName::NamedNode(target.clone());
                }
                quads.push(quad);
            }
            Err(RdfParseError::Syntax(e)) => {
                let start = e.location().map(|r| r.start);
                problems.push(
                    Diagnostic::violation(DiagnosticCode::SyntaxError, e.to_string())
                        .with_location(Location {
                            file: source.to_owned(),
                            line: start.map(|p| p.line + 1),
                            column: start.map(|p| p.column + 1),
                            record: None,
                            field: None,
                        })
                        .with_hint(format!("fix the {} syntax at this position and import again", format.name())),
                );
                if problems.len() >= MAX_SYNTAX_ERRORS {
                    break;
                }
            }
            Err(RdfParseError::Io(e)) => {
                return Err(ImportError::Io { path: source.into(), source: e });
            }
        }
    }
    if problems.is_empty() {
        Ok(quads)
    } else {
        Err(ImportError::Invalid { path: source.to_owned(), diagnostics: problems })
    }
}

/// Imports one RDF file as one commit: it is parsed completely first, and a syntax error or a
/// validation violation leaves the store exactly as it was.
pub fn import_rdf_file(
    store: &GraphStore,
    path: &Path,
    options: &RdfImportOptions,
) -> Result<ImportReport, ImportError> {
    let format = match options.format {
        Some(f) => f,
        None => format_of(path).ok_or_else(|| ImportError::UnknownFormat(path.to_owned()))?,
    };
    let io = |source| ImportError::Io { path: path.to_owned(), source };
    let file = File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let bar = progress_bar(options.progress, size, "parsing");
    let reader = bar.wrap_read(BufReader::new(file));
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("import");
    let target = match &options.graph {
        Some(g) => g.clone(),
        None => graph_iri(stem)?,
    };
    let quads = read_rdf(reader, &path.display().to_string(), format, &target, options.graph.is_some())?;
    bar.finish_and_clear();
    commit_quads(store, quads, &target, options.replace, format!("import {}", path.display()))
}

/// Commits parsed quads, optionally replacing the target graph's content in the same commit.
pub fn commit_quads(
    store: &GraphStore,
    quads: Vec<Quad>,
    target: &NamedNode,
    replace: bool,
    message: String,
) -> Result<ImportReport, ImportError> {
    let mut graphs: Vec<String> = quads
        .iter()
        .filter_map(|q| match &q.graph_name {
            GraphName::NamedNode(n) => Some(n.as_str().to_owned()),
            _ => None,
        })
        .collect();
    graphs.sort();
    graphs.dedup();
    let mut change = ChangeSet::adding(quads).with_message(message);
    if replace {
        change.removed = store.graph_quads(target)?;
    }
    let read = change.added.len();
    let commit = store.commit(change)?;
    Ok(ImportReport { read, graphs, commit })
}

/// A byte-count progress bar, drawn on stderr only when it is a terminal and `enabled`.
pub(crate) fn progress_bar(enabled: bool, total: u64, what: &'static str) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template("{msg:>10} [{bar:40}] {bytes}/{total_bytes} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what);
    bar
}

/// A spinner with a message, drawn on stderr only when it is a terminal and `enabled`.
pub(crate) fn spinner(enabled: bool, what: &'static str) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_message(what);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}
