//! Command-line arguments (parsed and checked by clap) and the commands they run.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
#[command(
    name = "tupu",
    version,
    about = "Tupu (图谱): knowledge and competency graphs for education — import curricula, query them \
             with SPARQL, serve recommendations over HTTP",
    long_about = None,
    after_help = "Start with `tupu serve` (an empty data directory gets the demo curriculum), then \
                  `curl localhost:7878/api/v1/graph/stats`. A data directory is used by one process at a \
                  time: while a server runs, send changes through its HTTP API."
)]
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
        /// A JSON settings file (every knob below, and the recommender's under "recommend");
        /// flags and TUPU_* variables override it.
        #[arg(long, env = "TUPU_CONFIG")]
        config: Option<PathBuf>,
        /// Address to listen on [default: 127.0.0.1:7878].
        #[arg(long, env = "TUPU_ADDR")]
        addr: Option<SocketAddr>,
        /// Do not load the demo curriculum into an empty data directory.
        #[arg(long)]
        no_demo: bool,
        /// Refuse SPARQL updates at /sparql.
        #[arg(long)]
        read_only: bool,
        /// Longest a SPARQL query may run, in milliseconds [default: 10000].
        #[arg(long, env = "TUPU_QUERY_TIMEOUT_MS")]
        query_timeout_ms: Option<u64>,
        /// Largest request body, in bytes [default: 16777216].
        #[arg(long, env = "TUPU_MAX_BODY_BYTES")]
        max_body_bytes: Option<usize>,
        /// How long, in milliseconds, a learner's rendered next-step list is served again while
        /// their evidence and the graph stay the same (0: compute every request) [default: 5000].
        #[arg(long, env = "TUPU_NEXT_CACHE_MS")]
        next_cache_ms: Option<u64>,
    },
    /// Import a file (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD) or a ChalkBase folder
    /// as one all-or-nothing commit.
    Import {
        /// The file, or a ChalkBase folder.
        file: PathBuf,
        /// Target named graph: a name (`chalkbase`) or an IRI. Default: the file's stem.
        #[arg(long)]
        graph: Option<String>,
        /// Input format: turtle, ntriples, nquads, trig, rdfxml, jsonld or chalkbase.
        /// Default: from the file extension (a folder is read as ChalkBase).
        #[arg(long)]
        format: Option<String>,
        /// Replace the target graph's content instead of adding to it.
        #[arg(long)]
        replace: bool,
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
    /// Write a backup of the data directory (graph store, learner store, other files) into DIR.
    /// With --server, the running server writes it (the data directory stays in use).
    Backup {
        /// A directory that does not exist yet.
        dir: PathBuf,
        /// The running server's address, e.g. http://127.0.0.1:7878.
        #[arg(long)]
        server: Option<String>,
    },
    /// Copy a backup into the data directory, which must hold no store yet (stop the server
    /// and move the old directory aside first).
    Restore {
        /// The backup directory.
        dir: PathBuf,
    },
    /// The audit trail (`DATA/audit.log`): who changed the graph, who read or changed learner data.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
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
enum AuditCommand {
    /// Check the hash chain of every entry; exits with 1 and names the first altered entry.
    Verify,
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

/// Logs on stderr: human-readable with colours on a terminal, else one JSON object a line
/// with no colour codes (for log collectors).
fn init_logging(filter: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ =
        if std::io::stderr().is_terminal() { builder.try_init() } else { builder.json().with_ansi(false).try_init() };
}

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        eprintln!("{d}");
    }
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Serve { config, addr, no_demo, read_only, query_timeout_ms, max_body_bytes, next_cache_ms } => {
            let overrides =
                tupu_api::Overrides { addr, read_only, no_demo, query_timeout_ms, max_body_bytes, next_cache_ms };
            let settings = tupu_api::Settings::load(config.as_deref(), &overrides)?;
            let addr = settings.addr;
            let graph = open_graph(&args.data, !settings.no_demo)?;
            let config = settings.server_config();
            let learners = open_learners(&args.data, settings.recommend.clone())?;
            let audit = tupu_api::AuditLog::open(&args.data.join("audit.log"))?;
            let state = AppState::new(std::sync::Arc::new(graph), std::sync::Arc::new(learners), config)
                .with_audit(std::sync::Arc::new(audit))
                .with_data_dir(&args.data);
            eprintln!("tupu: serving {} on http://{addr}", args.data.display());
            let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            runtime.block_on(tupu_api::serve(state, addr))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { file, graph, format, replace } => {
            let store = open_graph(&args.data, false)?;
            let code = import(&store, &file, graph.as_deref(), format.as_deref(), replace)?;
            audit(&args.data, "graph.import", &file.display().to_string())?;
            Ok(code)
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
            audit(&args.data, "graph.update", &format!("version {}", report.version))?;
            print_diagnostics(&report.warnings);
            eprintln!("added {}, removed {}; snapshot version {}", report.added, report.removed, report.version);
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { dir, server: Some(server) } => {
            let made = request_backup(&server)?;
            move_dir(&made, &dir)?;
            eprintln!("backup of {} written to {}", args.data.display(), dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { dir, server: None } => {
            let graph = open_graph(&args.data, false).context("to back up while a server runs, add --server URL")?;
            let learners = open_learners(&args.data, RecommendConfig::default())?;
            tupu_api::backup(&graph, &learners, &args.data, &dir)?;
            eprintln!("backup of {} written to {}", args.data.display(), dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { dir } => {
            tupu_api::restore(&dir, &args.data)?;
            eprintln!("restored {} into {}", dir.display(), args.data.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { command: AuditCommand::Verify } => {
            let path = args.data.join("audit.log");
            if !path.exists() {
                bail!("{} holds no audit log yet", args.data.display());
            }
            let entries = tupu_api::verify_audit(&path)?;
            eprintln!("{}: {entries} entries, the hash chain is intact", path.display());
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

/// Asks the server at `base` (`http://HOST:PORT`) for a backup; returns the directory it wrote.
/// A plain HTTP/1.1 request over a socket: the CLI has no HTTP client otherwise.
fn request_backup(base: &str) -> anyhow::Result<PathBuf> {
    use std::io::Read;
    let host = base
        .trim_end_matches('/')
        .strip_prefix("http://")
        .with_context(|| format!("--server {base}: give the server's http:// address, e.g. http://127.0.0.1:7878"))?;
    let mut stream =
        std::net::TcpStream::connect(host).with_context(|| format!("cannot reach the server at {base}"))?;
    write!(
        stream,
        "POST /api/v1/admin/backup HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response).context("the server's answer is not readable")?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let ok = head.lines().next().is_some_and(|status| status.split(' ').nth(1) == Some("200"));
    // Bodies of `Connection: close` answers from this server are not chunked.
    let json: serde_json::Value =
        serde_json::from_str(body.trim()).with_context(|| format!("the server answered: {head}"))?;
    if !ok {
        bail!("the server refused the backup: {json}");
    }
    let path = json["path"].as_str().context("the server's answer names no backup")?;
    Ok(PathBuf::from(path))
}

/// Moves a directory, copying it where a rename is not possible (another file system).
fn move_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    if to.exists() {
        bail!("{} exists already: name a new directory for the backup", to.display());
    }
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    tupu_api::restore(from, to)?;
    std::fs::remove_dir_all(from).with_context(|| format!("cannot remove {}", from.display()))?;
    Ok(())
}

/// Appends an entry for a command that changed the graph, by `cli:$USER`.
fn audit(data: &Path, action: &str, target: &str) -> anyhow::Result<()> {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned());
    tupu_api::AuditLog::open(&data.join("audit.log"))?.record(&format!("cli:{user}"), action, target, 0)?;
    Ok(())
}

fn import(
    store: &GraphStore,
    file: &Path,
    graph: Option<&str>,
    format: Option<&str>,
    replace: bool,
) -> anyhow::Result<ExitCode> {
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
