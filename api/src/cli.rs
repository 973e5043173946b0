//! Command-line arguments (parsed and checked by clap) and the commands they run.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::sparql::QueryResults;
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use tupu_api::{AppState, ServerConfig, open_graph, open_learners};
use tupu_graph::{Diagnostic, GraphStore, QueryOptions, graph_iri};
use tupu_ingest::{CHALKBASE_NS, ImportError, RdfImportOptions, import_chalkbase, import_rdf_file, parse_format};
use tupu_recommend::RecommendConfig;

/// Tupu (图谱): a knowledge-graph and competency-graph engine for education.
#[derive(Parser, Debug)]
#[command(name = "tupu", version, about, long_about = None)]
struct Args {
    /// Data directory (created when missing; an empty one gets the bundled vocabulary).
    #[arg(long, global = true, env = "TUPU_DATA", default_value = "./tupu-data")]
    data: PathBuf,
    /// Log filter, e.g. `info` or `tupu_graph=debug`.
    #[arg(long, global = true, env = "TUPU_LOG", default_value = "warn")]
    log: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the HTTP API (a fresh data directory gets the vocabulary and the demo curriculum).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "TUPU_ADDR", default_value = "127.0.0.1:7878")]
        addr: SocketAddr,
        /// Do not load the demo curriculum into an empty data directory.
        #[arg(long)]
        no_demo: bool,
        /// Refuse SPARQL updates at /sparql.
        #[arg(long)]
        read_only: bool,
        /// Longest a SPARQL query may run, in milliseconds.
        #[arg(long, env = "TUPU_QUERY_TIMEOUT_MS", default_value_t = 10_000)]
        query_timeout_ms: u64,
        /// How long, in milliseconds, a learner's rendered next-step list is served again while
        /// their evidence and the graph stay the same (0: compute every request).
        #[arg(long, env = "TUPU_NEXT_CACHE_MS", default_value_t = 5_000)]
        next_cache_ms: u64,
    },
    /// Import a file (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD) or a ChalkBase folder
    /// as one all-or-nothing commit.
    Import {
        /// The file, or a ChalkBase folder.
        file: PathBuf,
        /// Target named graph: a name (`chalkbase`) or an IRI. Default: the file's stem.
        #[arg(long)]
        graph: Option<String>,
        /// Input format: turtle, ntriples, nquads, trig, rdfxml, jsonld, chalkbase, esco
        /// (ESCO's CSV downloads, zipped or not, or an RDF file in ESCO's model), onet (a
        /// folder of O*NET tables), csco (the CSCO 2022 CSV) or cn-majors (the catalogue of
        /// majors, JSON).
        /// Default: from the file extension (a folder is read as ChalkBase).
        #[arg(long)]
        format: Option<String>,
        /// Replace the target graph's content instead of adding to it.
        #[arg(long)]
        replace: bool,
    },
    /// Match graduates to posts (JSON Lines in and out), top k per graduate, streamed; prints
    /// how evenly posts were recommended.
    Match {
        /// Graduates, one JSON object a line.
        #[arg(long)]
        graduates: PathBuf,
        /// Posts, one JSON object a line.
        #[arg(long)]
        posts: PathBuf,
        /// How many posts per graduate.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Scoring rule.
        #[arg(long, value_enum, default_value = "employment")]
        rule: crate::match_cli::MatchRule,
        /// Write the results here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Run a SPARQL query over the union of all graphs and print the results.
    Query {
        /// The query text, or `-` to read it from standard input.
        sparql: String,
        /// Output: tsv, csv, json or xml for SELECT/ASK; turtle, ntriples, rdfxml or jsonld for CONSTRUCT.
        #[arg(long)]
        format: Option<String>,
    },
    /// Learner commands (same JSON as the HTTP API, for scripting).
    Learner {
        #[command(subcommand)]
        command: LearnerCommand,
    },
    /// Fit BKT parameters per knowledge point from an answer log by expectation–maximisation
    /// and store them in the graph (named graph `bkt`), one commit.
    FitBkt {
        /// The log: one `{"learner": ..., "node": ..., "correct": true|false, "timestamp": ...}` a
        /// line (JSON Lines). Without it, the events the learner store holds are fitted: those on
        /// knowledge points, a score of 0.5 or more counting as correct.
        events: Option<PathBuf>,
        /// Nodes with fewer answers than this keep their defaults.
        #[arg(long, default_value_t = 30)]
        min_observations: usize,
        /// Named graph for the fitted parameters (replaced for the nodes fitted).
        #[arg(long, default_value = "bkt")]
        graph: String,
    },
    /// Run a SPARQL 1.1 Update as one validated commit (all or nothing).
    Update {
        /// The update text, or `-` to read it from standard input.
        sparql: String,
    },
    /// Validate the whole graph; exits with 1 when a violation is found.
    Validate,
    /// Write one named graph to standard output (or a file).
    Export {
        /// The named graph: a name (`chalkbase`) or an IRI.
        #[arg(long)]
        graph: String,
        /// turtle, ntriples, nquads, trig, rdfxml or jsonld.
        #[arg(long, default_value = "turtle")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum LearnerCommand {
    /// Ranked, explained next steps.
    Next {
        /// Learner id.
        id: String,
        /// How many.
        #[arg(long, short, default_value_t = 5)]
        n: usize,
        /// Rank progress toward this node first.
        #[arg(long)]
        goal: Option<String>,
        /// Explanations in en or zh.
        #[arg(long, default_value = "en")]
        lang: String,
    },
    /// A learning path to one or more goals.
    Path {
        /// Learner id.
        id: String,
        /// Goal node (repeat for several).
        #[arg(long, required = true)]
        goal: Vec<String>,
        /// Time budget in minutes.
        #[arg(long)]
        budget_minutes: Option<f32>,
    },
    /// Record evidence from a JSON file: an array of events or xAPI statements (all or nothing).
    Events {
        /// Learner id.
        id: String,
        /// The JSON file, or `-` for standard input.
        file: PathBuf,
    },
    /// Print the learner's mastery vector.
    Mastery {
        /// Learner id.
        id: String,
    },
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let args = Args::parse();
    init_logging(&args.log);
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            if let Some(import) = e.downcast_ref::<ImportError>() {
                print_diagnostics(import.diagnostics());
            } else if let Some(tupu_graph::GraphError::Rejected(d)) = e.downcast_ref::<tupu_graph::GraphError>() {
                print_diagnostics(d);
            }
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(filter: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        eprintln!("{d}");
    }
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Serve { addr, no_demo, read_only, query_timeout_ms, next_cache_ms } => {
            if query_timeout_ms == 0 {
                bail!("--query-timeout-ms must be positive");
            }
            let graph = open_graph(&args.data, !no_demo)?;
            let config = ServerConfig {
                query_timeout: Duration::from_millis(query_timeout_ms),
                allow_updates: !read_only,
                next_cache: Duration::from_millis(next_cache_ms),
                ..ServerConfig::default()
            };
            let learners = open_learners(&args.data, RecommendConfig::default())?;
            let state = AppState::new(std::sync::Arc::new(graph), std::sync::Arc::new(learners), config);
            eprintln!("tupu: serving {} on http://{addr}", args.data.display());
            let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            runtime.block_on(tupu_api::serve(state, addr))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { file, graph, format, replace } => {
            let store = open_graph(&args.data, false)?;
            import(&store, &file, graph.as_deref(), format.as_deref(), replace)
        }
        Command::Match { graduates, posts, top, rule, output } => {
            crate::match_cli::run(&graduates, &posts, top, rule, output.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Query { sparql, format } => {
            let store = open_graph(&args.data, false)?;
            let text = if sparql == "-" {
                std::io::read_to_string(std::io::stdin()).context("cannot read the query from standard input")?
            } else {
                sparql
            };
            query(&store, &text, format.as_deref())
        }
        Command::Learner { command } => learner(&args.data, command),
        Command::FitBkt { events, min_observations, graph } => {
            fit_bkt(&args.data, events.as_deref(), min_observations, &graph)
        }
        Command::Update { sparql } => {
            let store = open_graph(&args.data, false)?;
            let text = if sparql == "-" {
                std::io::read_to_string(std::io::stdin()).context("cannot read the update from standard input")?
            } else {
                sparql
            };
            let report = store.update(&text, None)?;
            print_diagnostics(&report.warnings);
            eprintln!("added {}, removed {}; snapshot version {}", report.added, report.removed, report.version);
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate => {
            let store = open_graph(&args.data, false)?;
            let findings = store.validate()?;
            print_diagnostics(&findings);
            let violations = findings.iter().filter(|d| d.is_violation()).count();
            eprintln!("{violations} violation(s), {} warning(s)", findings.len() - violations);
            Ok(if violations == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Export { graph, format, output } => {
            let store = open_graph(&args.data, false)?;
            let format = parse_format(&format).with_context(|| format!("unknown RDF format '{format}'"))?;
            let graph = graph_iri(&graph)?;
            if !store.named_graphs()?.contains(&graph) {
                bail!(
                    "there is no graph {graph} in {}; `tupu query 'SELECT DISTINCT ?g {{ GRAPH ?g {{}} }}'` lists them",
                    args.data.display()
                );
            }
            let prefixes = [("cb", CHALKBASE_NS)];
            match output {
                Some(path) => {
                    let file =
                        std::fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
                    let mut writer = std::io::BufWriter::new(file);
                    store.export(&graph, format, &prefixes, &mut writer)?;
                    writer.flush()?;
                }
                None => store.export(&graph, format, &prefixes, std::io::stdout().lock())?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn import(
    store: &GraphStore,
    file: &Path,
    graph: Option<&str>,
    format: Option<&str>,
    replace: bool,
) -> anyhow::Result<ExitCode> {
    if format == Some("esco") {
        let graph = graph_iri(graph.unwrap_or("esco"))?;
        let report = tupu_ingest::import_esco(store, file, &graph, replace, std::io::stderr().is_terminal())?;
        print_diagnostics(&report.warnings);
        print_diagnostics(&report.commit.warnings);
        eprintln!(
            "imported ESCO from {}: {} occupations, {} ISCO groups, {} skills, {} skill groups, {} occupation→skill links ({} essential), {} broader, {} skill relations; {} quads added; snapshot version {}",
            file.display(),
            report.occupations,
            report.isco_groups,
            report.skills,
            report.skill_groups,
            report.links,
            report.essential,
            report.broader,
            report.skill_relations,
            report.commit.added,
            report.commit.version
        );
        return Ok(ExitCode::SUCCESS);
    }
    let table = match format {
        Some("onet") => {
            let graph = graph_iri(graph.unwrap_or("onet"))?;
            let (report, counts) = tupu_ingest::import_onet(store, file, &graph, replace)?;
            eprintln!("O*NET: {}", serde_json::to_string(&counts)?);
            Some(report)
        }
        Some("csco") => Some(tupu_ingest::import_csco(store, file, &graph_iri(graph.unwrap_or("csco"))?, replace)?),
        Some("cn-majors") => {
            Some(tupu_ingest::import_cn_majors(store, file, &graph_iri(graph.unwrap_or("cn-majors"))?, replace)?)
        }
        _ => None,
    };
    if let Some(report) = table {
        print_diagnostics(&report.commit.warnings);
        eprintln!(
            "imported {}: added {} quads into {}; snapshot version {}",
            file.display(),
            report.commit.added,
            report.graphs.join(", "),
            report.commit.version
        );
        return Ok(ExitCode::SUCCESS);
    }
    let chalkbase = format == Some("chalkbase") || (format.is_none() && file.is_dir());
    let report = if chalkbase {
        let graph = graph_iri(graph.unwrap_or("chalkbase"))?;
        import_chalkbase(store, file, &graph, replace)?
    } else {
        let format = match format {
            Some(f) => Some(parse_format(f).with_context(|| {
                format!("unknown format '{f}'; use turtle, ntriples, nquads, trig, rdfxml, jsonld or chalkbase")
            })?),
            None => None,
        };
        let options = RdfImportOptions {
            format,
            graph: graph.map(graph_iri).transpose()?,
            replace,
            progress: std::io::stderr().is_terminal(),
        };
        import_rdf_file(store, file, &options)?
    };
    print_diagnostics(&report.commit.warnings);
    eprintln!(
        "imported {}: read {} quads, added {}, removed {}, into {}; snapshot version {}",
        file.display(),
        report.read,
        report.commit.added,
        report.commit.removed,
        report.graphs.join(", "),
        report.commit.version
    );
    Ok(ExitCode::SUCCESS)
}

fn query(store: &GraphStore, text: &str, format: Option<&str>) -> anyhow::Result<ExitCode> {
    let results = store.query(text, &QueryOptions::default())?;
    let out = std::io::stdout().lock();
    match results {
        QueryResults::Solutions(solutions) => {
            let format = results_format(format.unwrap_or("tsv"))?;
            let mut writer = QueryResultsSerializer::from_format(format)
                .serialize_solutions_to_writer(out, solutions.variables().to_vec())?;
            for solution in solutions {
                writer.serialize(&solution?)?;
            }
            writer.finish()?.flush()?;
        }
        QueryResults::Boolean(value) => {
            let format = results_format(format.unwrap_or("tsv"))?;
            QueryResultsSerializer::from_format(format).serialize_boolean_to_writer(out, value)?.flush()?;
        }
        QueryResults::Graph(triples) => {
            let name = format.unwrap_or("turtle");
            let format = parse_format(name)
                .filter(|f| *f != RdfFormat::NQuads)
                .with_context(|| format!("unknown RDF format '{name}'"))?;
            let mut writer = RdfSerializer::from_format(format).for_writer(out);
            for triple in triples {
                writer.serialize_triple(&triple?)?;
            }
            writer.finish()?.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn results_format(name: &str) -> anyhow::Result<QueryResultsFormat> {
    Ok(match name {
        "json" => QueryResultsFormat::Json,
        "xml" => QueryResultsFormat::Xml,
        "csv" => QueryResultsFormat::Csv,
        "tsv" => QueryResultsFormat::Tsv,
        other => bail!("unknown results format '{other}'; use tsv, csv, json or xml"),
    })
}

/// Runs a learner command through the HTTP router in process, so the CLI prints exactly what
/// the API returns.
fn learner(data: &Path, command: LearnerCommand) -> anyhow::Result<ExitCode> {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    let (method, uri, body) = match command {
        LearnerCommand::Next { id, n, goal, lang } => {
            let goal = goal.map(|g| format!("&goal={}", enc(&g))).unwrap_or_default();
            ("GET", format!("/api/v1/learners/{}/next?n={n}&lang={}{goal}", enc(&id), enc(&lang)), Body::empty())
        }
        LearnerCommand::Path { id, goal, budget_minutes } => {
            let body = serde_json::json!({ "goals": goal, "budget_minutes": budget_minutes });
            ("POST", format!("/api/v1/learners/{}/path", enc(&id)), Body::from(body.to_string()))
        }
        LearnerCommand::Events { id, file } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin()).context("cannot read events from standard input")?
            } else {
                std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?
            };
            ("POST", format!("/api/v1/learners/{}/events", enc(&id)), Body::from(text))
        }
        LearnerCommand::Mastery { id } => ("GET", format!("/api/v1/learners/{}/mastery", enc(&id)), Body::empty()),
    };
    let graph = open_graph(data, false)?;
    let learners = open_learners(data, RecommendConfig::default())?;
    let state = AppState::new(std::sync::Arc::new(graph), std::sync::Arc::new(learners), ServerConfig::default());
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the runtime")?;
    let (status, bytes) = runtime.block_on(async move {
        let request =
            Request::builder().method(method).uri(uri).header("content-type", "application/json").body(body)?;
        let response = tupu_api::app(state).oneshot(request).await?;
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
        anyhow::Ok((status, bytes))
    })?;
    let json: serde_json::Value =
        serde_json::from_slice(&bytes).context("the API answered with something other than JSON")?;
    let pretty = serde_json::to_string_pretty(&json)?;
    if status.is_success() {
        writeln!(std::io::stdout().lock(), "{pretty}")?;
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{pretty}");
        Ok(ExitCode::FAILURE)
    }
}

/// The answers on knowledge points that the learner store of `data` holds, for `fit-bkt`.
fn stored_answers(data: &Path, snapshot: &tupu_graph::Snapshot) -> anyhow::Result<Vec<tupu_recommend::FitEvent>> {
    use tupu_recommend::LearnerStore;
    let path = data.join("learners.redb");
    if !path.exists() {
        bail!("{} holds no learner store: give an answer log file, or record events first", data.display());
    }
    let store = tupu_recommend::RedbLearnerStore::open(&path).with_context(|| {
        format!("cannot open the learner store {} (a running server holds it: stop it first)", path.display())
    })?;
    let (mut log, mut other, mut gone) = (Vec::new(), 0usize, 0usize);
    store.each_event(&mut |learner, event| match snapshot.node_by_iri(&event.object) {
        Some(node) if snapshot.kind(node) == tupu_graph::NodeKind::KnowledgePoint => {
            log.push(tupu_recommend::FitEvent {
                learner: learner.to_owned(),
                node: event.object,
                correct: event.score >= 0.5,
                time: event.time,
            })
        }
        Some(_) => other += 1,
        None => gone += 1,
    })?;
    eprintln!(
        "{} answers on knowledge points from the learner store; left out: {other} on other nodes (resources), {gone} on nodes no longer in the graph",
        log.len()
    );
    Ok(log)
}

/// `tupu fit-bkt`: fits, then writes `tupu:bktPrior`, `bktLearn`, `bktSlip`, `bktGuess` for every
/// node with enough answers, replacing earlier fits of those nodes, as one commit.
fn fit_bkt(data: &Path, events: Option<&Path>, min_observations: usize, graph: &str) -> anyhow::Result<ExitCode> {
    use oxigraph::model::vocab::xsd;
    use oxigraph::model::{GraphName, Literal, Quad};
    use tupu_graph::vocab::tupu;

    let store = open_graph(data, false)?;
    let snapshot = store.snapshot();
    let (log, source) = match events {
        Some(events) => {
            let file = std::fs::File::open(events).with_context(|| format!("cannot open {}", events.display()))?;
            let log = tupu_recommend::read_events(std::io::BufReader::new(file))
                .with_context(|| format!("{} is not a valid answer log", events.display()))?;
            (log, events.display().to_string())
        }
        None => (stored_answers(data, &snapshot)?, "the learner store".to_owned()),
    };
    let target = graph_iri(graph)?;
    let g = GraphName::NamedNode(target.clone());
    let fits = tupu_recommend::fit_events(log, &tupu_recommend::FitConfig::default());
    let mut change = tupu_graph::ChangeSet::new().with_message(format!("fit BKT parameters from {source}"));
    let (mut fitted, mut skipped, mut unknown) = (0, 0, Vec::new());
    for (node, fit) in &fits {
        let Ok(id) = snapshot.resolve(node) else {
            unknown.push(node.clone());
            continue;
        };
        if fit.observations < min_observations {
            skipped += 1;
            continue;
        }
        let subject = oxigraph::model::NamedNode::new(snapshot.iri(id))?;
        for p in [tupu::BKT_PRIOR, tupu::BKT_LEARN, tupu::BKT_SLIP, tupu::BKT_GUESS] {
            for old in store.store().quads_for_pattern(
                Some(subject.as_ref().into()),
                Some(p),
                None,
                Some(target.as_ref().into()),
            ) {
                change.removed.push(old?);
            }
        }
        let value = |x: f32| Literal::new_typed_literal(format!("{:.6}", f64::from(x)), xsd::DOUBLE);
        let params = fit.params;
        for (p, x) in [
            (tupu::BKT_PRIOR, params.prior),
            (tupu::BKT_LEARN, params.learn),
            (tupu::BKT_SLIP, params.slip),
            (tupu::BKT_GUESS, params.guess),
        ] {
            change.added.push(Quad::new(subject.clone(), p, value(x), g.clone()));
        }
        fitted += 1;
        writeln!(
            std::io::stdout().lock(),
            "{}\tprior {:.3}\tlearn {:.3}\tslip {:.3}\tguess {:.3}\t{} answers, {} learners",
            snapshot.local_name(id),
            params.prior,
            params.learn,
            params.slip,
            params.guess,
            fit.observations,
            fit.sequences
        )?;
    }
    if !unknown.is_empty() {
        bail!("{} node(s) of the log are not in the graph, e.g. '{}'; nothing was stored", unknown.len(), unknown[0]);
    }
    let report = store.commit(change)?;
    eprintln!(
        "fitted {fitted} node(s), {skipped} with fewer than {min_observations} answers kept their defaults; graph {target}, snapshot version {}",
        report.version
    );
    Ok(ExitCode::SUCCESS)
}
