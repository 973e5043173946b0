//! # tupu-ingest: importers
//!
//! Turns outside data into [`tupu_graph::ChangeSet`]s and commits each import as one
//! transaction: an input with any problem (a syntax error with its line and column, a record
//! that names an unknown node, a change that fails validation) leaves the store exactly as it
//! was, and the error lists every problem found with a hint on how to fix it.
//!
//! - [`import_rdf_file`] / [`read_rdf`]: Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD.
//! - [`import_chalkbase`] / [`convert_chalkbase`]: the ChalkBase primary-mathematics graph.
//! - [`import_resources`] / [`convert_resources`]: learning resources from JSON Lines, CSV or
//!   the ChalkBase exercises (formats and templates in `ingest/templates/`).
//! - [`import_case`] / [`export_case`]: 1EdTech CASE 1.1 JSON, in and out.
//! - [`convert_csv`] / [`export_csv`]: the designers' CSV template (one row per node).
//! - [`import_esco`]: ESCO's CSV downloads (inside their ZIP archives) or its SKOS RDF model.
//! - [`import_csco`], [`import_cn_majors`]: China's 2022 occupational classification and its
//!   catalogue of majors.
//! - [`crosswalk`]: CSCO occupations linked to ESCO's through ISCO-08 and English titles.
//! - [`import_onet`]: O*NET's tables: rated skills and knowledge, detailed work activities.
//! - [`bundled`]: the vocabulary, shapes and demo data compiled into the binary, loaded into an
//!   empty store by [`load_bundled`].
//!
//! Depends on `tupu-graph` only; never on `tupu-recommend`.

mod bundled;
mod case;
mod chalkbase;
mod cn;
pub mod crosswalk;
mod csv;
mod demo;
mod error;
mod esco;
mod labour;
mod onet;
mod rdf;
mod resources;
mod table;
mod zip;

pub use bundled::{BundledFile, DEMO_GRAPHS, bundled, load_bundled};
pub use case::{CASE_NS, convert_case, export_case, import_case};
pub use chalkbase::{CHALKBASE_NS, convert_chalkbase, import_chalkbase};
pub use cn::{
    CN_MAJOR_NS, CSCO_ENGLISH, CSCO_NS, CscoEnglish, convert_cn_majors, convert_csco, csco_english, csco_marks,
    import_cn_majors, import_csco,
};
pub use csv::{convert_csv, export_csv};
pub use demo::{DEMO_NS, EmploymentDemo, employment_demo};
pub use error::ImportError;
pub use esco::{
    ESCO_OCCUPATION_NS, EscoData, EscoReport, ISCO_GROUP_NS, convert_esco_csv, convert_esco_rdf, import_esco,
    isco_group_iri, requirement_iri,
};
pub use labour::{EMPLOYMENT_NS, convert_employment, import_employment};
pub use onet::{ONET_NS, OnetCounts, convert_onet, import_onet};
pub use rdf::{
    ImportReport, RdfImportOptions, commit_quads, commit_quads_by, format_of, import_rdf_file, parse_format, read_rdf,
};
pub use resources::{RESOURCE_NS, RESOURCE_TYPES, ResourceFormat, convert_resources, import_resources, parse_csv};
