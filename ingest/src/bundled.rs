//! The RDF files compiled into the binary: the core vocabulary, its SHACL shapes and the demo
//! data (the ChalkBase curriculum and the employment demo), so that a fresh server on an empty data directory has a graph to serve.

use oxigraph::io::RdfFormat;
use oxigraph::model::Quad;
use tupu_graph::vocab::{SHAPES_GRAPH, VOCABULARY_GRAPH};
use tupu_graph::{ChangeSet, CommitReport, GraphStore, graph_iri};

use crate::error::ImportError;
use crate::rdf::read_rdf;

/// One bundled RDF file.
#[derive(Clone, Copy, Debug)]
pub struct BundledFile {
    /// Path in the repository, for messages.
    pub name: &'static str,
    /// Named graph it is loaded into.
    pub graph: &'static str,
    /// Turtle text.
    pub turtle: &'static str,
}

/// The bundled files, in load order.
pub fn bundled() -> [BundledFile; 4] {
    [
        BundledFile {
            name: "ontologies/tupu.ttl",
            graph: VOCABULARY_GRAPH,
            turtle: include_str!("../../ontologies/tupu.ttl"),
        },
        BundledFile {
            name: "ontologies/shapes.ttl",
            graph: SHAPES_GRAPH,
            turtle: include_str!("../../ontologies/shapes.ttl"),
        },
        BundledFile {
            name: "ontologies/demo/chalkbase.ttl",
            graph: DEMO_GRAPHS[0],
            turtle: include_str!("../../ontologies/demo/chalkbase.ttl"),
        },
        BundledFile {
            name: "ontologies/demo/employment.ttl",
            graph: DEMO_GRAPHS[1],
            turtle: include_str!("../../ontologies/demo/employment.ttl"),
        },
    ]
}

/// The named graphs of the bundled demo data, loaded only when the demo is asked for.
pub const DEMO_GRAPHS: [&str; 2] = ["chalkbase", "employment-demo"];

/// Loads the vocabulary, the shapes and (when `demo`) the demo data as one commit.
pub fn load_bundled(store: &GraphStore, demo: bool) -> Result<CommitReport, ImportError> {
    let mut quads: Vec<Quad> = Vec::new();
    for file in bundled() {
        if DEMO_GRAPHS.contains(&file.graph) && !demo {
            continue;
        }
        let graph = graph_iri(file.graph)?;
        quads.extend(read_rdf(file.turtle.as_bytes(), file.name, RdfFormat::Turtle, &graph, true)?);
    }
    let change = ChangeSet::adding(quads).with_message("load the bundled vocabulary, shapes and demo data");
    Ok(store.commit(change)?)
}
