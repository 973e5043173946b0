//! Fitting BKT parameters and storing them in the graph, for `tupu fit-bkt` and
//! `POST /api/v1/admin/fit-bkt` alike: the log is checked against the graph before any
//! fitting, every node gets a report line, and the fitted parameters of all nodes with enough
//! data, with the weight of the learner's ability and, where the log's timestamps allow, the
//! half-life of mastery, replace earlier fits in one commit (a running server swaps its
//! snapshot and serves them from the next request on).

use oxigraph::model::vocab::xsd;
use oxigraph::model::{GraphName, Literal, NamedNode, Quad};
use tupu_graph::vocab::tupu;
use tupu_graph::{BktParams, ChangeSet, GraphError, GraphStore, NodeKind, Snapshot, graph_iri};
use tupu_recommend::{FitConfig, FitEvent, FitStatus, LearnerStore};

/// How fitting one node went, for the report.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NodeReport {
    /// The node's local name (or the log's identifier for a dry run on unknown nodes).
    pub node: String,
    /// Answers on the node.
    pub answers: usize,
    /// Learners who answered it.
    pub learners: usize,
    /// EM iterations.
    pub iterations: usize,
    /// Log-likelihood of the answers under the fitted parameters.
    pub log_likelihood: f64,
    /// `converged`, `capped` (the iteration cap was reached first) or `too_little_data`.
    pub status: FitStatus,
    /// The fitted parameters (absent when there was too little data to fit; present but not
    /// stored for a node the graph does not have, in a dry run).
    pub fitted: Option<BktParams>,
    /// Why the node kept its defaults, when it did.
    pub kept_defaults: Option<String>,
    /// The node's fitted half-life of mastery (`tupu:bktHalfLife`), when the log's timestamps
    /// allowed one; absent otherwise (the node keeps the default).
    pub half_life: Option<tupu_recommend::HalfLifeFit>,
}

/// The result of a fit.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FitOutcome {
    /// One line per node of the log, ordered by node.
    pub nodes: Vec<NodeReport>,
    /// Nodes whose parameters were fitted (and stored, unless a dry run).
    pub fitted: usize,
    /// Nodes that kept their defaults.
    pub kept_defaults: usize,
    /// The snapshot version that serves the new parameters (none for a dry run).
    pub version: Option<u64>,
    /// The named graph written.
    pub graph: String,
    /// The fitted weight of the learner's ability, stored on every fitted node
    /// (`tupu:bktAbility`); absent when not fitted.
    pub ability: Option<tupu_recommend::AbilityFit>,
}

/// Why a fit was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    /// The log names nodes the graph does not have (or that are not knowledge points).
    #[error("{} node(s) of the log are not knowledge points of the graph: {}; nothing was fitted or stored", .0.len(), .0.iter().take(10).map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", "))]
    UnknownNodes(Vec<String>),
    /// No answer to fit.
    #[error("the log holds no answers on knowledge points: record events first, or give an answer log")]
    Empty,
    /// The graph refused the change or failed.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// An IRI could not be built.
    #[error("invalid IRI: {0}")]
    Iri(String),
}

/// The answers on knowledge points held by a learner store, with the number left out because
/// they are on other nodes (resources) or on nodes no longer in the graph.
pub fn stored_answers(
    store: &dyn LearnerStore,
    snapshot: &Snapshot,
) -> Result<(Vec<FitEvent>, usize, usize), tupu_recommend::LearnerStoreError> {
    let (mut log, mut other, mut gone) = (Vec::new(), 0usize, 0usize);
    store.each_event(&mut |learner, event| match snapshot.node_by_iri(&event.object) {
        Some(node) if snapshot.kind(node) == NodeKind::KnowledgePoint => log.push(FitEvent {
            learner: learner.to_owned(),
            node: event.object,
            correct: event.score >= 0.5,
            time: event.time,
        }),
        Some(_) => other += 1,
        None => gone += 1,
    })?;
    Ok((log, other, gone))
}

/// Fits every node of `log` and, unless `dry_run`, stores the parameters of the nodes with
/// enough answers in the named graph `graph` (replacing earlier values there) as one commit.
///
/// Every node of the log is resolved first (IRI or local name): any unknown node stops the
/// fit before it starts, all of them named (a dry run reports them instead, keyed by the
/// log's identifiers). O(e log e + iterations · e) for e answers.
pub fn fit_into_graph(
    store: &GraphStore,
    mut log: Vec<FitEvent>,
    config: &FitConfig,
    graph: &str,
    dry_run: bool,
) -> Result<FitOutcome, FitError> {
    if log.is_empty() {
        return Err(FitError::Empty);
    }
    let snapshot = store.snapshot();
    let target = graph_iri(graph)?;
    // Resolve every node before any work.
    let mut resolved: std::collections::HashMap<String, Option<tupu_graph::NodeId>> = Default::default();
    for e in &log {
        resolved.entry(e.node.clone()).or_insert_with(|| {
            snapshot.resolve(&e.node).ok().filter(|&n| snapshot.kind(n) == NodeKind::KnowledgePoint)
        });
    }
    let mut unknown: Vec<String> = resolved.iter().filter(|(_, n)| n.is_none()).map(|(k, _)| k.clone()).collect();
    unknown.sort();
    if !unknown.is_empty() && !dry_run {
        return Err(FitError::UnknownNodes(unknown));
    }
    // Key the log by IRI, so that a node named two ways is one node.
    for e in &mut log {
        if let Some(Some(node)) = resolved.get(&e.node) {
            e.node = snapshot.iri(*node).to_owned();
        }
    }
    let model = tupu_recommend::fit_model(log, config);
    let fits = &model.nodes;
    let ability = model.ability.map(|a| a.weight);
    let g = GraphName::NamedNode(target.clone());
    let mut change = ChangeSet::new().with_message("fit BKT parameters");
    let mut nodes = Vec::with_capacity(fits.len());
    let (mut fitted, mut kept) = (0, 0);
    for (key, fit) in fits {
        let node = snapshot.node_by_iri(key);
        let enough = fit.status != FitStatus::TooLittleData;
        let kept_defaults = match (node, enough) {
            (None, _) => Some("not a knowledge point of the graph".to_owned()),
            (Some(_), false) => {
                Some(format!("{} answer(s), fewer than the {} required", fit.observations, config.min_observations))
            }
            (Some(_), true) => None,
        };
        nodes.push(NodeReport {
            node: node.map_or_else(|| key.clone(), |n| snapshot.local_name(n).to_owned()),
            answers: fit.observations,
            learners: fit.sequences,
            iterations: fit.iterations,
            log_likelihood: fit.log_likelihood,
            status: fit.status,
            fitted: enough.then_some(fit.params),
            kept_defaults: kept_defaults.clone(),
            half_life: model.half_lives.get(key).copied().filter(|_| enough),
        });
        let Some(node) = node.filter(|_| enough) else {
            kept += 1;
            continue;
        };
        fitted += 1;
        let subject = NamedNode::new(snapshot.iri(node)).map_err(|e| FitError::Iri(e.to_string()))?;
        let predicates = tupu::LEARNER_MODEL;
        for p in predicates {
            for old in store.store().quads_for_pattern(
                Some(subject.as_ref().into()),
                Some(p),
                None,
                Some(target.as_ref().into()),
            ) {
                change.removed.push(old.map_err(GraphError::from)?);
            }
        }
        let value = |x: f32| Literal::new_typed_literal(format!("{:.6}", f64::from(x)), xsd::DOUBLE);
        let params = fit.params;
        let values = [params.prior, params.learn, params.slip, params.guess, params.forget];
        let half_life = model.half_lives.get(key).map(|h| h.days);
        for (p, x) in predicates.into_iter().zip(values.into_iter().map(Some).chain([ability, half_life])) {
            if let Some(x) = x {
                change.added.push(Quad::new(subject.clone(), p, value(x), g.clone()));
            }
        }
    }
    let version = if dry_run || fitted == 0 { None } else { Some(store.commit(change)?.version) };
    Ok(FitOutcome {
        nodes,
        fitted,
        kept_defaults: kept,
        version,
        graph: target.as_str().to_owned(),
        ability: model.ability,
    })
}
