//! Evaluation of the recommender and of the BKT fitter, printed as tables:
//!
//! ```text
//! cargo test --release --workspace --test evaluation -- --nocapture
//! ```
//!
//! **Next steps.** Every policy teaches the same 1,000 simulated learners for 20 steps toward a
//! goal (the learner model is documented in `tupu_recommend`'s `sim` module) on the ChalkBase
//! demo graph and on a 5,000-node synthetic graph. The product promises that Tupu's ranking
//! reaches [`PROMISED_ADVANTAGE`] × the normalised learning gain of the better baseline.
//!
//! Tupu's checks (`ItemKind::Probe`) take it past the ready-to-learn fringe, so it beats the
//! "oracle, ready only" row, the best any ranking of that fringe could do even knowing the
//! learners; and when a goal's whole closure is believed mastered it consolidates the points
//! with the least evidence (`ItemKind::Consolidate`) where the baselines can only fall back on
//! the lowest belief. At the time of writing it reaches 1.21× on ChalkBase and 1.25× on the
//! synthetic graph; over 40 steps it must still lead (1.10× and 1.08×), and over 80 steps it
//! ties the best baseline (1.00× and 0.99×, not asserted). The default weights come from a sweep over the gain, check, order, unlock,
//! fit and goal weights, the check's scale and who is offered checks. What is left is mostly
//! the cost of confirming what a learner already knows: the learner model needs about two
//! correct answers to move a belief from its prior to mastery. That cost lives in the learner
//! model, which the baselines share (they read the same beliefs), so improving it lifts them as
//! much as Tupu: a per-learner prior (BKT's prior set from the learner's own first answers,
//! tried and left out) raised the random baseline by 15% and Tupu by 1%. A higher mastery
//! threshold would widen the ratio only by slowing the baselines down, so the threshold stays
//! at 0.85. The simulation is deterministic for its seed, so the promise is asserted.
//!
//! **EduSim's KSS.** The learner simulator of the literature (`tupu_benches::kss_evaluate`:
//! ten points, a learner learns only near the item last learnt, which Tupu cannot observe):
//! 1,000 learners × 20 steps, Tupu toward the learner's targets from their answers alone against
//! uniformly random items. At the time of writing 0.159 ± 0.005 against 0.115 ± 0.005: changing
//! course after repeated failure buys most of it (0.048 without), and not reviewing a stuck
//! point's prerequisites on and on the rest (0.141 with).
//!
//! **BKT fitting.** Answer sequences drawn from known parameters (2,000 learners × 15
//! opportunities) are fitted by EM; every parameter must come back within 0.05.

use tupu_benches::{KssPolicy, SyntheticSpec, generate};
use tupu_graph::{BktParams, GraphStore, Snapshot};
use tupu_recommend::{EvalConfig, EvalReport, FitConfig, Policy, fit_bkt, sample_sequences};

/// The advantage over the better baseline that the product promises.
const PROMISED_ADVANTAGE: f64 = 1.2;

/// Evaluates every policy on one graph, prints the table and checks what the report must show.
fn check_policies(name: &str, snapshot: &Snapshot) -> EvalReport {
    let report = tupu_recommend::evaluate(snapshot, &EvalConfig::default()).expect("the graph has goals");
    let advantage = report.advantage().expect("every policy ran");
    println!("\n== {name}\n{report}");
    println!("promised {PROMISED_ADVANTAGE}×: {}", if advantage >= PROMISED_ADVANTAGE { "met" } else { "NOT met" });
    let tupu = report.result(Policy::Tupu).expect("Tupu ran");
    let oracle = report.result(Policy::Oracle).expect("the oracle ran");
    let ready_only = report.result(Policy::OracleReady).expect("the oracle ran");
    assert!(
        report.margin > 2.0 * report.margin_std_error,
        "{name}: tupu does not teach more than the best baseline: {:+.4} ± {:.4}",
        report.margin,
        report.margin_std_error
    );
    assert!(tupu.normalised_gain > 0.0 && tupu.normalised_gain < 1.0);
    assert!(advantage >= PROMISED_ADVANTAGE, "{name}: tupu reaches {advantage:.3}× the best baseline");
    // Checks go beyond the fringe: no ranking of the ready-to-learn fringe does as well.
    assert!(
        tupu.normalised_gain > ready_only.normalised_gain + 2.0 * ready_only.std_error,
        "{name}: tupu {:.4} does not beat the best ranking of the fringe, {:.4} ± {:.4}",
        tupu.normalised_gain,
        ready_only.normalised_gain,
        ready_only.std_error
    );
    // The measure must reward knowing the learner: the unrestricted oracle beats everyone.
    for r in report.results.iter().filter(|r| r.policy != Policy::Oracle) {
        assert!(oracle.normalised_gain > r.normalised_gain, "{name}: {r:?} beats the oracle");
    }
    report
}

#[test]
fn tupu_teaches_more_than_the_baselines() {
    let store = GraphStore::in_memory().expect("in-memory store");
    tupu_ingest::load_bundled(&store, true).expect("the bundled data loads");
    check_policies("ChalkBase demo graph", &store.snapshot());
    let synthetic = generate(&SyntheticSpec::chalkbase_like(5_000, 42)).to_snapshot();
    check_policies("synthetic ChalkBase-like graph, 5,000 knowledge points", &synthetic);
    // The lead holds over episodes twice as long, where a stuck point's prerequisites offered
    // for review on and on once cost it (0.98× of the best baseline on the synthetic graph).
    for (name, snapshot) in [("ChalkBase demo graph", &*store.snapshot()), ("synthetic graph", &synthetic)] {
        let report = tupu_recommend::evaluate(snapshot, &EvalConfig { steps: 40, ..EvalConfig::default() })
            .expect("the graph has goals");
        println!("\n== {name}, 40 steps\n{report}");
        assert!(
            report.margin > 2.0 * report.margin_std_error,
            "{name}, 40 steps: {:+.4} ± {:.4}",
            report.margin,
            report.margin_std_error
        );
    }
}

#[test]
fn kss_learning_gain_against_random_items() {
    let results = tupu_benches::kss_evaluate(1_000, 20, 2019);
    println!("\n== EduSim's KSS, 1,000 learners × 20 steps");
    println!("{:<8} {:>9} {:>7} {:>15} {:>8}", "policy", "norm.gain", "± s.e.", "distinct items", "refused");
    for r in &results {
        println!(
            "{:<8} {:>9.3} {:>7.3} {:>15.2} {:>7.1}%",
            format!("{:?}", r.policy),
            r.gain,
            r.std_error,
            r.distinct_items,
            100.0 * r.refused
        );
    }
    let (tupu, random) = (&results[0], &results[1]);
    assert_eq!((tupu.policy, random.policy), (KssPolicy::Tupu, KssPolicy::Random));
    // From the answers alone, Tupu teaches more than random items, and does not spin on one
    // refused item (before it changed course after repeated failure: 0.048, 3.2 items, 91%
    // of the steps refused).
    let error = (tupu.std_error.powi(2) + random.std_error.powi(2)).sqrt();
    assert!(tupu.gain > random.gain + 2.0 * error, "{tupu:?} against {random:?}");
    assert!(tupu.distinct_items > 5.0 && tupu.refused < 0.6, "{tupu:?}");
}

#[test]
fn em_recovers_bkt_parameters() {
    let sets = [(0.20, 0.15, 0.10, 0.20), (0.40, 0.08, 0.05, 0.25), (0.10, 0.30, 0.15, 0.10), (0.60, 0.20, 0.20, 0.30)];
    let config = FitConfig::textbook();
    println!("\n== BKT recovery: 2,000 learners × 15 opportunities, EM from {:?}", config.init);
    println!("{:<4} {:<6} {:>6} {:>7} {:>9}", "set", "param", "true", "fitted", "|error|");
    for (i, &(prior, learn, slip, guess)) in sets.iter().enumerate() {
        let truth = BktParams { prior, learn, slip, guess, forget: 0.0 };
        let sequences = sample_sequences(&truth, 2_000, 15, 1_000 + i as u64);
        let fit = fit_bkt(&sequences, &config);
        let rows = [
            ("prior", truth.prior, fit.params.prior),
            ("learn", truth.learn, fit.params.learn),
            ("slip", truth.slip, fit.params.slip),
            ("guess", truth.guess, fit.params.guess),
        ];
        for (name, want, got) in rows {
            let error = (want - got).abs();
            println!("{i:<4} {name:<6} {want:>6.3} {got:>7.3} {error:>9.4}");
            assert!(error < 0.05, "set {i}, {name}: fitted {got}, true {want}");
        }
        println!(
            "     log-likelihood {:.1} after {} iterations{}",
            fit.log_likelihood,
            fit.iterations,
            if fit.converged { "" } else { " (not converged)" }
        );
    }
}
