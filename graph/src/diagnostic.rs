//! Diagnostics: what is wrong with a change or an input, where, and how to fix it.
//!
//! Validation and import report every problem they find, not only the first, and a change
//! with at least one [`Severity::Violation`] is not committed.

use std::fmt;

/// How bad a finding is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The change is rejected.
    Violation,
    /// Reported; the change goes through.
    Warning,
}

/// Stable, machine-readable kind of a finding.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosticCode {
    /// The prerequisite relation would contain a cycle.
    PrerequisiteCycle,
    /// An edge names a node that does not exist.
    DanglingReference,
    /// A node has no label.
    MissingLabel,
    /// A SHACL shape is not satisfied.
    ShapeViolation,
    /// An input file is not well-formed.
    SyntaxError,
    /// An input record is well-formed but its content is wrong.
    InvalidInput,
}

impl DiagnosticCode {
    /// The code as written in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            DiagnosticCode::PrerequisiteCycle => "prerequisite_cycle",
            DiagnosticCode::DanglingReference => "dangling_reference",
            DiagnosticCode::MissingLabel => "missing_label",
            DiagnosticCode::ShapeViolation => "shape_violation",
            DiagnosticCode::SyntaxError => "syntax_error",
            DiagnosticCode::InvalidInput => "invalid_input",
        }
    }
}

/// A place in an input file. Lines and columns count from 1.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    /// The file, as the user named it.
    pub file: String,
    /// Line, from 1 (for JSON records: the record's index where no line is known is in `record`).
    pub line: Option<u64>,
    /// Column, from 1.
    pub column: Option<u64>,
    /// Index of the record (JSON array element, CSV row, event in a batch), from 0.
    pub record: Option<u64>,
    /// Field of the record.
    pub field: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if let Some(record) = self.record {
            write!(f, " record {record}")?;
        }
        if let Some(field) = &self.field {
            write!(f, " field '{field}'")?;
        }
        Ok(())
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Diagnostic {
    /// Violation or warning.
    pub severity: Severity,
    /// Stable kind.
    pub code: DiagnosticCode,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The node concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focus: Option<String>,
    /// The predicate concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The offending value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// For cycles: the nodes of the cycle in order, the first repeated at the end.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cycle: Vec<String>,
    /// Where in an input file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

impl Diagnostic {
    /// A violation with a message; the other fields are filled with the builder methods.
    pub fn violation(code: DiagnosticCode, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Violation,
            code,
            message: message.into(),
            hint: None,
            focus: None,
            path: None,
            value: None,
            cycle: Vec::new(),
            location: None,
        }
    }

    /// A warning with a message.
    pub fn warning(code: DiagnosticCode, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, ..Self::violation(code, message) }
    }

    /// Sets the hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Sets the focus node.
    pub fn with_focus(mut self, focus: impl Into<String>) -> Self {
        self.focus = Some(focus.into());
        self
    }

    /// Sets the predicate.
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Sets the offending value.
    pub fn with_value(mut self, value: impl Into<String>) -> Self {
        self.value = Some(value.into());
        self
    }

    /// Sets the location.
    pub fn with_location(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    /// Whether this finding blocks a commit.
    pub fn is_violation(&self) -> bool {
        self.severity == Severity::Violation
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Violation => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{level}[{}]", self.code.as_str())?;
        if let Some(location) = &self.location {
            write!(f, " {location}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}
