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
    mut reader: impl Read,
    source: &str,
    format: RdfFormat,
    target: &NamedNode,
    force_target: bool,
) -> Result<Vec<Quad>, ImportError> {
    if format == RdfFormat::RdfXml {
        // The RDF/XML parser reports no position: the document is kept so that the place of
        // its first error can be found again (see `rdfxml_error_position`).
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).map_err(|e| ImportError::Io { path: source.into(), source: e })?;
        return parse_rdf(bytes.as_slice(), source, format, target, force_target, Some(&bytes));
    }
    parse_rdf(reader, source, format, target, force_target, None)
}

fn parse_rdf(
    reader: impl Read,
    source: &str,
    format: RdfFormat,
    target: &NamedNode,
    force_target: bool,
    document: Option<&[u8]>,
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
                let start = match (e.location(), document) {
                    (Some(range), _) => Some((range.start.line + 1, range.start.column + 1)),
                    (None, Some(document)) if problems.is_empty() => rdfxml_error_position(document),
                    (None, _) => None,
                };
                problems.push(
                    Diagnostic::violation(DiagnosticCode::SyntaxError, e.to_string())
                        .with_location(Location {
                            file: source.to_owned(),
                            line: start.map(|p| p.0),
                            column: start.map(|p| p.1),
                            record: None,
                            field: None,
                        })
                        .with_hint(match (start, document) {
                            (None, _) => format!("fix the {} syntax and import again", format.name()),
                            (Some(_), Some(_)) => format!(
                                "fix the {} syntax just before this position (where the parser stopped) and import again",
                                format.name()
                            ),
                            (Some(_), None) => format!("fix the {} syntax at this position and import again", format.name()),
                        }),
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

/// The line and column (1-based, in characters) where the RDF/XML parser stops on the first
/// error of `document`: it gives a byte offset only, which is turned into a line and column by
/// one scan of the bytes before it. O(offset).
fn rdfxml_error_position(document: &[u8]) -> Option<(u64, u64)> {
    let mut parser = oxrdfxml::RdfXmlParser::new().for_slice(document);
    loop {
        match parser.next()? {
            Ok(_) => continue,
            Err(_) => break,
        }
    }
    let offset = usize::try_from(parser.buffer_position()).ok()?.min(document.len());
    Some(line_and_column(&document[..offset]))
}

/// The 1-based line and column of the position right after `before`.
fn line_and_column(before: &[u8]) -> (u64, u64) {
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    (line as u64, column as u64)
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
    let started = std::time::Instant::now();
    let quads = read_rdf(reader, &path.display().to_string(), format, &target, options.graph.is_some())?;
    bar.finish_and_clear();
    tracing::debug!(quads = quads.len(), parse_ms = started.elapsed().as_secs_f64() * 1e3, "parsed {}", path.display());
    let spinner = progress_spinner(options.progress, format!("validating and writing {} quads", quads.len()));
    let report = commit_quads(store, quads, &target, options.replace, format!("import {}", path.display()));
    spinner.finish_and_clear();
    report
}

/// Commits parsed quads, optionally replacing the target graph's content in the same commit.
pub fn commit_quads(
    store: &GraphStore,
    quads: Vec<Quad>,
    target: &NamedNode,
    replace: bool,
    message: String,
) -> Result<ImportReport, ImportError> {
    commit_quads_by(store, quads, target, replace, message, None)
}

/// [`commit_quads`] recorded in the history under `author`.
pub fn commit_quads_by(
    store: &GraphStore,
    quads: Vec<Quad>,
    target: &NamedNode,
    replace: bool,
    message: String,
    author: Option<String>,
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
    change.author = author;
    if replace {
        change.removed = store.graph_quads(target)?;
    }
    let read = change.added.len();
    let commit = store.commit(change)?;
    Ok(ImportReport { read, graphs, commit })
}

/// A spinner for a step of unknown length, drawn on stderr only when it is a terminal and
/// `enabled`.
pub(crate) fn progress_spinner(enabled: bool, what: String) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let spinner = ProgressBar::new_spinner();
    spinner.set_message(what);
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    spinner
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

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax_error_place(format: RdfFormat, text: &str) -> (Option<u64>, Option<u64>, String) {
        let target = NamedNode::new_unchecked("https://w3id.org/tupu/graph/t");
        match read_rdf(text.as_bytes(), "doc", format, &target, false) {
            Err(ImportError::Invalid { diagnostics, .. }) => {
                let first = &diagnostics[0];
                let location = first.location.as_ref().expect("a location");
                (location.line, location.column, first.to_string())
            }
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    /// An RDF/XML error says where the parser stopped, as a line and a column.
    #[test]
    fn rdfxml_errors_have_a_line_and_column() {
        let doc = "<?xml version=\"1.0\"?>\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n  <rdf:Description rdf:about=\"http://example.org/a\">\n    <rdf:type rdf:resource=\"http://example.org/T\"/>>\n\t</rdf:Description>\n</rdf:RDF>\n";
        let (line, column, text) = syntax_error_place(RdfFormat::RdfXml, doc);
        assert!(matches!(line, Some(4 | 5)), "{line:?} {column:?}: {text}");
        assert!(column.is_some(), "{text}");
        assert!(text.contains("doc:"), "{text}");
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_and_column(b""), (1, 1));
        assert_eq!(line_and_column("ab\n三角".as_bytes()), (2, 3));
    }
}
