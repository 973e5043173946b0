//! Fitting BKT parameters to logged answers by expectation–maximisation (Baum–Welch).
//!
//! The BKT model of [`bkt_update`](crate::bkt_update) is a two-state hidden Markov model
//! without forgetting:
//!
//! ```text
//!   start:  P(known) = prior
//!   unknown ──learn──▶ known ──1──▶ known          (one transition per opportunity)
//!   answer: P(correct | known) = 1 − slip,  P(correct | unknown) = guess
//! ```
//! Each answer is emitted by the state before the opportunity's transition. [`fit_bkt`] fits
//! the four parameters of one node to the answer sequences of many learners: the E-step runs
//! the scaled forward–backward algorithm on every sequence, the M-step sets each parameter to
//! its expected frequency:
//!
//! ```text
//! prior = mean of P(known at the first answer)
//! learn = Σ P(unknown at t, known at t+1) / Σ P(unknown at t)    (t before the last answer)
//! guess = Σ P(unknown at t) · [correct at t] / Σ P(unknown at t)
//! slip  = Σ P(known at t) · [wrong at t] / Σ P(known at t)
//! ```
//! Each result is then clamped into [`PRIOR_LEARN_BOUNDS`] or [`GUESS_SLIP_BOUNDS`]: guess and
//! slip at most 0.5 rule out the mirror solution where "known" means answering wrongly, and
//! the margins away from 0 and 1 keep every sequence possible. Each parameter has its own
//! term in the expected complete-data log-likelihood, concave in that parameter, so the
//! clamped value is still the constrained maximum and the log-likelihood never decreases from
//! one iteration to the next.
//!
//! [`fit_events`] groups logged events by node and by learner (in time order) and fits every
//! node; [`read_events`] reads them from a JSON Lines file.

use std::collections::BTreeMap;
use std::fmt;
use std::io::BufRead;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde_json::Value;
use tupu_graph::BktParams;

use crate::evidence::parse_timestamp;

/// Bounds of the fitted prior and learning rate.
pub const PRIOR_LEARN_BOUNDS: (f32, f32) = (0.001, 0.999);
/// Bounds of the fitted guess and slip.
pub const GUESS_SLIP_BOUNDS: (f32, f32) = (0.001, 0.5);

/// The result of fitting one node.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct BktFit {
    /// The fitted parameters.
    pub params: BktParams,
    /// Log-likelihood of the sequences under `params` (natural log).
    pub log_likelihood: f64,
    /// EM iterations run.
    pub iterations: usize,
    /// Whether the last iteration improved the log-likelihood by less than the tolerance.
    pub converged: bool,
    /// Answers fitted.
    pub observations: usize,
    /// Sequences (learners) fitted.
    pub sequences: usize,
}

/// Settings of [`fit_events`].
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct FitConfig {
    /// Where EM starts.
    pub init: BktParams,
    /// Most EM iterations per node.
    pub max_iter: usize,
    /// Stop when an iteration improves the log-likelihood by less than this.
    pub tol: f64,
}

impl Default for FitConfig {
    /// Starts from a learner who may or may not know the node (prior 0.5), learns slowly and
    /// answers with moderate noise; up to 500 iterations, tolerance 10⁻⁶.
    fn default() -> Self {
        Self { init: BktParams { prior: 0.5, learn: 0.1, slip: 0.2, guess: 0.2 }, max_iter: 500, tol: 1e-6 }
    }
}

/// The parameters in double precision, clamped into their bounds.
#[derive(Copy, Clone, Debug)]
struct Params {
    prior: f64,
    learn: f64,
    slip: f64,
    guess: f64,
}

impl Params {
    fn new(prior: f64, learn: f64, slip: f64, guess: f64) -> Self {
        let (lo, hi) = (f64::from(PRIOR_LEARN_BOUNDS.0), f64::from(PRIOR_LEARN_BOUNDS.1));
        let (glo, ghi) = (f64::from(GUESS_SLIP_BOUNDS.0), f64::from(GUESS_SLIP_BOUNDS.1));
        Self {
            prior: prior.clamp(lo, hi),
            learn: learn.clamp(lo, hi),
            slip: slip.clamp(glo, ghi),
            guess: guess.clamp(glo, ghi),
        }
    }

    fn from_bkt(p: &BktParams) -> Self {
        Self::new(f64::from(p.prior), f64::from(p.learn), f64::from(p.slip), f64::from(p.guess))
    }

    fn to_bkt(self) -> BktParams {
        BktParams {
            prior: self.prior as f32,
            learn: self.learn as f32,
            slip: self.slip as f32,
            guess: self.guess as f32,
        }
    }

    /// P(answer | unknown), P(answer | known).
    #[inline]
    fn emit(&self, correct: bool) -> (f64, f64) {
        if correct { (self.guess, 1.0 - self.slip) } else { (1.0 - self.guess, self.slip) }
    }
}

/// Expected counts of one E-step, and the log-likelihood it was computed at.
#[derive(Default)]
struct Counts {
    first_known: f64,
    sequences: f64,
    learnt: f64,
    could_learn: f64,
    guessed: f64,
    unknown: f64,
    slipped: f64,
    known: f64,
    log_likelihood: f64,
}

/// Scaled forward–backward over every sequence. O(total answers).
fn e_step(sequences: &[Vec<bool>], p: Params) -> Counts {
    let mut c = Counts::default();
    // alpha[t] = P(state at t | answers up to t); beta[t] scaled to match.
    let mut alpha: Vec<[f64; 2]> = Vec::new();
    let mut scale: Vec<f64> = Vec::new();
    let mut beta: Vec<[f64; 2]> = Vec::new();
    for seq in sequences.iter().filter(|s| !s.is_empty()) {
        let n = seq.len();
        alpha.clear();
        scale.clear();
        for (t, &answer) in seq.iter().enumerate() {
            let (e0, e1) = p.emit(answer);
            let (s0, s1) = match t {
                0 => (1.0 - p.prior, p.prior),
                _ => {
                    let [a0, a1] = alpha[t - 1];
                    (a0 * (1.0 - p.learn), a0 * p.learn + a1)
                }
            };
            let (u0, u1) = (s0 * e0, s1 * e1);
            let z = u0 + u1;
            alpha.push([u0 / z, u1 / z]);
            scale.push(z);
            c.log_likelihood += z.ln();
        }
        beta.clear();
        beta.resize(n, [1.0, 1.0]);
        for t in (0..n - 1).rev() {
            let (e0, e1) = p.emit(seq[t + 1]);
            let [b0, b1] = beta[t + 1];
            let z = scale[t + 1];
            beta[t] = [((1.0 - p.learn) * e0 * b0 + p.learn * e1 * b1) / z, e1 * b1 / z];
        }
        c.sequences += 1.0;
        for t in 0..n {
            let g0 = alpha[t][0] * beta[t][0];
            let g1 = alpha[t][1] * beta[t][1];
            let norm = g0 + g1;
            let (g0, g1) = (g0 / norm, g1 / norm);
            if t == 0 {
                c.first_known += g1;
            }
            if seq[t] {
                c.guessed += g0;
            } else {
                c.slipped += g1;
            }
            c.unknown += g0;
            c.known += g1;
            if t + 1 < n {
                let (_, e1) = p.emit(seq[t + 1]);
                c.learnt += alpha[t][0] * p.learn * e1 * beta[t + 1][1] / scale[t + 1];
                c.could_learn += g0;
            }
        }
    }
    c
}

/// The M-step: each parameter at its expected frequency (the old value where there is no
/// evidence for it), clamped.
fn m_step(c: &Counts, old: Params) -> Params {
    let ratio = |num: f64, den: f64, old: f64| if den > 1e-12 { num / den } else { old };
    Params::new(
        ratio(c.first_known, c.sequences, old.prior),
        ratio(c.learnt, c.could_learn, old.learn),
        ratio(c.slipped, c.known, old.slip),
        ratio(c.guessed, c.unknown, old.guess),
    )
}

/// The log-likelihood of answer sequences under BKT parameters (clamped into the fitting
/// bounds first). O(total answers).
pub fn bkt_log_likelihood(sequences: &[Vec<bool>], params: &BktParams) -> f64 {
    e_step(sequences, Params::from_bkt(params)).log_likelihood
}

/// Fits the BKT parameters of one node by expectation–maximisation.
///
/// # Arguments
/// * `sequences`: one sequence of answers per learner (true = correct), in time order; empty
///   sequences are ignored.
/// * `init`: where EM starts (clamped into the bounds).
/// * `max_iter`: most iterations.
/// * `tol`: stop once an iteration improves the log-likelihood by less than this.
///
/// # Returns
/// The parameters after the last iteration and their log-likelihood. Without any answer, the
/// clamped `init` with log-likelihood 0 and no iteration.
///
/// # Complexity
/// O(iterations · total answers) time, O(longest sequence) extra space.
///
/// ```
/// use tupu_graph::BktParams;
/// use tupu_recommend::{fit_bkt, sample_sequences};
///
/// let truth = BktParams { prior: 0.2, learn: 0.15, slip: 0.1, guess: 0.2 };
/// let sequences = sample_sequences(&truth, 500, 10, 1);
/// let start = BktParams { prior: 0.5, learn: 0.1, slip: 0.2, guess: 0.2 };
/// let fit = fit_bkt(&sequences, start, 200, 1e-6);
/// assert_eq!(fit.observations, 5_000);
/// assert!((fit.params.guess - truth.guess).abs() < 0.1);
/// ```
pub fn fit_bkt(sequences: &[Vec<bool>], init: BktParams, max_iter: usize, tol: f64) -> BktFit {
    let observations = sequences.iter().map(Vec::len).sum();
    let count = sequences.iter().filter(|s| !s.is_empty()).count();
    let mut params = Params::from_bkt(&init);
    if observations == 0 {
        return BktFit {
            params: params.to_bkt(),
            log_likelihood: 0.0,
            iterations: 0,
            converged: true,
            observations,
            sequences: count,
        };
    }
    let mut counts = e_step(sequences, params);
    let mut iterations = 0;
    let mut converged = false;
    while iterations < max_iter {
        let next = m_step(&counts, params);
        let next_counts = e_step(sequences, next);
        iterations += 1;
        let improvement = next_counts.log_likelihood - counts.log_likelihood;
        params = next;
        counts = next_counts;
        if improvement < tol {
            converged = true;
            break;
        }
    }
    BktFit {
        params: params.to_bkt(),
        log_likelihood: counts.log_likelihood,
        iterations,
        converged,
        observations,
        sequences: count,
    }
}

/// Answer sequences drawn from BKT's generative process: each learner starts knowing the node
/// with probability `prior`; at each opportunity they answer (correct with probability
/// `1 − slip` if they know it, `guess` if not) and then, if they did not know it, learn it
/// with probability `learn`. Deterministic for a seed. O(learners · opportunities).
pub fn sample_sequences(params: &BktParams, learners: usize, opportunities: usize, seed: u64) -> Vec<Vec<bool>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..learners)
        .map(|_| {
            let mut known = rng.random::<f32>() < params.prior;
            (0..opportunities)
                .map(|_| {
                    let p = if known { 1.0 - params.slip } else { params.guess };
                    let correct = rng.random::<f32>() < p;
                    if !known {
                        known = rng.random::<f32>() < params.learn;
                    }
                    correct
                })
                .collect()
        })
        .collect()
}

/// One logged answer, as [`fit_events`] reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FitEvent {
    /// Who answered.
    pub learner: String,
    /// The node the answer is evidence for (any identifier; fits are keyed by it).
    pub node: String,
    /// Whether the answer was correct.
    pub correct: bool,
    /// Unix time in seconds.
    pub time: i64,
}

/// Fits every node of an event log.
///
/// Events are grouped by node, then by learner; a learner's answers are put in time order
/// (equal times keep the order of the log) and fitted with [`fit_bkt`] from `config.init`.
/// Nodes are fitted in parallel.
///
/// # Returns
/// One fit per node, keyed and ordered by node.
///
/// # Complexity
/// O(e log e) to group and sort e events, then O(iterations · e) to fit.
pub fn fit_events(events: impl IntoIterator<Item = FitEvent>, config: &FitConfig) -> BTreeMap<String, BktFit> {
    let mut by_node: BTreeMap<String, BTreeMap<String, Vec<(i64, usize, bool)>>> = BTreeMap::new();
    for (i, e) in events.into_iter().enumerate() {
        by_node.entry(e.node).or_default().entry(e.learner).or_default().push((e.time, i, e.correct));
    }
    let nodes: Vec<(String, Vec<Vec<bool>>)> = by_node
        .into_iter()
        .map(|(node, learners)| {
            let sequences = learners
                .into_values()
                .map(|mut answers| {
                    answers.sort_unstable();
                    answers.into_iter().map(|a| a.2).collect()
                })
                .collect();
            (node, sequences)
        })
        .collect();
    nodes
        .into_par_iter()
        .map(|(node, sequences)| {
            let fit = fit_bkt(&sequences, config.init, config.max_iter, config.tol);
            (node, fit)
        })
        .collect()
}

/// A problem on one line of an events file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineProblem {
    /// Line number, from 1.
    pub line: usize,
    /// The field at fault (`json` when the line is not a JSON object).
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for LineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, {}: {}", self.line, self.field, self.message)
    }
}

/// Why an events file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum EventsFileError {
    /// The file could not be read.
    #[error("cannot read line {line}: {source}")]
    Io {
        /// The line being read, from 1.
        line: usize,
        /// The cause.
        source: std::io::Error,
    },
    /// Some lines are not valid events; every one is listed.
    #[error("{} invalid line(s):\n{}", .0.len(), list(.0))]
    Invalid(Vec<LineProblem>),
}

fn list(problems: &[LineProblem]) -> String {
    const SHOWN: usize = 20;
    let mut text: Vec<String> = problems.iter().take(SHOWN).map(|p| format!("  {p}")).collect();
    if problems.len() > SHOWN {
        text.push(format!("  … and {} more", problems.len() - SHOWN));
    }
    text.join("\n")
}

/// Reads answer events from JSON Lines, one object per line:
///
/// ```text
/// {"learner": "s1", "node": "add_within_10", "correct": true, "timestamp": "2024-03-01T09:30:00Z"}
/// {"learner": "s1", "node": "add_within_10", "score": 0.4, "timestamp": "2024-03-01T09:35:00+08:00"}
/// ```
/// `correct` is a boolean; `score`, a number in [0, 1], may stand in for it (≥ 0.5 counts as
/// correct). Other fields are ignored, and so are blank lines.
///
/// # Errors
/// [`EventsFileError::Invalid`] with every bad line (its number, the field, what is wrong)
/// when any line is bad: nothing is returned from a file with errors.
///
/// ```
/// use tupu_recommend::read_events;
///
/// let text = "{\"learner\": \"s1\", \"node\": \"n\", \"correct\": true, \"timestamp\": \"2024-03-01T09:30:00Z\"}\n\
///             {\"learner\": \"s1\", \"node\": \"n\", \"score\": \"high\", \"timestamp\": \"2024-03-01T09:40:00Z\"}\n";
/// let error = read_events(text.as_bytes()).unwrap_err();
/// assert_eq!(error.to_string(), "1 invalid line(s):\n  line 2, score: must be a number from 0 to 1");
/// ```
pub fn read_events(reader: impl BufRead) -> Result<Vec<FitEvent>, EventsFileError> {
    let mut events = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line_no = i + 1;
        let text = line.map_err(|source| EventsFileError::Io { line: line_no, source })?;
        if text.trim().is_empty() {
            continue;
        }
        match parse_line(&text) {
            Ok(event) => events.push(event),
            Err(found) => problems.extend(found.into_iter().map(|(field, message)| LineProblem {
                line: line_no,
                field: field.to_owned(),
                message,
            })),
        }
    }
    if problems.is_empty() { Ok(events) } else { Err(EventsFileError::Invalid(problems)) }
}

/// One line: the event, or every problem as (field, message).
fn parse_line(text: &str) -> Result<FitEvent, Vec<(&'static str, String)>> {
    let object = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return Err(vec![("json", "each line must be one JSON object".to_owned())]);
        }
        Err(e) => return Err(vec![("json", format!("not valid JSON: {e}"))]),
    };
    let mut problems = Vec::new();
    let mut text_field = |name: &'static str| match object.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(Value::String(_)) => {
            problems.push((name, "must not be empty".to_owned()));
            None
        }
        Some(_) => {
            problems.push((name, "must be a string".to_owned()));
            None
        }
        None => {
            problems.push((name, "missing".to_owned()));
            None
        }
    };
    let learner = text_field("learner");
    let node = text_field("node");
    let timestamp = text_field("timestamp");
    let time = timestamp.and_then(|t| {
        let parsed = parse_timestamp(&t);
        if parsed.is_none() {
            problems.push(("timestamp", format!("'{t}' is not an RFC 3339 timestamp such as 2024-03-01T09:30:00Z")));
        }
        parsed
    });
    let correct = match (object.get("correct"), object.get("score")) {
        (Some(Value::Bool(b)), None) => Some(*b),
        (Some(_), None) => {
            problems.push(("correct", "must be true or false".to_owned()));
            None
        }
        (None, Some(score)) => match score.as_f64() {
            Some(s) if (0.0..=1.0).contains(&s) => Some(s >= 0.5),
            _ => {
                problems.push(("score", "must be a number from 0 to 1".to_owned()));
                None
            }
        },
        (Some(_), Some(_)) => {
            problems.push(("score", "give either \"correct\" or \"score\", not both".to_owned()));
            None
        }
        (None, None) => {
            problems.push(("correct", "missing: give \"correct\" (true or false) or \"score\" (0 to 1)".to_owned()));
            None
        }
    };
    match (learner, node, time, correct) {
        (Some(learner), Some(node), Some(time), Some(correct)) if problems.is_empty() => {
            Ok(FitEvent { learner, node, correct, time })
        }
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(prior: f32, learn: f32, slip: f32, guess: f32) -> BktParams {
        BktParams { prior, learn, slip, guess }
    }

    #[test]
    fn em_never_lowers_the_likelihood() {
        let sequences = sample_sequences(&params(0.3, 0.2, 0.1, 0.25), 300, 12, 5);
        let mut p = Params::from_bkt(&FitConfig::default().init);
        let mut last = f64::NEG_INFINITY;
        for _ in 0..60 {
            let counts = e_step(&sequences, p);
            assert!(counts.log_likelihood >= last - 1e-9, "{} < {last}", counts.log_likelihood);
            last = counts.log_likelihood;
            p = m_step(&counts, p);
        }
        // It also improved on the start, and the public fit agrees with the loop.
        let start = bkt_log_likelihood(&sequences, &FitConfig::default().init);
        let fit = fit_bkt(&sequences, FitConfig::default().init, 500, 1e-9);
        assert!(fit.log_likelihood > start + 1.0);
        assert!(fit.log_likelihood >= last - 1e-6);
    }

    #[test]
    fn likelihood_matches_enumeration() {
        // Two answers: sum over the four hidden paths by hand.
        let p = params(0.3, 0.2, 0.1, 0.25);
        let (l0, t, s, g) = (0.3f64, 0.2f64, 0.1f64, 0.25f64);
        // Answers: correct, then wrong.
        let known_known = l0 * (1.0 - s) * s;
        let unknown_known = (1.0 - l0) * g * t * s;
        let unknown_unknown = (1.0 - l0) * g * (1.0 - t) * (1.0 - g);
        let expected = (known_known + unknown_known + unknown_unknown).ln();
        let got = bkt_log_likelihood(&[vec![true, false]], &p);
        assert!((got - expected).abs() < 1e-6, "{got} vs {expected}");
    }

    #[test]
    fn known_parameters_are_recovered() {
        for (i, truth) in [params(0.2, 0.15, 0.10, 0.20), params(0.4, 0.08, 0.05, 0.25), params(0.1, 0.30, 0.15, 0.10)]
            .iter()
            .enumerate()
        {
            let sequences = sample_sequences(truth, 2_000, 15, 100 + i as u64);
            let config = FitConfig::default();
            let fit = fit_bkt(&sequences, config.init, config.max_iter, config.tol);
            let got = fit.params;
            for (name, want, have) in [
                ("prior", truth.prior, got.prior),
                ("learn", truth.learn, got.learn),
                ("slip", truth.slip, got.slip),
                ("guess", truth.guess, got.guess),
            ] {
                assert!((want - have).abs() < 0.05, "{name}: fitted {have}, true {want} ({fit:?})");
            }
            assert!(fit.converged);
        }
    }

    #[test]
    fn bounds_hold_on_degenerate_data() {
        // Everyone always right: the fit must not run to slip = 0 or guess = 1.
        let fit = fit_bkt(&[vec![true, true], vec![true]], FitConfig::default().init, 100, 1e-9);
        let p = fit.params;
        assert!(p.slip >= GUESS_SLIP_BOUNDS.0 && p.guess <= GUESS_SLIP_BOUNDS.1);
        assert!(p.prior <= PRIOR_LEARN_BOUNDS.1 && p.learn >= PRIOR_LEARN_BOUNDS.0);
        let empty = fit_bkt(&[vec![]], FitConfig::default().init, 100, 1e-9);
        assert_eq!((empty.iterations, empty.observations, empty.sequences), (0, 0, 0));
    }

    #[test]
    fn events_are_grouped_by_node_and_ordered_by_time() {
        let event = |learner: &str, node: &str, correct, time| FitEvent {
            learner: learner.into(),
            node: node.into(),
            correct,
            time,
        };
        // s1 answers n1 wrong at t=1 and right at t=5, logged out of order.
        let events = vec![
            event("s1", "n1", true, 5),
            event("s2", "n1", true, 1),
            event("s1", "n1", false, 1),
            event("s1", "n2", true, 3),
        ];
        let fits = fit_events(events, &FitConfig::default());
        assert_eq!(fits.keys().collect::<Vec<_>>(), ["n1", "n2"]);
        assert_eq!((fits["n1"].observations, fits["n1"].sequences), (3, 2));
        let init = FitConfig::default().init;
        let ordered = fit_bkt(&[vec![false, true], vec![true]], init, 500, 1e-6);
        assert_eq!(fits["n1"], ordered);
    }

    fn check_file(text: &str, expected: Result<usize, &[(usize, &str)]>) {
        match (read_events(text.as_bytes()), expected) {
            (Ok(events), Ok(n)) => assert_eq!(events.len(), n),
            (Err(EventsFileError::Invalid(problems)), Err(want)) => {
                let got: Vec<(usize, &str)> = problems.iter().map(|p| (p.line, p.field.as_str())).collect();
                assert_eq!(got, want, "{problems:?}");
            }
            (got, want) => panic!("got {got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn events_file_lines_are_checked() {
        let good = r#"{"learner": "s1", "node": "n", "correct": false, "timestamp": "2024-03-01T09:30:00Z"}

{"learner": "s1", "node": "n", "score": 0.5, "timestamp": "2024-03-01T09:40:00+08:00", "extra": 1}
"#;
        check_file(good, Ok(2));
        let events = read_events(good.as_bytes()).unwrap();
        assert!(!events[0].correct && events[1].correct);
        assert_eq!(events[0].time, 1_709_285_400);
        let bad = r#"{"learner": "s1", "node": "n", "correct": true, "timestamp": "2024-03-01T09:30:00Z"}
not json
{"learner": "", "node": 3, "correct": "yes", "timestamp": "yesterday"}
{"learner": "s1", "node": "n", "correct": true, "score": 1, "timestamp": "2024-03-01T09:30:00Z"}
{"learner": "s1", "node": "n", "score": 2, "timestamp": "2024-03-01T09:30:00Z"}
{"learner": "s1", "node": "n"}
[1, 2]
"#;
        check_file(
            bad,
            Err(&[
                (2, "json"),
                (3, "learner"),
                (3, "node"),
                (3, "timestamp"),
                (3, "correct"),
                (4, "score"),
                (5, "score"),
                (6, "timestamp"),
                (6, "correct"),
                (7, "json"),
            ]),
        );
    }
}
