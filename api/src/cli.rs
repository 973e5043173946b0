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
use tupu_api::{AppState, ServerConfig, open_graph, open_learners, open_private_learners};
use tupu_graph::{Diagnostic, GraphStore, QueryOptions, graph_iri};
use tupu_ingest::{
    CHALKBASE_NS, ImportError, RdfImportOptions, ResourceFormat, import_chalkbase, import_rdf_file, import_resources,
    parse_format,
};
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
        /// Most intermediate rows one SPARQL query or update may produce.
        #[arg(long, env = "TUPU_MAX_QUERY_ROWS", default_value_t = tupu_graph::DEFAULT_ROW_BUDGET)]
        max_query_rows: u64,
        /// Largest SPARQL result body, in bytes.
        #[arg(long, env = "TUPU_MAX_RESULT_BYTES", default_value_t = 64 * 1024 * 1024)]
        max_result_bytes: usize,
        /// Most quads one SPARQL update may add and remove together.
        #[arg(long, env = "TUPU_MAX_UPDATE_QUADS", default_value_t = 1_000_000)]
        max_update_quads: usize,
        /// A name the server answers to in the Host header (repeat; default: the loopback names).
        #[arg(long = "allowed-host", env = "TUPU_ALLOWED_HOSTS", value_delimiter = ',')]
        allowed_hosts: Vec<String>,
        /// Longest wait for a request's headers, in milliseconds.
        #[arg(long, env = "TUPU_HEADER_TIMEOUT_MS", default_value_t = 10_000)]
        header_timeout_ms: u64,
        /// A connection idle this long (milliseconds) is closed.
        #[arg(long, env = "TUPU_IDLE_TIMEOUT_MS", default_value_t = 60_000)]
        idle_timeout_ms: u64,
        /// On SIGTERM or SIGINT, longest wait (milliseconds) for the requests in flight.
        #[arg(long, env = "TUPU_SHUTDOWN_TIMEOUT_MS", default_value_t = 30_000)]
        shutdown_timeout_ms: u64,
    },
    /// Manage API keys (stored hashed in DATA/keys.json; a running server reads changes).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Import a file (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD) or a ChalkBase folder
    /// as one all-or-nothing commit.
    Import {
        /// The file, or a ChalkBase folder.
        file: PathBuf,
        /// Target named graph: a name (`chalkbase`) or an IRI. Default: the file's stem.
        #[arg(long)]
        graph: Option<String>,
        /// Input format: turtle, ntriples, nquads, trig, rdfxml, jsonld, chalkbase, case (1EdTech
        /// CASE 1.1 JSON) or csv (the designers' template: code, label_zh, label_en, parent,
        /// prerequisites); for learning resources jsonl, resources-csv or chalkbase-exercises (a
        /// ChalkBase folder's exercises); for employment data esco (ESCO's CSV downloads, zipped
        /// or not, or an RDF file in ESCO's model), onet (a folder of O*NET tables), csco (the
        /// CSCO 2022 CSV), cn-majors (the catalogue of majors, JSON) or employment (JSON Lines of
        /// majors, micro-majors, courses, posts and graduate cohorts; see the templates).
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
    /// Fit BKT parameters (with forgetting) per knowledge point from an answer log by
    /// expectation–maximisation and store them in the graph (named graph `bkt`), one commit;
    /// prints a report line per node. A running server is refitted with
    /// `POST /api/v1/admin/fit-bkt` instead.
    FitBkt {
        /// The log: one `{"learner": ..., "node": ..., "correct": true|false|1|0, "timestamp": ...}`
        /// a line (JSON Lines, gzipped when the name ends in `.gz`; `skill` may stand for
        /// `node`; timestamps on every line or none, then line order counts). Without it, the events the learner store holds are fitted:
        /// those on knowledge points, a score of 0.5 or more counting as correct.
        events: Option<PathBuf>,
        /// Nodes with fewer answers than this keep their defaults.
        #[arg(long, default_value_t = 10)]
        min_observations: usize,
        /// Stop EM when an iteration improves the penalised log-likelihood by less than this.
        #[arg(long, default_value_t = 1e-6)]
        tolerance: f64,
        /// Most EM iterations per node.
        #[arg(long, default_value_t = 500)]
        max_iterations: usize,
        /// Pseudo-answers of each parameter's prior, centred on the fit of all answers pooled.
        #[arg(long, default_value_t = 4.0)]
        prior_strength: f64,
        /// Textbook BKT: no forgetting.
        #[arg(long)]
        no_forget: bool,
        /// Fit no weight for the learner's ability (answers are predicted by BKT alone).
        #[arg(long)]
        no_ability: bool,
        /// Fit no half-life of mastery from the time between answers (nodes keep the default
        /// of 14 days). Logs without timestamps fit none anyway.
        #[arg(long)]
        no_decay: bool,
        /// Fit and report, store nothing (unknown nodes are reported, not refused).
        #[arg(long)]
        dry_run: bool,
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
    /// Search every node and resource (prints what `GET /api/v1/search` returns).
    Search {
        /// The query (Chinese, English or a code).
        query: String,
        /// Only these kinds, comma-separated (knowledge_point, occupation, resource, ...).
        #[arg(long)]
        kind: Option<String>,
        /// Only this node's neighbourhood; resources aligned to it first.
        #[arg(long)]
        node: Option<String>,
        /// Only these school grades, comma-separated.
        #[arg(long)]
        level: Option<String>,
        /// Only these languages, comma-separated (zh, en).
        #[arg(long)]
        lang: Option<String>,
        /// Only these subjects.
        #[arg(long)]
        subject: Option<String>,
        /// Only these resource types (lesson, exercise, ...).
        #[arg(long = "type")]
        resource_type: Option<String>,
        /// Rank resources for this learner's ready-to-learn points higher.
        #[arg(long)]
        learner: Option<String>,
        /// Page size.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Hits to skip.
        #[arg(long, default_value_t = 0)]
        offset: usize,
    },
    /// Type-ahead on node labels (prints what `GET /api/v1/suggest` returns).
    Suggest {
        /// What was typed so far.
        prefix: String,
        /// Only these kinds, comma-separated.
        #[arg(long)]
        kind: Option<String>,
    },
    /// Link free texts to the nodes they are about (prints what `POST /api/v1/link` returns),
    /// or with --auto align every unaligned resource as one commit.
    Link {
        /// The texts (one or more); none with --auto.
        texts: Vec<String>,
        /// Wanted kinds, comma-separated (default: all but resources; with --auto:
        /// knowledge_point).
        #[arg(long)]
        kind: Option<String>,
        /// Nodes per text.
        #[arg(long, default_value_t = 5)]
        limit: usize,
        /// Align every resource that teaches and assesses nothing to its best node.
        #[arg(long)]
        auto: bool,
        /// With --auto: the lowest link score that is aligned.
        #[arg(long, default_value_t = 0.5)]
        threshold: f32,
        /// With --auto: the named graph of the new alignments.
        #[arg(long, default_value = "alignments")]
        graph: String,
    },
    /// Propose links from CSCO 2022's occupations to ESCO's (`skos:closeMatch`) through their
    /// ISCO-08 unit groups and English titles, so that matching reads ESCO's requirements for
    /// CSCO occupations. Prints every proposal with its score and shared words (tab-separated,
    /// for review) and, unless --dry-run, commits those at or above --min-score as one commit
    /// into their own named graph, replacing what an earlier run put there. Import both
    /// frameworks first.
    Crosswalk {
        /// The frameworks to link: csco-esco.
        #[arg(value_parser = ["csco-esco"])]
        pair: String,
        /// The lowest score committed (a cosine of title words in [0, 1]).
        #[arg(long, default_value_t = 0.6)]
        min_score: f32,
        /// The named graph of the links.
        #[arg(long, default_value = "crosswalk-csco-esco")]
        graph: String,
        /// Print the proposals only.
        #[arg(long)]
        dry_run: bool,
        /// Write the proposals to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Rebuild the search index from the store.
    Reindex,
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
    /// List the recorded commits, newest first: version, time, author, quads added and
    /// removed, message.
    History {
        /// At most this many commits.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Only commits that touched this node (IRI or local name).
        #[arg(long)]
        node: Option<String>,
    },
    /// Undo a recorded commit as a new, validated commit (refused when later commits changed
    /// the same quads).
    Revert {
        /// The version of the commit to undo (as `tupu history` lists it).
        version: u64,
        /// Who reverts it.
        #[arg(long)]
        author: Option<String>,
        /// Why [default: Revert commit N: MESSAGE].
        #[arg(long)]
        message: Option<String>,
    },
    /// Write one named graph to standard output (or a file).
    Export {
        /// The named graph: a name (`chalkbase`) or an IRI.
        #[arg(long)]
        graph: String,
        /// turtle, ntriples, nquads, trig, rdfxml, jsonld, case (1EdTech CASE 1.1 JSON) or csv.
        #[arg(long, default_value = "turtle")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// Create a key and print it (once: only its hash is stored).
    Create {
        /// admin, designer, reviewer, app, employment or reader.
        #[arg(long)]
        role: tupu_api::auth::Role,
        /// The tenant (needed for app keys: their learners live in its namespace).
        #[arg(long)]
        tenant: Option<String>,
    },
    /// List the keys: id, role, tenant, creation time.
    List,
    /// Revoke a key by its id.
    Revoke {
        /// The id `keys list` shows.
        id: String,
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
        Command::Serve {
            config,
            addr,
            no_demo,
            read_only,
            query_timeout_ms,
            max_body_bytes,
            next_cache_ms,
            max_query_rows,
            max_result_bytes,
            max_update_quads,
            allowed_hosts,
            header_timeout_ms,
            idle_timeout_ms,
            shutdown_timeout_ms,
        } => {
            let overrides =
                tupu_api::Overrides { addr, read_only, no_demo, query_timeout_ms, max_body_bytes, next_cache_ms };
            let settings = tupu_api::Settings::load(config.as_deref(), &overrides)?;
            let addr = settings.addr;
            std::fs::create_dir_all(&args.data)
                .with_context(|| format!("cannot create the data directory {}", args.data.display()))?;
            let keys_file = args.data.join("keys.json");
            let keys = tupu_api::auth::KeyStore::open(&keys_file)?;
            if keys.is_empty() {
                if !addr.ip().is_loopback() {
                    bail!(
                        "no API key is configured, so the server may only listen on loopback, not {addr}: create keys with `tupu keys create --role admin` first"
                    );
                }
                eprintln!(
                    "tupu: no API key configured: local mode, every route open on loopback only (create one with `tupu keys create`)"
                );
            }
            let graph = open_graph(&args.data, !settings.no_demo)?;
            let mut hosts = tupu_api::auth::loopback_hosts();
            hosts.extend(allowed_hosts);
            let secret = learner_secret(&args.data)?;
            let learners = open_private_learners(&args.data, settings.recommend.clone(), &secret)?;
            let config = ServerConfig {
                max_query_rows,
                max_result_bytes,
                max_update_quads,
                keys_file: Some(keys_file),
                allowed_hosts: hosts,
                learner_secret: Some(secret),
                ..settings.server_config()
            };
            let search = tupu_api::open_search(&args.data, &graph)?;
            let audit = tupu_api::AuditLog::open(&args.data.join("audit.log"))?;
            let state = AppState::new(std::sync::Arc::new(graph), std::sync::Arc::new(learners), config)
                .with_search(search)
                .with_audit(std::sync::Arc::new(audit))
                .with_data_dir(&args.data);
            eprintln!("tupu: serving {} on http://{addr}", args.data.display());
            let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            let options = tupu_api::ServeOptions {
                header_timeout: Duration::from_millis(header_timeout_ms),
                idle_timeout: Duration::from_millis(idle_timeout_ms),
                shutdown_timeout: Duration::from_millis(shutdown_timeout_ms),
                ..tupu_api::ServeOptions::default()
            };
            runtime.block_on(tupu_api::serve(state, addr, options))?;
            // The tasks still holding the state are dropped here, which flushes the stores.
            runtime.shutdown_timeout(Duration::from_secs(5));
            eprintln!("tupu: stopped");
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { file, graph, format, replace } => {
            let store = open_graph(&args.data, false)?;
            let code = import(&store, &file, graph.as_deref(), format.as_deref(), replace)?;
            audit(&args.data, "graph.import", &file.display().to_string())?;
            Ok(code)
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
        Command::Keys { command } => keys(&args.data, command),
        Command::FitBkt {
            events,
            min_observations,
            tolerance,
            max_iterations,
            prior_strength,
            no_forget,
            no_ability,
            no_decay,
            dry_run,
            graph,
        } => {
            if !(tolerance > 0.0) || max_iterations == 0 || !(prior_strength >= 0.0) {
                bail!("--tolerance must be above 0, --max-iterations at least 1 and --prior-strength 0 or more");
            }
            let config = tupu_recommend::FitConfig {
                max_iter: max_iterations,
                tol: tolerance,
                forget: !no_forget,
                ability: !no_ability,
                decay: !no_decay,
                prior_strength,
                min_observations,
                ..tupu_recommend::FitConfig::default()
            };
            fit_bkt(&args.data, events.as_deref(), &config, &graph, dry_run)
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
        Command::Search { query, kind, node, level, lang, subject, resource_type, learner, limit, offset } => {
            let filters = [
                ("kind", kind),
                ("node", node),
                ("level", level),
                ("lang", lang),
                ("subject", subject),
                ("type", resource_type),
                ("learner", learner),
                ("limit", Some(limit.to_string())),
                ("offset", Some(offset.to_string())),
            ];
            crate::search_cli::search(&args.data, &query, &filters)
        }
        Command::Suggest { prefix, kind } => crate::search_cli::suggest(&args.data, &prefix, kind.as_deref()),
        Command::Link { texts, kind, limit, auto, threshold, graph } => {
            if auto {
                if !texts.is_empty() {
                    bail!("--auto aligns the graph's resources: give no texts with it");
                }
                crate::search_cli::auto_link(&args.data, threshold, kind, &graph)
            } else {
                if texts.is_empty() {
                    bail!("give one or more texts to link, or --auto");
                }
                crate::search_cli::link(&args.data, texts, kind, limit)
            }
        }
        Command::Crosswalk { pair: _, min_score, graph, dry_run, output } => {
            let code = crosswalk(&args.data, min_score, &graph, dry_run, output.as_deref())?;
            if !dry_run {
                audit(&args.data, "graph.crosswalk", &graph)?;
            }
            Ok(code)
        }
        Command::Reindex => crate::search_cli::reindex(&args.data),
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
            let integrity = tupu_graph::integrity(&store.snapshot(), store.store());
            for f in &integrity {
                eprintln!("warning[{}]: {}\n  fix: {}", f.rule, f.message, f.hint);
            }
            if !integrity.is_empty() {
                eprintln!(
                    "{} integrity warning(s); GET /api/v1/validate gives each with a fix to apply",
                    integrity.len()
                );
            }
            let violations = findings.iter().filter(|d| d.is_violation()).count();
            eprintln!("{violations} violation(s), {} warning(s)", findings.len() - violations);
            Ok(if violations == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::History { limit, node } => {
            let store = open_graph(&args.data, false)?;
            // A node of the graph by IRI or local name; a removed node by its full IRI.
            let snapshot = store.snapshot();
            let node = node.map(|id| snapshot.resolve(&id).map(|n| snapshot.iri(n).to_owned()).unwrap_or(id));
            let filter = tupu_graph::HistoryFilter { node, limit: limit.max(1), ..Default::default() };
            let mut out = std::io::stdout().lock();
            for c in store.history().list(&filter)? {
                let time = chrono::DateTime::from_timestamp_millis(c.time_ms)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{}\t{time}\t{}\t+{} -{}\t{}",
                    c.version,
                    c.author.as_deref().unwrap_or("-"),
                    c.added,
                    c.removed,
                    c.message.as_deref().unwrap_or("")
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Revert { version, author, message } => {
            let store = open_graph(&args.data, false)?;
            let author = author.or_else(|| std::env::var("USER").ok().map(|u| format!("cli:{u}")));
            let report = tupu_graph::revert(&store, version, author, message)?;
            audit(&args.data, "graph.revert", &format!("commit {version} as version {}", report.version))?;
            print_diagnostics(&report.warnings);
            eprintln!(
                "reverted commit {version}: added {}, removed {}; snapshot version {}",
                report.added, report.removed, report.version
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { graph, format, output } => {
            let store = open_graph(&args.data, false)?;
            if format == "case" || format == "csv" {
                let graph = graph_iri(&graph)?;
                let text = if format == "csv" {
                    tupu_ingest::export_csv(&store, &graph)?
                } else {
                    serde_json::to_string_pretty(&tupu_ingest::export_case(&store, &graph)?)?
                };
                match output {
                    Some(path) => {
                        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?
                    }
                    None => writeln!(std::io::stdout().lock(), "{text}")?,
                }
                return Ok(ExitCode::SUCCESS);
            }
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

/// The data directory's pseudonymisation secret (created on first use).
fn learner_secret(data: &Path) -> anyhow::Result<tupu_api::privacy::LearnerSecret> {
    std::fs::create_dir_all(data).with_context(|| format!("cannot create the data directory {}", data.display()))?;
    tupu_api::privacy::LearnerSecret::load_or_create(data)
        .with_context(|| format!("cannot read or create {}", data.join("learner-secret").display()))
}

fn keys(data: &Path, command: KeysCommand) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(data).with_context(|| format!("cannot create the data directory {}", data.display()))?;
    let store = tupu_api::auth::KeyStore::in_dir(data)?;
    let mut out = std::io::stdout().lock();
    match command {
        KeysCommand::Create { role, tenant } => {
            let (key, entry) = store.create(role, tenant.as_deref())?;
            writeln!(out, "{key}")?;
            eprintln!(
                "created key {} (role {}{}); it is shown only now: keep it secret",
                entry.id,
                entry.role.name(),
                entry.tenant.as_deref().map(|t| format!(", tenant {t}")).unwrap_or_default()
            );
        }
        KeysCommand::List => {
            for k in store.list()? {
                writeln!(out, "{}\t{}\t{}\t{}", k.id, k.role.name(), k.tenant.as_deref().unwrap_or("-"), k.created)?;
            }
        }
        KeysCommand::Revoke { id } => {
            let entry = store.revoke(&id)?;
            eprintln!("revoked key {} (role {})", entry.id, entry.role.name());
        }
    }
    Ok(ExitCode::SUCCESS)
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
        Some("employment") => {
            Some(tupu_ingest::import_employment(store, file, &graph_iri(graph.unwrap_or("employment"))?, replace)?)
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
    let resources = format.and_then(ResourceFormat::parse).or_else(|| match format {
        None => file.extension().and_then(|e| e.to_str()).and_then(ResourceFormat::parse),
        Some(_) => None,
    });
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("import");
    let report = if let Some(resources) = resources {
        let graph = graph_iri(graph.unwrap_or("resources"))?;
        import_resources(store, file, resources, &graph, replace)?
    } else if format == Some("case") {
        tupu_ingest::import_case(store, file, &graph_iri(graph.unwrap_or(stem))?, replace)?
    } else if format == Some("csv") || (format.is_none() && file.extension().is_some_and(|e| e == "csv")) {
        let target = graph_iri(graph.unwrap_or(stem))?;
        let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
        let quads = tupu_ingest::convert_csv(&text, &file.display().to_string(), &target)?;
        tupu_ingest::commit_quads(store, quads, &target, replace, format!("import CSV {}", file.display()))?
    } else if chalkbase {
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

/// Runs `tupu crosswalk csco-esco`.
fn crosswalk(
    data: &Path,
    min_score: f32,
    graph: &str,
    dry_run: bool,
    output: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    if !(0.0..=1.0).contains(&min_score) {
        bail!("--min-score {min_score} is outside [0, 1]");
    }
    let store = open_graph(data, false)?;
    let target = graph_iri(graph).with_context(|| format!("'{graph}' is not a graph name"))?;
    let proposals = tupu_ingest::crosswalk::propose(&store)?;
    if proposals.esco_occupations == 0 {
        bail!(
            "no ESCO occupation with an ISCO-08 unit group in {}: import ESCO first (tupu import esco-v1.1.1 --format esco)",
            data.display()
        );
    }
    if proposals.considered == 0 {
        bail!(
            "no CSCO occupation with an ISCO-08 unit group in {}: import CSCO 2022 (tupu import csco22.csv --format csco) and ESCO (--format esco) first",
            data.display()
        );
    }
    let mut out: Box<dyn Write> = match output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    writeln!(out, "score\tcommitted\tcode\tname\ttitle\tesco_label\tmatched_label\tisco\tshared\tesco")?;
    for p in &proposals.best {
        writeln!(
            out,
            "{:.3}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            p.score,
            !dry_run && p.score >= min_score,
            p.code,
            p.name,
            p.title,
            p.esco_label,
            p.matched_label,
            p.isco,
            p.shared.join(" "),
            p.esco.as_str()
        )?;
    }
    out.flush()?;
    let accepted = proposals.accepted(min_score).count();
    eprintln!(
        "{} CSCO occupations considered, {} without an ESCO occupation in their ISCO-08 groups, {} with a candidate, {} at or above {min_score}",
        proposals.considered,
        proposals.without_candidates,
        proposals.best.len(),
        accepted
    );
    if !dry_run {
        let report = tupu_ingest::commit_quads(
            &store,
            proposals.quads(min_score, &target),
            &target,
            true,
            format!("crosswalk CSCO 2022 to ESCO: {accepted} skos:closeMatch at or above {min_score}"),
        )?;
        eprintln!("committed {accepted} links into graph {graph}; snapshot version {}", report.commit.version);
    }
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

    use crate::search_cli::enc;
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
    let secret = learner_secret(data)?;
    let learners = open_private_learners(data, RecommendConfig::default(), &secret)?;
    let config = ServerConfig { learner_secret: Some(secret), ..ServerConfig::default() };
    let state = AppState::new(std::sync::Arc::new(graph), std::sync::Arc::new(learners), config);
    crate::search_cli::call_api(state, method, uri, body)
}

/// The answers on knowledge points that the learner store of `data` holds, for `fit-bkt`.
fn stored_answers(data: &Path, snapshot: &tupu_graph::Snapshot) -> anyhow::Result<Vec<tupu_recommend::FitEvent>> {
    let path = data.join("learners.redb");
    if !path.exists() {
        bail!("{} holds no learner store: give an answer log file, or record events first", data.display());
    }
    let store = tupu_recommend::RedbLearnerStore::open(&path).with_context(|| {
        format!(
            "cannot open the learner store {} (a running server holds it: refit through POST /api/v1/admin/fit-bkt)",
            path.display()
        )
    })?;
    let (log, other, gone) = tupu_api::stored_answers(&store, snapshot)?;
    eprintln!(
        "{} answers on knowledge points from the learner store; left out: {other} on other nodes (resources), {gone} on nodes no longer in the graph",
        log.len()
    );
    Ok(log)
}

/// `tupu fit-bkt`: checks the log, fits, prints a report line per node, then writes
/// `tupu:bktPrior`, `bktLearn`, `bktSlip`, `bktGuess`, `bktForget` for every node with enough
/// answers, replacing earlier fits of those nodes, as one commit.
fn fit_bkt(
    data: &Path,
    events: Option<&Path>,
    config: &tupu_recommend::FitConfig,
    graph: &str,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    let store = open_graph(data, false)?;
    let snapshot = store.snapshot();
    let log = match events {
        Some(events) => {
            let file = std::fs::File::open(events).with_context(|| format!("cannot open {}", events.display()))?;
            let reader: Box<dyn std::io::BufRead> = if events.extension().is_some_and(|e| e == "gz") {
                Box::new(std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file)))
            } else {
                Box::new(std::io::BufReader::new(file))
            };
            tupu_recommend::read_events(reader)
                .with_context(|| format!("{} is not a valid answer log; nothing was fitted", events.display()))?
        }
        None => stored_answers(data, &snapshot)?,
    };
    let started = std::time::Instant::now();
    let outcome = tupu_api::fit_into_graph(&store, log, config, graph, dry_run)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "node\tanswers\tlearners\titerations\tlog_likelihood\tstatus\tprior\tlearn\tforget\tslip\tguess\thalf_life_days\tnote"
    )?;
    for n in &outcome.nodes {
        let params = n.fitted.map_or_else(
            || "-\t-\t-\t-\t-".to_owned(),
            |p| format!("{:.4}\t{:.4}\t{:.4}\t{:.4}\t{:.4}", p.prior, p.learn, p.forget, p.slip, p.guess),
        );
        let status = serde_json::to_value(n.status)?;
        let half_life = n.half_life.map_or_else(|| "-".to_owned(), |h| format!("{:.3}", h.days));
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{:.2}\t{}\t{params}\t{half_life}\t{}",
            n.node,
            n.answers,
            n.learners,
            n.iterations,
            n.log_likelihood,
            status.as_str().unwrap_or_default(),
            n.kept_defaults.as_deref().map_or_else(String::new, |why| format!("kept defaults: {why}"))
        )?;
    }
    let capped = outcome.nodes.iter().filter(|n| n.status == tupu_recommend::FitStatus::Capped).count();
    let timed: Vec<_> = outcome.nodes.iter().filter_map(|n| n.half_life).collect();
    if !timed.is_empty() {
        let (default, fitted): (f64, f64) =
            timed.iter().fold((0.0, 0.0), |(d, f), h| (d + h.log_likelihood_default, f + h.log_likelihood));
        eprintln!(
            "half-life of mastery fitted on {} node(s) from {} answer(s) given after an earlier one: log-likelihood {:.2} with the default of {} days, {:.2} fitted",
            timed.len(),
            timed.iter().map(|h| h.timed_answers).sum::<usize>(),
            default,
            tupu_recommend::DEFAULT_HALF_LIFE_DAYS,
            fitted
        );
    }
    if let Some(a) = outcome.ability {
        eprintln!(
            "learner ability weight {:.4} over {} answer(s) in {} Newton step(s): log-likelihood {:.2} without it, {:.2} with it",
            a.weight, a.answers, a.iterations, a.log_likelihood_without, a.log_likelihood
        );
    }
    eprintln!(
        "fitted {} node(s) in {:.2} s ({capped} stopped at the iteration cap), {} kept their defaults; {}",
        outcome.fitted,
        started.elapsed().as_secs_f64(),
        outcome.kept_defaults,
        match outcome.version {
            Some(v) => format!("graph {}, snapshot version {v}", outcome.graph),
            None if dry_run => "dry run: nothing stored".to_owned(),
            None => "nothing stored".to_owned(),
        }
    );
    Ok(ExitCode::SUCCESS)
}
