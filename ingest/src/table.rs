//! Tabular input shared by the ESCO, O*NET, CSCO and majors importers: an RFC 4180 CSV reader
//! (and tab-separated text) that keeps each record's line, a reader for files inside ZIP
//! archives, and [`Sink`], which collects quads and located problems.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{GraphName, Literal, NamedNode, NamedNodeRef, Quad, Term};
use tupu_graph::vocab::tupu;
use tupu_graph::{Diagnostic, DiagnosticCode, Location};

use crate::error::ImportError;

/// One record of a delimited file: its first line (from 1) and its fields.
pub(crate) struct Record<'a> {
    pub line: u64,
    pub fields: Vec<Cow<'a, str>>,
}

/// Splits delimited text into records. Quoted fields may hold delimiters, doubled quotes and
/// line breaks (RFC 4180); with `quotes` off (O*NET's tab-separated text) a quote is an ordinary
/// character. O(n) in the text's length.
pub(crate) struct Delimited<'a> {
    text: &'a str,
    pos: usize,
    line: u64,
    delimiter: u8,
    quotes: bool,
}

impl<'a> Delimited<'a> {
    pub fn csv(text: &'a str) -> Self {
        Self::new(text, b',', true)
    }

    pub fn tsv(text: &'a str) -> Self {
        Self::new(text, b'\t', false)
    }

    fn new(text: &'a str, delimiter: u8, quotes: bool) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Self { text, pos: 0, line: 1, delimiter, quotes }
    }
}

impl<'a> Iterator for Delimited<'a> {
    type Item = Result<Record<'a>, (u64, &'static str)>;

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.text.as_bytes();
        // Skip blank lines between records.
        while self.pos < bytes.len() && (bytes[self.pos] == b'\n' || bytes[self.pos] == b'\r') {
            if bytes[self.pos] == b'\n' {
                self.line += 1;
            }
            self.pos += 1;
        }
        if self.pos >= bytes.len() {
            return None;
        }
        let start_line = self.line;
        let mut fields = Vec::new();
        loop {
            if self.quotes && bytes.get(self.pos) == Some(&b'"') {
                // Quoted field.
                let mut i = self.pos + 1;
                let mut owned: Option<String> = None;
                let mut seg = i;
                loop {
                    match bytes.get(i) {
                        None => {
                            self.pos = bytes.len();
                            return Some(Err((start_line, "a quoted field is not closed before the end of the file")));
                        }
                        Some(b'"') if bytes.get(i + 1) == Some(&b'"') => {
                            owned.get_or_insert_with(String::new).push_str(&self.text[seg..=i]);
                            i += 2;
                            seg = i;
                        }
                        Some(b'"') => break,
                        Some(b'\n') => {
                            self.line += 1;
                            i += 1;
                        }
                        Some(_) => i += 1,
                    }
                }
                let value = match owned {
                    Some(mut s) => {
                        s.push_str(&self.text[seg..i]);
                        Cow::Owned(s)
                    }
                    None => Cow::Borrowed(&self.text[seg..i]),
                };
                fields.push(value);
                self.pos = i + 1;
                match bytes.get(self.pos) {
                    Some(&d) if d == self.delimiter => self.pos += 1,
                    Some(b'\r') | Some(b'\n') | None => break,
                    Some(_) => {
                        let line = self.line;
                        self.pos = bytes.len();
                        return Some(Err((line, "a quoted field is followed by text before the delimiter")));
                    }
                }
            } else {
                let end = bytes[self.pos..]
                    .iter()
                    .position(|&b| b == self.delimiter || b == b'\n' || b == b'\r')
                    .map_or(bytes.len(), |n| self.pos + n);
                fields.push(Cow::Borrowed(&self.text[self.pos..end]));
                self.pos = end;
                if bytes.get(end) == Some(&self.delimiter) {
                    self.pos += 1;
                } else {
                    break;
                }
            }
        }
        // Consume the line ending.
        if bytes.get(self.pos) == Some(&b'\r') {
            self.pos += 1;
        }
        if bytes.get(self.pos) == Some(&b'\n') {
            self.pos += 1;
            self.line += 1;
        }
        Some(Ok(Record { line: start_line, fields }))
    }
}

/// Every CSV record of `text` (see [`Delimited`]) with the line it starts on, or the line and
/// reason of the first malformed one.
pub(crate) fn csv_records(text: &str) -> Result<Vec<(u64, Vec<String>)>, (u64, &'static str)> {
    Delimited::csv(text).map(|r| r.map(|r| (r.line, r.fields.into_iter().map(Cow::into_owned).collect()))).collect()
}

/// A table read from one file: the header's column positions and the records after it.
pub(crate) struct Table<'a> {
    pub file: String,
    columns: HashMap<String, usize>,
    rows: Delimited<'a>,
}

impl<'a> Table<'a> {
    /// Reads the header. Missing `required` columns are reported to `sink`; then `None`.
    pub fn open(file: String, mut rows: Delimited<'a>, required: &[&str], sink: &mut Sink) -> Option<Self> {
        let header = match rows.next() {
            Some(Ok(r)) => r,
            Some(Err((line, what))) => {
                sink.syntax(&file, line, what);
                return None;
            }
            None => {
                sink.problem(&file, 1, "", "the file is empty".into(), "give the file with its header row");
                return None;
            }
        };
        let columns: HashMap<String, usize> =
            header.fields.iter().enumerate().map(|(i, f)| (f.trim().to_owned(), i)).collect();
        let missing: Vec<&str> = required.iter().copied().filter(|c| !columns.contains_key(*c)).collect();
        if !missing.is_empty() {
            sink.problem(
                &file,
                header.line,
                &missing.join(", "),
                format!("the header lacks the column(s) {}", missing.join(", ")),
                "use the file as published, with its original header row",
            );
            return None;
        }
        Some(Self { file, columns, rows })
    }

    /// Every record, syntax errors reported to `sink` (reading stops at the first one).
    pub fn rows(self, sink: &mut Sink) -> Vec<Row<'a>> {
        let mut out = Vec::new();
        let columns = std::sync::Arc::new(self.columns);
        for r in self.rows {
            match r {
                Ok(record) => out.push(Row { line: record.line, fields: record.fields, columns: columns.clone() }),
                Err((line, what)) => {
                    sink.syntax(&self.file, line, what);
                    break;
                }
            }
        }
        out
    }
}

/// One record with access by column name.
pub(crate) struct Row<'a> {
    pub line: u64,
    fields: Vec<Cow<'a, str>>,
    columns: std::sync::Arc<HashMap<String, usize>>,
}

impl Row<'_> {
    /// The field of `column`, trimmed; empty when the row is short or the column unknown.
    pub fn get(&self, column: &str) -> &str {
        self.columns.get(column).and_then(|&i| self.fields.get(i)).map_or("", |f| f.trim())
    }

    /// The row's fields, in the file's column order.
    pub fn values(&self) -> Vec<String> {
        self.fields.iter().map(|f| f.trim().to_owned()).collect()
    }
}

/// Collects quads of one named graph and every problem found, each with file, line and field.
pub(crate) struct Sink {
    pub graph: GraphName,
    pub quads: Vec<Quad>,
    pub problems: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

/// Most problems kept: past this, the input is clearly not of the expected kind.
const MAX_PROBLEMS: usize = 1_000;

impl Sink {
    pub fn new(graph: &NamedNode) -> Self {
        Self {
            graph: GraphName::NamedNode(graph.clone()),
            quads: Vec::new(),
            problems: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn located(file: &str, line: u64, field: &str) -> Location {
        Location {
            file: file.to_owned(),
            line: Some(line),
            column: None,
            record: None,
            field: (!field.is_empty()).then(|| field.to_owned()),
        }
    }

    /// A problem in the content of a field.
    pub fn problem(&mut self, file: &str, line: u64, field: &str, message: String, hint: &str) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(
                Diagnostic::violation(DiagnosticCode::InvalidInput, message)
                    .with_hint(hint)
                    .with_location(Self::located(file, line, field)),
            );
        }
    }

    /// A problem in a field of the `record`-th record (from 0) of a JSON file.
    pub fn record_problem(&mut self, file: &str, record: usize, field: &str, message: String, hint: &str) {
        if self.problems.len() < MAX_PROBLEMS {
            let mut location = Self::located(file, 0, field);
            location.line = None;
            location.record = Some(record as u64);
            self.problems.push(
                Diagnostic::violation(DiagnosticCode::InvalidInput, message).with_hint(hint).with_location(location),
            );
        }
    }

    /// A note that does not stop the import.
    pub fn warn(&mut self, file: &str, line: u64, field: &str, message: String, hint: &str) {
        self.warnings.push(
            Diagnostic::warning(DiagnosticCode::InvalidInput, message)
                .with_hint(hint)
                .with_location(Self::located(file, line, field)),
        );
    }

    /// A malformed file.
    pub fn syntax(&mut self, file: &str, line: u64, what: &str) {
        self.problems.push(
            Diagnostic::violation(DiagnosticCode::SyntaxError, what.to_owned())
                .with_hint("fix the quoting at this line (a quote inside a quoted field is written twice)")
                .with_location(Self::located(file, line, "")),
        );
    }

    /// An IRI from input text, or a located problem.
    pub fn iri(&mut self, value: &str, file: &str, line: u64, field: &str) -> Option<NamedNode> {
        if value.is_empty() {
            self.problem(file, line, field, format!("the field {field} is empty"), "give a value");
            return None;
        }
        match NamedNode::new(value) {
            Ok(n) => Some(n),
            Err(e) => {
                self.problem(
                    file,
                    line,
                    field,
                    format!("'{value}' is not an IRI: {e}"),
                    "give an absolute IRI without spaces or <>\"{}|^`",
                );
                None
            }
        }
    }

    pub fn add(&mut self, s: &NamedNode, p: NamedNodeRef<'_>, o: impl Into<Term>) {
        self.quads.push(Quad::new(s.clone(), p, o, self.graph.clone()));
    }

    /// A language-tagged text, skipped when empty.
    pub fn text(&mut self, s: &NamedNode, p: NamedNodeRef<'_>, value: &str, lang: &str) {
        let value = value.trim();
        if !value.is_empty() {
            self.add(s, p, Literal::new_language_tagged_literal_unchecked(value, lang));
        }
    }

    /// A plain string, skipped when empty.
    pub fn plain(&mut self, s: &NamedNode, p: NamedNodeRef<'_>, value: &str) {
        let value = value.trim();
        if !value.is_empty() {
            self.add(s, p, Literal::new_simple_literal(value));
        }
    }

    pub fn decimal(&mut self, s: &NamedNode, p: NamedNodeRef<'_>, value: f64) {
        let text = format!("{:.4}", value);
        let text = text.trim_end_matches('0');
        let text = if text.ends_with('.') { format!("{text}0") } else { text.to_owned() };
        self.add(s, p, Literal::new_typed_literal(text, xsd::DECIMAL));
    }

    pub fn integer(&mut self, s: &NamedNode, p: NamedNodeRef<'_>, value: i64) {
        self.add(s, p, Literal::new_typed_literal(value.to_string(), xsd::INTEGER));
    }

    pub fn boolean(&mut self, s: &NamedNode, p: NamedNodeRef<'_>, value: bool) {
        self.add(s, p, Literal::new_typed_literal(if value { "true" } else { "false" }, xsd::BOOLEAN));
    }

    /// The quads, or every problem found.
    pub fn finish(self, path: &Path) -> Result<(Vec<Quad>, Vec<Diagnostic>), ImportError> {
        if self.problems.is_empty() {
            Ok((self.quads, self.warnings))
        } else {
            Err(ImportError::Invalid { path: path.display().to_string(), diagnostics: self.problems })
        }
    }
}

/// The quads of a qualified `tupu:develops` (when `essential` is `None`) or
/// `tupu:requiresCompetency` edge from `holder` to `comp`: the plain edge, and the
/// qualification node `{holder}/develops-{comp}` or `{holder}/requires-{comp}` with its
/// competency, essential flag, weight (canonical decimal: `1`, `0.8`) and level (when > 0).
pub(crate) fn qualified_quads(
    holder: &NamedNode,
    comp: &NamedNode,
    essential: Option<bool>,
    weight: Option<f32>,
    level: u8,
    graph: &GraphName,
) -> Vec<Quad> {
    let develops = essential.is_none();
    let q = NamedNode::new_unchecked(format!(
        "{}/{}-{}",
        holder.as_str(),
        if develops { "develops" } else { "requires" },
        tupu_graph::local_name(comp.as_str())
    ));
    let (edge, qualified, class) = if develops {
        (tupu::DEVELOPS, tupu::QUALIFIED_DEVELOPMENT, tupu::DEVELOPMENT)
    } else {
        (tupu::REQUIRES_COMPETENCY, tupu::QUALIFIED_REQUIREMENT, tupu::COMPETENCY_REQUIREMENT)
    };
    let mut out = vec![
        Quad::new(holder.clone(), edge, comp.clone(), graph.clone()),
        Quad::new(holder.clone(), qualified, q.clone(), graph.clone()),
        Quad::new(q.clone(), rdf::TYPE, class, graph.clone()),
        Quad::new(q.clone(), tupu::COMPETENCY_PROP, comp.clone(), graph.clone()),
    ];
    if let Some(e) = essential {
        out.push(Quad::new(
            q.clone(),
            tupu::ESSENTIAL,
            Literal::new_typed_literal(e.to_string(), xsd::BOOLEAN),
            graph.clone(),
        ));
    }
    if let Some(w) = weight {
        out.push(Quad::new(
            q.clone(),
            tupu::WEIGHT,
            Literal::new_typed_literal(format!("{w}"), xsd::DECIMAL),
            graph.clone(),
        ));
    }
    if level > 0 {
        out.push(Quad::new(q, tupu::LEVEL, Literal::new_typed_literal(level.to_string(), xsd::INTEGER), graph.clone()));
    }
    out
}

/// The files of a source: a folder of files, a folder of ZIP archives, or one ZIP archive.
/// Files are found by their name wherever they are.
pub(crate) struct Files {
    root: PathBuf,
    /// File name → (shown path, bytes).
    files: HashMap<String, (String, Vec<u8>)>,
    /// Names of the files and archives found at the top level.
    top: Vec<String>,
}

impl Files {
    /// Reads every file under `path` (not recursing) and every file inside the ZIP archives there.
    pub fn open(path: &Path) -> Result<Self, ImportError> {
        let io = |source| ImportError::Io { path: path.to_owned(), source };
        let mut files = HashMap::new();
        let mut top = Vec::new();
        let mut entries: Vec<PathBuf> = if path.is_dir() {
            std::fs::read_dir(path).map_err(io)?.filter_map(|e| e.ok().map(|e| e.path())).collect()
        } else {
            vec![path.to_owned()]
        };
        entries.sort();
        for entry in entries {
            if !entry.is_file() {
                continue;
            }
            let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            top.push(name.clone());
            let bytes = std::fs::read(&entry).map_err(|source| ImportError::Io { path: entry.clone(), source })?;
            if name.to_ascii_lowercase().ends_with(".zip") {
                for (inner, data) in crate::zip::entries(&bytes).map_err(|e| ImportError::Invalid {
                    path: entry.display().to_string(),
                    diagnostics: vec![
                        Diagnostic::violation(DiagnosticCode::SyntaxError, e)
                            .with_hint("give the archive as downloaded, or unpack it into the folder"),
                    ],
                })? {
                    let base = inner.rsplit('/').next().unwrap_or(&inner).to_owned();
                    files.insert(base, (format!("{}!{inner}", entry.display()), data));
                }
            } else {
                files.insert(name, (entry.display().to_string(), bytes));
            }
        }
        Ok(Self { root: path.to_owned(), files, top })
    }

    /// The shown path and UTF-8 text of the file called `name`, if present.
    pub fn text(&self, name: &str) -> Result<Option<(String, &str)>, ImportError> {
        match self.files.get(name) {
            None => Ok(None),
            Some((shown, bytes)) => match std::str::from_utf8(bytes) {
                Ok(text) => Ok(Some((shown.clone(), text))),
                Err(e) => Err(ImportError::Invalid {
                    path: shown.clone(),
                    diagnostics: vec![
                        Diagnostic::violation(DiagnosticCode::SyntaxError, format!("the file is not UTF-8: {e}"))
                            .with_hint("save the file as UTF-8"),
                    ],
                }),
            },
        }
    }

    /// Like [`Files::text`], but a missing file is an error naming it.
    pub fn require(&self, name: &str) -> Result<(String, &str), ImportError> {
        self.text(name)?.ok_or_else(|| ImportError::Invalid {
            path: self.root.display().to_string(),
            diagnostics: vec![
                Diagnostic::violation(DiagnosticCode::InvalidInput, format!("{name} is missing"))
                    .with_hint("give the folder (or archive) that holds it"),
            ],
        })
    }

    /// The names of the files and archives at the top level.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.top.iter().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<(u64, Vec<String>)> {
        Delimited::csv(text)
            .map(|r| r.map(|r| (r.line, r.fields.iter().map(|f| f.to_string()).collect())).unwrap_or((0, vec![])))
            .collect()
    }

    #[test]
    fn quoted_fields_keep_commas_quotes_and_line_breaks_and_lines_are_counted() {
        let text = "a,b\n1,\"x, \"\"y\"\"\nz\"\n\n2,plain\r\n3,\n";
        assert_eq!(
            rows(text),
            vec![
                (1, vec!["a".into(), "b".into()]),
                (2, vec!["1".into(), "x, \"y\"\nz".into()]),
                (5, vec!["2".into(), "plain".into()]),
                (6, vec!["3".into(), "".into()]),
            ]
        );
    }

    #[test]
    fn an_unclosed_quote_is_located() {
        let r: Vec<_> = Delimited::csv("a\n\"open\nmore").collect();
        assert!(matches!(r[1], Err((2, _))));
    }

    #[test]
    fn tab_separated_text_treats_quotes_as_text() {
        let r: Vec<_> = Delimited::tsv("a\tb\n\"x\ty\n").map(|r| r.map(|r| r.fields.len())).collect();
        assert_eq!(r, vec![Ok(2), Ok(2)]);
    }
}
