//! # tupu-graph: the store and its compiled view
//!
//! The bottom of Tupu's crate stack. It owns:
//!
//! - [`GraphStore`]: an [oxigraph](https://docs.rs/oxigraph) RDF store (RocksDB on disk, or in
//!   memory) in which each framework (a curriculum, a competency framework, an occupation
//!   classification) is a named graph. Every write is a [`ChangeSet`] passed to
//!   [`GraphStore::commit`], the one commit path: it validates the would-be state (prerequisite
//!   cycles, dangling references, unlabelled nodes, SHACL shapes) and applies all of the change
//!   or none of it.
//! - [`Snapshot`]: the read-only compilation of the committed state that algorithms run on:
//!   dense [`NodeId`]s, labels, kinds, the attributes of [`NodeAttrs`] and every [`Relation`]
//!   as compressed sparse rows in both directions. A commit compiles a new snapshot and swaps it
//!   in atomically; a reader keeps the `Arc<Snapshot>` it loaded for as long as it needs it.
//! - [`History`]: every commit recorded durably (author, time, message, the exact quads added
//!   and removed) atomically with it; drafts under review ([`Draft`]) and releases
//!   ([`Release`]) are kept beside it.
//! - Designers' tools: node-level [`Edit`]s planned into change sets ([`plan_edits`]) and SKOS
//!   [`integrity`] checks, each finding with a fix.
//! - Graph algorithms on snapshots: [`prerequisite_closure`], [`prerequisite_cycles`].
//! - [`search::SearchIndex`]: the tantivy index over every node, kept in step with the store
//!   (search, type-ahead, text → node linking).
//! - [`vocab`]: the IRIs of the Tupu vocabulary (`ontologies/tupu.ttl`).
//!
//! ```
//! use oxigraph::model::{GraphName, Literal, NamedNode, Quad};
//! use oxigraph::model::vocab::rdf;
//! use tupu_graph::{vocab, ChangeSet, GraphStore};
//!
//! let store = GraphStore::in_memory()?;
//! let g = GraphName::NamedNode(tupu_graph::graph_iri("demo")?);
//! let count = NamedNode::new("https://example.org/count")?;
//! let add = NamedNode::new("https://example.org/add")?;
//! let mut change = ChangeSet::new();
//! for (node, label) in [(&count, "数数"), (&add, "加法")] {
//!     change.added.push(Quad::new(node.clone(), rdf::TYPE, vocab::tupu::KNOWLEDGE_POINT, g.clone()));
//!     change.added.push(Quad::new(node.clone(), vocab::skos::PREF_LABEL, Literal::new_language_tagged_literal(label, "zh")?, g.clone()));
//! }
//! change.added.push(Quad::new(add.clone(), vocab::tupu::REQUIRES, count.clone(), g.clone()));
//! let report = store.commit(change)?;
//! assert_eq!(report.version, 1);
//!
//! let snapshot = store.snapshot();
//! let add = snapshot.resolve("add")?;
//! assert_eq!(snapshot.label(add, None), "加法");
//! assert_eq!(tupu_graph::prerequisite_closure(&snapshot, add), vec![snapshot.resolve("count")?]);
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```

mod algo;
mod compile;
mod diagnostic;
mod drafts;
mod edit;
mod error;
mod history;
mod incremental;
mod integrity;
mod limits;
mod market;
mod releases;
mod revert;
pub mod search;
mod shacl;
mod snapshot;
mod sparql_text;
mod store;
mod suspects;
mod update;
mod validate;
pub mod vocab;

pub use algo::{prerequisite_closure, prerequisite_cycles};
pub use compile::DanglingReference;
pub use diagnostic::{Diagnostic, DiagnosticCode, Location, Severity};
pub use drafts::{Draft, DraftStatus};
pub use edit::{Edit, IS_REPLACED_BY, NewNode, OWL_DEPRECATED, is_deprecated, plan_edits, relation_predicate};
pub use error::GraphError;
pub use history::{CommitRecord, CommitSummary, History, HistoryFilter};
pub use integrity::{IntegrityFinding, integrity};
pub use limits::{
    Cancelled, DEFAULT_ROW_BUDGET, GUARD_FUNCTION, RowBudget, SPARQL_LIMITS, SparqlLimits, catch_cancelled, check_shape,
};
pub use market::{Cohort, Market, PostFacts, is_iso_date};
pub use oxigraph;
pub use releases::Release;
pub use revert::{RevertError, revert, undo};
pub use snapshot::{
    BktParams, Edge, Label, MasteryLevel, NodeAttrs, NodeId, NodeKind, Relation, ResolveError, Snapshot,
    SnapshotBuilder, Sym, local_name,
};
pub use store::{
    ChangeSet, CommitEvent, CommitReport, GraphStore, PREFIXES, QueryOptions, SYSTEM_GRAPHS, UpdateOptions, graph_iri,
};
