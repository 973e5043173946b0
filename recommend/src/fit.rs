//! Fitting BKT parameters to logged answers by expectation–maximisation (Baum–Welch).
//!
//! The model is the one served (equations in the `bkt` module): a two-state hidden Markov
//! model with learning and, optionally, forgetting:
//!
//! ```text
//!   start:  P(known) = prior
//!   unknown ──learn──▶ known,   known ──forget──▶ unknown     (one transition per opportunity)
//!   answer: P(correct | known) = 1 − slip,  P(correct | unknown) = guess
//! ```
//! Each answer is emitted by the state before the opportunity's transition. [`fit_bkt`] fits
//! the parameters of one node to the answer sequences of many learners: the E-step runs the
//! scaled forward–backward algorithm on every sequence, the M-step sets each parameter to its
//! expected frequency, with `k` pseudo-answers at the centre `m` of a Beta prior
//! ([`FitConfig::prior_strength`]; maximum a posteriori, so that a node with two answers
//! stays near the centre instead of running to 0.001 or 0.999):
//!
//! ```text
//! prior  = (Σ P(known at the first answer) + k·m) / (sequences + k)
//! learn  = (Σ P(unknown at t, known at t+1) + k·m) / (Σ P(unknown at t) + k)   (t before the last answer)
//! forget = (Σ P(known at t, unknown at t+1) + k·m) / (Σ P(known at t) + k)     (0 when not fitted)
//! guess  = (Σ P(unknown at t) · [correct at t] + k·m) / (Σ P(unknown at t) + k)
//! slip   = (Σ P(known at t) · [wrong at t] + k·m) / (Σ P(known at t) + k)
//! ```
//! Each result is then clamped into [`PRIOR_LEARN_BOUNDS`], [`FORGET_BOUNDS`] or
//! [`GUESS_SLIP_BOUNDS`]: guess and slip at most 0.5 rule out the mirror solution where
//! "known" means answering wrongly, and the margins away from 0 and 1 keep every sequence
//! possible. Each parameter has its own term in the expected complete-data log-posterior,
//! concave in that parameter, so the clamped value is still the constrained maximum and the
//! penalised log-likelihood never decreases from one iteration to the next; EM stops when it
//! improves by less than the tolerance (converged) or at the iteration cap (capped).
//!
//! [`fit_events`] groups logged events by node and by learner (in time order, or line order
//! without timestamps), fits all answers pooled into one model first, and then every node
//! with its prior centred on the pooled fit: shrinkage toward the global means, so a node
//! with little data looks like the average node. [`read_events`] reads a JSON Lines log.
//!
//! [`fit_model`] then fits the weight `w` of the learner's ability (see the `bkt` module):
//! it replays every learner's answers in order through the fitted nodes, as the server would,
//! and maximises the log-likelihood of the answers on fitted nodes under
//! `P(correct) = σ(logit(p_BKT) + w · z)`, a logistic regression on one variable with BKT's
//! log-odds as offset, by Newton's method with a weak Gaussian prior on `w` (standard
//! deviation [`ABILITY_PRIOR_SD`]). The log-likelihood is concave in `w`, so Newton's method
//! converges to the one maximum in a few steps.

use std::collections::BTreeMap;
use std::fmt;
use std::io::BufRead;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde_json::Value;
use tupu_graph::BktParams;

use crate::bkt::Params;
use crate::evidence::parse_timestamp;

/// Bounds of the fitted prior and learning rate.
pub const PRIOR_LEARN_BOUNDS: (f32, f32) = (0.001, 0.999);
/// Bounds of the fitted guess and slip.
pub const GUESS_SLIP_BOUNDS: (f32, f32) = (0.001, 0.5);
/// Bounds of the fitted forgetting rate.
pub const FORGET_BOUNDS: (f32, f32) = (0.0, 0.5);

/// Where EM starts the forgetting rate when the start given has none.
const FORGET_START: f64 = 0.05;

/// How fitting one node ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FitStatus {
    /// An iteration improved the penalised log-likelihood by less than the tolerance.
    Converged,
    /// The iteration cap was reached first.
    Capped,
    /// Fewer answers than [`FitConfig::min_observations`]: not fitted, the node keeps its
    /// defaults.
    TooLittleData,
}

/// The result of fitting one node.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct BktFit {
    /// The fitted parameters (the start, for a node with too little data).
    pub params: BktParams,
    /// Log-likelihood of the sequences under `params` (natural log).
    pub log_likelihood: f64,
    /// EM iterations run.
    pub iterations: usize,
    /// Whether the last iteration improved the penalised log-likelihood by less than the
    /// tolerance.
    pub converged: bool,
    /// How the fit ended.
    pub status: FitStatus,
    /// Answers fitted.
    pub observations: usize,
    /// Sequences (learners) fitted.
    pub sequences: usize,
}

/// Settings of [`fit_bkt`] and [`fit_events`].
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct FitConfig {
    /// Where EM starts, and the centre of the parameters' priors (for [`fit_events`] with
    /// `pool`, the pooled fit replaces it).
    pub init: BktParams,
    /// Most EM iterations per node.
    pub max_iter: usize,
    /// Stop when an iteration improves the penalised log-likelihood by less than this.
    pub tol: f64,
    /// Fit the forgetting rate (otherwise it is 0: textbook BKT).
    pub forget: bool,
    /// Pseudo-answers of each parameter's Beta prior (0: maximum likelihood).
    pub prior_strength: f64,
    /// Nodes with fewer answers are not fitted ([`FitStatus::TooLittleData`]).
    pub min_observations: usize,
    /// [`fit_events`]: fit all answers pooled first and centre every node's prior on it.
    pub pool: bool,
    /// [`fit_model`]: fit the weight of the learner's ability (otherwise none is fitted).
    pub ability: bool,
    /// [`fit_model`]: fit each node's half-life of mastery from the time between a learner's
    /// answers (otherwise none is fitted, and nodes keep the default).
    pub decay: bool,
}

impl Default for FitConfig {
    /// Starts from a learner who may or may not know the node (prior 0.5), learns slowly,
    /// rarely forgets and answers with moderate noise; forgetting fitted; priors worth 4
    /// answers, centred on the pooled fit; at least 10 answers a node; up to 500 iterations,
    /// tolerance 10⁻⁶.
    fn default() -> Self {
        Self {
            init: BktParams { prior: 0.5, learn: 0.1, slip: 0.2, guess: 0.2, forget: 0.05 },
            max_iter: 500,
            tol: 1e-6,
            forget: true,
            prior_strength: 4.0,
            min_observations: 10,
            pool: true,
            ability: true,
            decay: true,
        }
    }
}

impl FitConfig {
    /// Textbook BKT by maximum likelihood: no forgetting, no prior, no pooling, no ability.
    pub fn textbook() -> Self {
        Self {
            init: BktParams { forget: 0.0, ..Self::default().init },
            forget: false,
            prior_strength: 0.0,
            pool: false,
            ability: false,
            decay: false,
            min_observations: 1,
            ..Self::default()
        }
    }
}

/// Clamps parameters into their bounds (forget to 0 when it is not fitted).
fn bounded(p: Params, forget: bool) -> Params {
    let b = |x: f64, (lo, hi): (f32, f32)| x.clamp(f64::from(lo), f64::from(hi));
    Params {
        prior: b(p.prior, PRIOR_LEARN_BOUNDS),
        learn: b(p.learn, PRIOR_LEARN_BOUNDS),
        forget: if forget { b(p.forget, FORGET_BOUNDS) } else { 0.0 },
        slip: b(p.slip, GUESS_SLIP_BOUNDS),
        guess: b(p.guess, GUESS_SLIP_BOUNDS),
    }
}

/// Expected counts of one E-step, and the log-likelihood it was computed at.
#[derive(Default, Clone, Copy)]
struct Counts {
    first_known: f64,
    sequences: f64,
    learnt: f64,
    could_learn: f64,
    forgot: f64,
    could_forget: f64,
    guessed: f64,
    unknown: f64,
    slipped: f64,
    known: f64,
    log_likelihood: f64,
}

impl Counts {
    fn add(mut self, o: Self) -> Self {
        self.first_known += o.first_known;
        self.sequences += o.sequences;
        self.learnt += o.learnt;
        self.could_learn += o.could_learn;
        self.forgot += o.forgot;
        self.could_forget += o.could_forget;
        self.guessed += o.guessed;
        self.unknown += o.unknown;
        self.slipped += o.slipped;
        self.known += o.known;
        self.log_likelihood += o.log_likelihood;
        self
    }
}

/// One step of the forward algorithm: from `P(state before answer t | earlier answers)` to the
/// filtered `P(state at t | answers up to t)` and the answer's probability. The state is
/// `[unknown, known]`.
#[inline]
fn filter(predicted: [f64; 2], answer: bool, p: &Params) -> ([f64; 2], f64) {
    let (e0, e1) = p.emit(answer);
    let (u0, u1) = (predicted[0] * e0, predicted[1] * e1);
    let z = u0 + u1;
    ([u0 / z, u1 / z], z)
}

/// The transition after an opportunity.
#[inline]
fn advance(filtered: [f64; 2], p: &Params) -> [f64; 2] {
    let [a0, a1] = filtered;
    [a0 * (1.0 - p.learn) + a1 * p.forget, a0 * p.learn + a1 * (1.0 - p.forget)]
}

/// The fitted model's forward pass over one sequence: for each answer, the probability that it
/// is correct given the answers before it. What [`crate::LearnerState::observe`] serves for the
/// same sequence (checked to 10⁻⁶ in the tests). O(answers).
pub fn forward_predictions(answers: &[bool], params: &BktParams) -> Vec<f64> {
    let p = Params::from(params);
    let mut state = [1.0 - p.prior, p.prior];
    answers
        .iter()
        .map(|&answer| {
            let predicted = state[0] * p.guess + state[1] * (1.0 - p.slip);
            state = advance(filter(state, answer, &p).0, &p);
            predicted
        })
        .collect()
}

/// The time between a learner's answers on one node: `gaps[t]` seconds between answers
/// `t − 1` and `t` of each sequence (`gaps[0]` unused), and the node's half-life `days`.
#[derive(Copy, Clone)]
struct Timing<'a> {
    gaps: &'a [Vec<i64>],
    days: f64,
}

/// The expected outcome of the decay before one answer given some time after the previous one
/// (see the `bkt` module): `a = ln 2 · Δt / 2^min(c − 1, 6)` in days (so that the retention
/// is `e^(−a / H)`), and the expected counts of mastery kept and lost through it.
#[derive(Copy, Clone)]
struct DecayStat {
    a: f64,
    kept: f64,
    lost: f64,
}

/// `[P(unknown), P(known)]` after mastery is kept with probability `r` (see the `bkt`
/// module): what the E-step and the served model's replay both do between two answers.
#[inline]
fn decay_state(state: [f64; 2], r: f64) -> [f64; 2] {
    [state[0] + state[1] * (1.0 - r), state[1] * r]
}

/// The log-density, up to a constant, of the prior on a node's half-life of `days`
/// ([`HALF_LIFE_PRIOR_SD`], centred on the default).
fn half_life_log_prior(days: f64) -> f64 {
    -0.5 * ((days.ln() - crate::bkt::DEFAULT_HALF_LIFE_DAYS.ln()) / HALF_LIFE_PRIOR_SD).powi(2)
}

/// The retention before answer `t` of a sequence, and the stat's `a` (see [`DecayStat`]).
#[inline]
fn decay_at(timing: Option<Timing<'_>>, seq: usize, t: usize, right: u32) -> (f64, f64) {
    match timing {
        Some(Timing { gaps, days }) if t > 0 && gaps[seq][t] > 0 => {
            let h = crate::bkt::half_life_seconds(1.0, right) / crate::model::DAY as f64;
            let a = std::f64::consts::LN_2 * gaps[seq][t] as f64 / crate::model::DAY as f64 / h;
            (crate::bkt::retention(gaps[seq][t], days, right), a)
        }
        _ => (1.0, 0.0),
    }
}

/// Scaled forward–backward over every sequence, with the decay in time between answers where
/// `timing` is given: the transition from one answer's state to the next one's is BKT's
/// (learn, forget) followed by the decay (known → unknown with probability `1 − r`). With
/// `stats`, the expected outcome of every decay is pushed there (for the half-life's M-step).
/// O(total answers).
fn e_step(
    sequences: &[Vec<bool>],
    timing: Option<Timing<'_>>,
    p: Params,
    stats: Option<&mut Vec<DecayStat>>,
) -> Counts {
    // Without time, a copy of the loop with the decay compiled out.
    if timing.is_some() {
        e_step_in::<true>(sequences, timing, p, stats)
    } else {
        e_step_in::<false>(sequences, None, p, None)
    }
}

/// [`e_step`], with the decay when `TIMED`.
fn e_step_in<const TIMED: bool>(
    sequences: &[Vec<bool>],
    timing: Option<Timing<'_>>,
    p: Params,
    mut stats: Option<&mut Vec<DecayStat>>,
) -> Counts {
    let mut c = Counts::default();
    // alpha[t] = P(state at t | answers up to t); beta[t] scaled to match; (r, a) of the
    // decay before each answer.
    let mut alpha: Vec<[f64; 2]> = Vec::new();
    let mut scale: Vec<f64> = Vec::new();
    let mut beta: Vec<[f64; 2]> = Vec::new();
    let mut decay: Vec<(f64, f64)> = Vec::new();
    for (i, seq) in sequences.iter().enumerate().filter(|(_, s)| !s.is_empty()) {
        let n = seq.len();
        alpha.clear();
        scale.clear();
        decay.clear();
        let mut right = 0u32;
        let mut predicted = [1.0 - p.prior, p.prior];
        for (t, &answer) in seq.iter().enumerate() {
            if TIMED {
                let (r, a) = decay_at(timing, i, t, right);
                decay.push((r, a));
                if r < 1.0 {
                    predicted = decay_state(predicted, r);
                }
            }
            let (filtered, z) = filter(predicted, answer, &p);
            alpha.push(filtered);
            scale.push(z);
            c.log_likelihood += z.ln();
            predicted = advance(filtered, &p);
            right += u32::from(answer);
        }
        // The transition from answer t to t + 1: A[i][j] = B[i][0] D[0][j] + B[i][1] D[1][j],
        // B BKT's, D the decay's ([1, 0], [1 − r, r]).
        let step = |t: usize| -> [[f64; 2]; 2] {
            if !TIMED {
                return [[1.0 - p.learn, p.learn], [p.forget, 1.0 - p.forget]];
            }
            let r = decay[t + 1].0;
            [
                [1.0 - p.learn + p.learn * (1.0 - r), p.learn * r],
                [p.forget + (1.0 - p.forget) * (1.0 - r), (1.0 - p.forget) * r],
            ]
        };
        beta.clear();
        beta.resize(n, [1.0, 1.0]);
        for t in (0..n - 1).rev() {
            let (e0, e1) = p.emit(seq[t + 1]);
            let [b0, b1] = beta[t + 1];
            let z = scale[t + 1];
            let m = step(t);
            beta[t] = [(m[0][0] * e0 * b0 + m[0][1] * e1 * b1) / z, (m[1][0] * e0 * b0 + m[1][1] * e1 * b1) / z];
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
                let (e0, e1) = p.emit(seq[t + 1]);
                let [b0, b1] = beta[t + 1];
                let m = step(t);
                let xi = |i: usize, j: usize| alpha[t][i] * m[i][j] * [e0, e1][j] * [b0, b1][j] / scale[t + 1];
                let (r, a) = if TIMED { decay[t + 1] } else { (1.0, 0.0) };
                // Ending unknown, the state after BKT's transition was known (and the decay
                // lost it) with probability B[i][1](1 − r) / A[i][0].
                let lost_after = |i: usize| {
                    let b1 = if i == 0 { p.learn } else { 1.0 - p.forget };
                    if m[i][0] > 0.0 { b1 * (1.0 - r) / m[i][0] } else { 0.0 }
                };
                if TIMED {
                    c.learnt += xi(0, 1) + xi(0, 0) * lost_after(0);
                    c.forgot += xi(1, 0) * (1.0 - lost_after(1));
                } else {
                    c.learnt += xi(0, 1);
                    c.forgot += xi(1, 0);
                }
                c.could_learn += g0;
                c.could_forget += g1;
                if TIMED
                    && let Some(stats) = stats.as_deref_mut()
                    && r < 1.0
                {
                    let kept = xi(0, 1) + xi(1, 1);
                    let lost = xi(0, 0) * lost_after(0) + xi(1, 0) * lost_after(1);
                    stats.push(DecayStat { a, kept, lost });
                }
            }
        }
    }
    c
}

/// The half-life's M-step: the `H` in days that maximises the expected log-likelihood of the
/// decays, `Σ kept · ln r + lost · ln(1 − r)` with `r = e^(−a/H)`, plus the log-density of the
/// prior on `ln H` ([`HALF_LIFE_PRIOR_SD`], centred on the default). Concave in `u = ln H`:
/// Newton's method from the current value, kept inside [`HALF_LIFE_BOUNDS`]. O(stats) a step.
fn half_life_step(stats: &[DecayStat], days: f64) -> f64 {
    let centre = crate::bkt::DEFAULT_HALF_LIFE_DAYS.ln();
    let precision = 1.0 / (HALF_LIFE_PRIOR_SD * HALF_LIFE_PRIOR_SD);
    let (lo, hi) = (HALF_LIFE_BOUNDS.0.ln(), HALF_LIFE_BOUNDS.1.ln());
    let mut u = days.ln().clamp(lo, hi);
    for _ in 0..30 {
        let (mut g, mut h) = (-(u - centre) * precision, -precision);
        for s in stats {
            let x = s.a * (-u).exp();
            // d/du [kept · (−x)] = kept · x; d/du [lost · ln(1 − e^−x)] = −lost · x / (e^x − 1).
            let em1 = x.exp_m1();
            let f = if em1 > 0.0 { x / em1 } else { 1.0 };
            g += s.kept * x - s.lost * f;
            // f'(x) = (e^x − 1 − x e^x) / (e^x − 1)²; d/du f = −x f'(x).
            let df = if em1 > 0.0 && em1.is_finite() { (em1 - x * (em1 + 1.0)) / (em1 * em1) } else { -0.5 };
            h += -s.kept * x + s.lost * x * df;
        }
        let step = if h < 0.0 { -g / h } else { g.signum() };
        let next = (u + step.clamp(-2.0, 2.0)).clamp(lo, hi);
        let done = (next - u).abs() < 1e-9;
        u = next;
        if done {
            break;
        }
    }
    u.exp()
}

/// The M-step: each parameter at its posterior mode under a Beta prior of `k` pseudo-answers
/// centred on `centre` (the old value where there is neither evidence nor prior), clamped.
fn m_step(c: &Counts, old: Params, centre: Params, k: f64, forget: bool) -> Params {
    let ratio = |num: f64, den: f64, m: f64, old: f64| {
        if den + k > 1e-12 { (num + k * m) / (den + k) } else { old }
    };
    bounded(
        Params {
            prior: ratio(c.first_known, c.sequences, centre.prior, old.prior),
            learn: ratio(c.learnt, c.could_learn, centre.learn, old.learn),
            forget: ratio(c.forgot, c.could_forget, centre.forget, old.forget),
            slip: ratio(c.slipped, c.known, centre.slip, old.slip),
            guess: ratio(c.guessed, c.unknown, centre.guess, old.guess),
        },
        forget,
    )
}

/// The log density of the Beta priors (up to a constant): what EM maximises beside the
/// log-likelihood.
fn log_prior(p: Params, centre: Params, k: f64, forget: bool) -> f64 {
    if k == 0.0 {
        return 0.0;
    }
    let term = |x: f64, m: f64| k * (m * x.max(1e-300).ln() + (1.0 - m) * (1.0 - x).max(1e-300).ln());
    let mut sum = term(p.prior, centre.prior) + term(p.learn, centre.learn) + term(p.slip, centre.slip);
    sum += term(p.guess, centre.guess);
    if forget {
        sum += term(p.forget, centre.forget);
    }
    sum
}

/// The log-likelihood of answer sequences under BKT parameters (clamped into the fitting
/// bounds first). O(total answers).
pub fn bkt_log_likelihood(sequences: &[Vec<bool>], params: &BktParams) -> f64 {
    e_step(sequences, None, bounded(Params::from(params), true), None).log_likelihood
}

/// Fits the BKT parameters of one node by expectation–maximisation.
///
/// # Arguments
/// * `sequences`: one sequence of answers per learner (true = correct), in time order; empty
///   sequences are ignored.
/// * `config`: where EM starts and the centre of the priors (`init`), their strength, whether
///   forgetting is fitted, the iteration cap, the tolerance and the least data to fit.
///
/// # Returns
/// The parameters after the last iteration and their log-likelihood. With fewer answers than
/// `config.min_observations` (or none), the clamped `init` with no iteration and
/// [`FitStatus::TooLittleData`].
///
/// # Complexity
/// O(iterations · total answers) time, O(longest sequence) extra space.
///
/// ```
/// use tupu_graph::BktParams;
/// use tupu_recommend::{FitConfig, fit_bkt, sample_sequences};
///
/// let truth = BktParams { prior: 0.2, learn: 0.15, slip: 0.1, guess: 0.2, forget: 0.0 };
/// let sequences = sample_sequences(&truth, 500, 10, 1);
/// let fit = fit_bkt(&sequences, &FitConfig::textbook());
/// assert_eq!(fit.observations, 5_000);
/// assert!((fit.params.guess - truth.guess).abs() < 0.1);
/// ```
pub fn fit_bkt(sequences: &[Vec<bool>], config: &FitConfig) -> BktFit {
    fit_node(sequences, None, config).0
}

/// [`fit_bkt`] with the time between answers (`gaps`, see [`Timing`]): EM runs with the decay
/// in time, and, with [`FitConfig::decay`] and at least [`MIN_TIMED_ANSWERS`] answers given
/// some time after the learner's previous one, fits the node's half-life in the same
/// iterations (an expectation–conditional-maximisation: BKT's parameters, then the half-life,
/// each at its maximum given the expected counts); otherwise the decay uses the default
/// half-life.
fn fit_node(sequences: &[Vec<bool>], gaps: Option<&[Vec<i64>]>, config: &FitConfig) -> (BktFit, Option<HalfLifeFit>) {
    let observations = sequences.iter().map(Vec::len).sum();
    let count = sequences.iter().filter(|s| !s.is_empty()).count();
    let centre = bounded(Params::from(&config.init), config.forget);
    let mut params = centre;
    let timed = gaps.map_or(0, |g| g.iter().map(|s| s.iter().skip(1).filter(|&&d| d > 0).count()).sum());
    let mut days = crate::bkt::DEFAULT_HALF_LIFE_DAYS;
    let timing = |days: f64| gaps.map(|gaps| Timing { gaps, days });
    if observations == 0 || observations < config.min_observations {
        let fit = BktFit {
            params: params.to_bkt(),
            log_likelihood: if observations == 0 {
                0.0
            } else {
                e_step(sequences, timing(days), params, None).log_likelihood
            },
            iterations: 0,
            converged: false,
            status: FitStatus::TooLittleData,
            observations,
            sequences: count,
        };
        return (fit, None);
    }
    // EM cannot leave a forgetting rate of exactly 0 (no expected forgetting is ever counted).
    if config.forget && params.forget <= 0.0 {
        params.forget = FORGET_START;
    }
    let fit_decay = config.decay && timed >= MIN_TIMED_ANSWERS;
    let k = config.prior_strength;
    let half_life_prior = |days: f64| if fit_decay { half_life_log_prior(days) } else { 0.0 };
    let objective = |c: &Counts, p: Params, days: f64| {
        c.log_likelihood + log_prior(p, centre, k, config.forget) + half_life_prior(days)
    };
    let mut stats = Vec::new();
    let mut counts = e_step(sequences, timing(days), params, fit_decay.then_some(&mut stats));
    let mut iterations = 0;
    let mut converged = false;
    while iterations < config.max_iter {
        let next = m_step(&counts, params, centre, k, config.forget);
        let next_days = if fit_decay { half_life_step(&stats, days) } else { days };
        stats.clear();
        let next_counts = e_step(sequences, timing(next_days), next, fit_decay.then_some(&mut stats));
        iterations += 1;
        let improvement = objective(&next_counts, next, next_days) - objective(&counts, params, days);
        params = next;
        days = next_days;
        counts = next_counts;
        if improvement < config.tol {
            converged = true;
            break;
        }
    }
    let fit = BktFit {
        params: params.to_bkt(),
        log_likelihood: counts.log_likelihood,
        iterations,
        converged,
        status: if converged { FitStatus::Converged } else { FitStatus::Capped },
        observations,
        sequences: count,
    };
    let half_life = fit_decay.then(|| {
        // As stored: the served model reads the half-life back in single precision.
        let days = f64::from(days as f32);
        HalfLifeFit {
            days: days as f32,
            timed_answers: timed,
            log_likelihood_default: e_step(sequences, timing(crate::bkt::DEFAULT_HALF_LIFE_DAYS), params, None)
                .log_likelihood,
            log_likelihood: e_step(sequences, timing(days), params, None).log_likelihood,
        }
    });
    (fit, half_life)
}

/// Fits one model to the sequences of every node together (the centre of the shrinkage),
/// the E-step split over threads, at most 100 iterations. O(iterations · total answers).
fn fit_pooled(nodes: &[&Vec<Vec<bool>>], config: &FitConfig) -> Params {
    let all: Vec<&Vec<bool>> = nodes.iter().flat_map(|s| s.iter()).collect();
    let e = |p: Params| {
        all.par_chunks(256)
            .map(|chunk| {
                chunk.iter().fold(Counts::default(), |c, s| c.add(e_step(std::slice::from_ref(*s), None, p, None)))
            })
            .reduce(Counts::default, Counts::add)
    };
    let centre = bounded(Params::from(&config.init), config.forget);
    let mut params = centre;
    if config.forget && params.forget <= 0.0 {
        params.forget = FORGET_START;
    }
    let mut counts = e(params);
    for _ in 0..config.max_iter.min(100) {
        // The pooled fit has the same prior, centred on `init`: a tiny log stays near it.
        let next = m_step(&counts, params, centre, config.prior_strength, config.forget);
        let next_counts = e(next);
        let improvement = next_counts.log_likelihood - counts.log_likelihood;
        params = next;
        counts = next_counts;
        if improvement < config.tol {
            break;
        }
    }
    params
}

/// Answer sequences drawn from BKT's generative process: each learner starts knowing the node
/// with probability `prior`; at each opportunity they answer (correct with probability
/// `1 − slip` if they know it, `guess` if not) and then, if they did not know it, learn it
/// with probability `learn`, or if they did, forget it with probability `forget`.
/// Deterministic for a seed. O(learners · opportunities).
pub fn sample_sequences(params: &BktParams, learners: usize, opportunities: usize, seed: u64) -> Vec<Vec<bool>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..learners)
        .map(|_| {
            let mut known = rng.random::<f32>() < params.prior;
            (0..opportunities)
                .map(|_| {
                    let p = if known { 1.0 - params.slip } else { params.guess };
                    let correct = rng.random::<f32>() < p;
                    known = if known {
                        params.forget <= 0.0 || rng.random::<f32>() >= params.forget
                    } else {
                        rng.random::<f32>() < params.learn
                    };
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
    /// Unix time in seconds (equal times, such as 0 in a log without timestamps, keep the
    /// order of the log).
    pub time: i64,
}

/// Groups events by node, then by learner, each learner's answers in time order (equal times
/// in log order). O(e log e).
pub fn sequences_by_node(events: impl IntoIterator<Item = FitEvent>) -> Vec<(String, Vec<Vec<bool>>)> {
    timed_sequences_by_node(events).into_iter().map(|n| (n.node, n.sequences)).collect()
}

/// One node's answers, by learner, with the time between them.
struct NodeAnswers {
    node: String,
    sequences: Vec<Vec<bool>>,
    /// Seconds between each answer and the learner's previous one on the node (0 for the
    /// first); `None` when no answer came some time after another.
    gaps: Option<Vec<Vec<i64>>>,
}

/// [`sequences_by_node`] with the time between answers. O(e log e).
fn timed_sequences_by_node(events: impl IntoIterator<Item = FitEvent>) -> Vec<NodeAnswers> {
    let mut by_node: BTreeMap<String, BTreeMap<String, Vec<(i64, usize, bool)>>> = BTreeMap::new();
    for (i, e) in events.into_iter().enumerate() {
        by_node.entry(e.node).or_default().entry(e.learner).or_default().push((e.time, i, e.correct));
    }
    by_node
        .into_iter()
        .map(|(node, learners)| {
            let (mut sequences, mut gaps) = (Vec::with_capacity(learners.len()), Vec::with_capacity(learners.len()));
            let mut timed = false;
            for mut answers in learners.into_values() {
                answers.sort_unstable();
                let gap: Vec<i64> =
                    answers.iter().enumerate().map(|(t, a)| if t == 0 { 0 } else { a.0 - answers[t - 1].0 }).collect();
                timed |= gap.iter().any(|&g| g > 0);
                gaps.push(gap);
                sequences.push(answers.into_iter().map(|a| a.2).collect());
            }
            NodeAnswers { node, sequences, gaps: timed.then_some(gaps) }
        })
        .collect()
}

/// Fits every node of an event log.
///
/// Events are grouped by node, then by learner ([`sequences_by_node`]). With `config.pool`,
/// all answers are first fitted as one model, which becomes every node's start and prior
/// centre (shrinkage toward the global means); then each node is fitted with [`fit_bkt`],
/// in parallel, with the decay in time between a learner's answers where the log has
/// timestamps (see [`fit_model`]).
///
/// # Returns
/// One fit per node, keyed and ordered by node.
///
/// # Complexity
/// O(e log e) to group and sort e events, then O(iterations · e) to fit.
pub fn fit_events(events: impl IntoIterator<Item = FitEvent>, config: &FitConfig) -> BTreeMap<String, BktFit> {
    fit_nodes(timed_sequences_by_node(events), config).into_iter().map(|(node, (fit, _))| (node, fit)).collect()
}

/// [`fit_events`] on sequences already grouped by node.
pub fn fit_sequences(nodes: Vec<(String, Vec<Vec<bool>>)>, config: &FitConfig) -> BTreeMap<String, BktFit> {
    let nodes = nodes.into_iter().map(|(node, sequences)| NodeAnswers { node, sequences, gaps: None }).collect();
    fit_nodes(nodes, config).into_iter().map(|(node, (fit, _))| (node, fit)).collect()
}

/// Every node's fit and, where one was fitted, its half-life.
fn fit_nodes(nodes: Vec<NodeAnswers>, config: &FitConfig) -> BTreeMap<String, (BktFit, Option<HalfLifeFit>)> {
    let mut config = *config;
    if config.pool && !nodes.is_empty() {
        let untimed: Vec<&Vec<Vec<bool>>> = nodes.iter().map(|n| &n.sequences).collect();
        config.init = fit_pooled(&untimed, &config).to_bkt();
    }
    nodes
        .into_par_iter()
        .map(|n| {
            let fit = fit_node(&n.sequences, n.gaps.as_deref(), &config);
            (n.node, fit)
        })
        .collect()
}

/// Standard deviation of the Gaussian prior on the ability weight: weak, it only keeps the
/// weight finite where every learner's answers agree with the model.
pub const ABILITY_PRIOR_SD: f64 = 10.0;

/// The whole learner model fitted to a log: BKT per node ([`fit_events`]), then the weight of
/// the learner's ability.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelFit {
    /// One fit per node, keyed and ordered by node.
    pub nodes: BTreeMap<String, BktFit>,
    /// The ability weight of the fitted nodes; `None` when [`FitConfig::ability`] is off or no
    /// fitted node was answered.
    pub ability: Option<AbilityFit>,
    /// The fitted half-life of each node with enough timed answers ([`MIN_TIMED_ANSWERS`]),
    /// keyed by node; empty when [`FitConfig::decay`] is off or the log has no timestamps.
    pub half_lives: BTreeMap<String, HalfLifeFit>,
}

/// A node's fitted half-life of mastery (see the `bkt` module).
#[derive(Copy, Clone, Debug, PartialEq, serde::Serialize)]
pub struct HalfLifeFit {
    /// `H`, in days.
    pub days: f32,
    /// Answers that came some time after the learner's previous answer on the node.
    pub timed_answers: usize,
    /// Log-likelihood of the node's answers with the default half-life.
    pub log_likelihood_default: f64,
    /// The same with the fitted one.
    pub log_likelihood: f64,
}

/// Fewest answers given some time after the learner's previous answer on the same node for
/// which a node's half-life is fitted.
pub const MIN_TIMED_ANSWERS: usize = 10;

/// Range of the fitted half-life, in days: an hour to ten years.
pub const HALF_LIFE_BOUNDS: (f64, f64) = (1.0 / 24.0, 3_650.0);

/// Standard deviation, in natural-log units, of the Gaussian prior on a node's half-life,
/// centred on the default ([`crate::DEFAULT_HALF_LIFE_DAYS`]): weak, a factor of e² is one
/// standard deviation; it keeps a node with few timed answers near the default.
pub const HALF_LIFE_PRIOR_SD: f64 = 2.0;

/// The fitted weight of the learner's ability, shared by the fitted nodes.
#[derive(Copy, Clone, Debug, PartialEq, serde::Serialize)]
pub struct AbilityFit {
    /// `w`, in log-odds per unit of ability.
    pub weight: f32,
    /// Answers on fitted nodes the weight was fitted to.
    pub answers: usize,
    /// Newton steps taken.
    pub iterations: usize,
    /// Log-likelihood of those answers' forward predictions without ability (`w = 0`).
    pub log_likelihood_without: f64,
    /// The same with the fitted weight.
    pub log_likelihood: f64,
}

/// Fits the learner model to an event log: every node's BKT parameters ([`fit_events`]),
/// with, under [`FitConfig::decay`], every node's half-life from the time between answers,
/// then, with [`FitConfig::ability`], the weight of the learner's ability (see the module
/// documentation).
///
/// # Complexity
/// That of [`fit_events`] (the half-lives are fitted in its EM iterations), plus, for the
/// ability, O(e log e) to order each learner's answers and O(e) per Newton step.
pub fn fit_model(events: Vec<FitEvent>, config: &FitConfig) -> ModelFit {
    let replay = config.ability.then(|| Replay::of(&events));
    let fits = fit_nodes(timed_sequences_by_node(events), config);
    let half_lives: BTreeMap<String, HalfLifeFit> =
        fits.iter().filter_map(|(node, (_, h))| h.map(|h| (node.clone(), h))).collect();
    let nodes: BTreeMap<String, BktFit> = fits.into_iter().map(|(node, (fit, _))| (node, fit)).collect();
    let ability = replay.and_then(|replay| {
        let params: Vec<(Params, bool)> = replay
            .names
            .iter()
            .map(|k| (Params::from(&nodes[k].params), nodes[k].status != FitStatus::TooLittleData))
            .collect();
        let days: Vec<f64> = replay
            .names
            .iter()
            .map(|k| half_lives.get(k).map_or(crate::bkt::DEFAULT_HALF_LIFE_DAYS, |h| f64::from(h.days)))
            .collect();
        replay.fit_ability(&params, &days)
    });
    ModelFit { nodes, ability, half_lives }
}

/// Every learner's answers in time order (equal times in log order), learner after learner,
/// with nodes as dense ids: what the ability fit replays.
struct Replay {
    /// The node keys, by id.
    names: Vec<String>,
    /// `(node id, correct, time)` of every answer.
    answers: Vec<(u32, bool, i64)>,
    /// Where each learner's answers start in `answers`, and their end.
    starts: Vec<usize>,
}

impl Replay {
    /// O(e log e) for e events.
    fn of(events: &[FitEvent]) -> Self {
        let mut learners: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
        let mut ids: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
        let mut names = Vec::new();
        let mut order: Vec<(u32, i64, u32, u32, bool)> = Vec::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            let next = learners.len() as u32;
            let learner = *learners.entry(e.learner.as_str()).or_insert(next);
            let node = *ids.entry(e.node.as_str()).or_insert_with(|| {
                names.push(e.node.clone());
                names.len() as u32 - 1
            });
            order.push((learner, e.time, i as u32, node, e.correct));
        }
        order.sort_unstable_by_key(|&(learner, time, i, _, _)| (learner, time, i));
        let mut starts = Vec::with_capacity(learners.len() + 1);
        for (i, w) in order.iter().enumerate() {
            if i == 0 || order[i - 1].0 != w.0 {
                starts.push(i);
            }
        }
        starts.push(order.len());
        let answers = order.into_iter().map(|(_, time, _, node, correct)| (node, correct, time)).collect();
        Self { names, answers, starts }
    }

    /// Fits the ability weight to every learner's answers replayed through the fitted nodes.
    /// Answers on nodes with too little data count toward the learner's ability (the server
    /// counts them too) but are not fitted to: those nodes keep their defaults and no weight.
    /// O(answers) per Newton step.
    fn fit_ability(&self, fits: &[(Params, bool)], days: &[f64]) -> Option<AbilityFit> {
        // (BKT log-odds, ability, answer) of every answer on a fitted node.
        let mut rows: Vec<(f64, f64, bool)> = Vec::with_capacity(self.answers.len());
        let mut replay = LearnerReplay::new(fits.len());
        for learner in self.starts.windows(2) {
            replay.next_learner();
            for &(node, correct, time) in &self.answers[learner[0]..learner[1]] {
                let (params, fitted) = &fits[node as usize];
                let (p, z) = replay.step(node as usize, params, days[node as usize], correct, time);
                if *fitted {
                    let p = p.clamp(1e-12, 1.0 - 1e-12);
                    rows.push(((p / (1.0 - p)).ln(), z, correct));
                }
            }
        }
        if rows.is_empty() {
            return None;
        }
        let precision = 1.0 / (ABILITY_PRIOR_SD * ABILITY_PRIOR_SD);
        let log_likelihood = |w: f64| -> f64 {
            rows.par_iter()
                .map(
                    |&(o, z, y)| {
                        if y { crate::bkt::ln_sigmoid(o + w * z) } else { crate::bkt::ln_sigmoid(-(o + w * z)) }
                    },
                )
                .sum()
        };
        let (mut w, mut iterations) = (0.0f64, 0);
        while iterations < 50 {
            iterations += 1;
            let (g, h) = rows
                .par_iter()
                .map(|&(o, z, y)| {
                    let p = 1.0 / (1.0 + (-(o + w * z)).exp());
                    ((f64::from(u8::from(y)) - p) * z, p * (1.0 - p) * z * z)
                })
                .reduce(|| (0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
            let step = (g - precision * w) / (h + precision);
            w += step;
            if step.abs() < 1e-7 {
                break;
            }
        }
        Some(AbilityFit {
            weight: w as f32,
            answers: rows.len(),
            iterations,
            log_likelihood_without: log_likelihood(0.0),
            log_likelihood: log_likelihood(f64::from(w as f32)),
        })
    }
}

/// Learners replayed through the served model one after another: each node's BKT forward
/// state and the learner's ability entry, updated as [`crate::LearnerState::observe`] updates
/// them. States are kept by node id and stamped with the learner, so a new learner starts
/// fresh in O(1).
struct LearnerReplay {
    states: Vec<NodeReplay>,
    learner: u32,
    ability: Option<crate::NodeMastery>,
}

/// One node's state in a [`LearnerReplay`].
#[derive(Copy, Clone, Default)]
struct NodeReplay {
    /// The learner it belongs to.
    stamp: u32,
    /// `[P(unknown), P(known)]` after the last answer's transition.
    state: [f64; 2],
    /// Time of the last answer.
    last: i64,
    /// Right answers so far.
    right: u32,
}

impl LearnerReplay {
    fn new(nodes: usize) -> Self {
        Self { states: vec![NodeReplay::default(); nodes], learner: 0, ability: None }
    }

    /// Starts the next learner.
    fn next_learner(&mut self) {
        self.learner += 1;
        self.ability = None;
    }

    /// BKT's prediction for an answer on `node` at `time` and the learner's ability before
    /// it, then the answer applied: mastery decays through the time since the last answer on
    /// the node (half-life `days`, see the `bkt` module), as the served model decays it.
    fn step(&mut self, node: usize, params: &Params, days: f64, correct: bool, time: i64) -> (f64, f64) {
        let n = &mut self.states[node];
        if n.stamp != self.learner {
            *n = NodeReplay { stamp: self.learner, state: [1.0 - params.prior, params.prior], last: time, right: 0 };
        } else if time > n.last {
            let r = crate::bkt::retention(time - n.last, days, n.right);
            n.state = decay_state(n.state, r);
            n.last = time;
        }
        let p = n.state[0] * params.guess + n.state[1] * (1.0 - params.slip);
        n.state = advance(filter(n.state, correct, params).0, params);
        n.right += u32::from(correct);
        let z = crate::model::entry_ability(self.ability);
        crate::model::count_expected(&mut self.ability, p as f32, correct);
        (p, z)
    }
}

/// The served model's forward pass over one learner's answers on several nodes: for each
/// `(node, correct, time)`, in time order, the probability that it is correct given the
/// learner's answers before it, with mastery decayed through the time since the last answer
/// on the node (`half_lives[node]` days) and BKT's prediction moved by the learner's ability
/// (`params[node]` and `weights[node]`). What [`crate::LearnerState::predict`] serves for the
/// same answers (checked to 10⁻⁶ in the tests). O(answers).
pub fn forward_learner_predictions(
    answers: &[(usize, bool, i64)],
    params: &[BktParams],
    weights: &[f32],
    half_lives: &[f64],
) -> Vec<f64> {
    let params: Vec<Params> = params.iter().map(Params::from).collect();
    let mut replay = LearnerReplay::new(params.len());
    replay.next_learner();
    answers
        .iter()
        .map(|&(node, correct, time)| {
            let (p, z) = replay.step(node, &params[node], half_lives[node], correct, time);
            crate::bkt::ability_logit(p, f64::from(weights[node]), z)
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
/// {"learner": "s2", "skill": "12", "correct": 0}
/// ```
/// `node` (or `skill`) names what the answer is evidence for; `correct` is true/false or 1/0;
/// `score`, a number in [0, 1], may stand in for it (≥ 0.5 counts as correct); `timestamp`
/// (RFC 3339) is given on every line or on none: without timestamps a learner's answers are
/// in the order of the lines. Other fields are ignored, and so are blank lines.
///
/// # Errors
/// [`EventsFileError::Invalid`] with every bad line (its number, the field, what is wrong)
/// when any line is bad: nothing is returned from a file with errors.
///
/// ```
/// use tupu_recommend::read_events;
///
/// let text = "{\"learner\": \"s1\", \"node\": \"n\", \"correct\": 1}\n\
///             {\"learner\": \"s1\", \"node\": \"n\", \"score\": \"high\"}\n";
/// let error = read_events(text.as_bytes()).unwrap_err();
/// assert_eq!(error.to_string(), "1 invalid line(s):\n  line 2, score: must be a number from 0 to 1");
/// ```
pub fn read_events(reader: impl BufRead) -> Result<Vec<FitEvent>, EventsFileError> {
    let mut events = Vec::new();
    let mut problems = Vec::new();
    // Lines with and without a timestamp: the minority is named if both occur.
    let (mut timed, mut untimed) = (Vec::new(), Vec::new());
    for (i, line) in reader.lines().enumerate() {
        let line_no = i + 1;
        let text = line.map_err(|source| EventsFileError::Io { line: line_no, source })?;
        if text.trim().is_empty() {
            continue;
        }
        match parse_line(&text) {
            Ok((event, has_time)) => {
                if has_time {
                    timed.push(line_no)
                } else {
                    untimed.push(line_no)
                }
                events.push(event);
            }
            Err(found) => problems.extend(found.into_iter().map(|(field, message)| LineProblem {
                line: line_no,
                field: field.to_owned(),
                message,
            })),
        }
    }
    if !timed.is_empty() && !untimed.is_empty() {
        let (odd, other) = if untimed.len() <= timed.len() { (&untimed, "missing") } else { (&timed, "present") };
        for &line in odd {
            problems.push(LineProblem {
                line,
                field: "timestamp".to_owned(),
                message: format!("{other} here but not on other lines: give a timestamp on every line or on none"),
            });
        }
        problems.sort_by_key(|p| p.line);
    }
    if problems.is_empty() { Ok(events) } else { Err(EventsFileError::Invalid(problems)) }
}

/// One line: the event and whether it had a timestamp, or every problem as (field, message).
fn parse_line(text: &str) -> Result<(FitEvent, bool), Vec<(&'static str, String)>> {
    let object = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return Err(vec![("json", "each line must be one JSON object".to_owned())]);
        }
        Err(e) => return Err(vec![("json", format!("not valid JSON: {e}"))]),
    };
    let mut problems = Vec::new();
    let mut text_field = |name: &'static str, required: bool| match object.get(name) {
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
            if required {
                problems.push((name, "missing".to_owned()));
            }
            None
        }
    };
    let learner = text_field("learner", true);
    let node = if object.contains_key("skill") && !object.contains_key("node") {
        text_field("skill", true)
    } else {
        text_field("node", true)
    };
    let timestamp = text_field("timestamp", false);
    let has_time = timestamp.is_some();
    let time = match timestamp {
        Some(t) => {
            let parsed = parse_timestamp(&t);
            if parsed.is_none() {
                problems
                    .push(("timestamp", format!("'{t}' is not an RFC 3339 timestamp such as 2024-03-01T09:30:00Z")));
            }
            parsed
        }
        None if object.contains_key("timestamp") => None,
        None => Some(0),
    };
    let correct = match (object.get("correct"), object.get("score")) {
        (Some(Value::Bool(b)), None) => Some(*b),
        (Some(Value::Number(n)), None) if n.as_u64() == Some(0) || n.as_u64() == Some(1) => Some(n.as_u64() == Some(1)),
        (Some(_), None) => {
            problems.push(("correct", "must be true or false (or 1 or 0)".to_owned()));
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
            Ok((FitEvent { learner, node, correct, time }, has_time))
        }
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(prior: f32, learn: f32, slip: f32, guess: f32) -> BktParams {
        BktParams { prior, learn, slip, guess, forget: 0.0 }
    }

    fn ml(forget: bool) -> FitConfig {
        FitConfig { forget, min_observations: 1, ..FitConfig::textbook() }
    }

    #[test]
    fn em_never_lowers_the_objective() {
        for (config, truth) in [
            (FitConfig::textbook(), params(0.3, 0.2, 0.1, 0.25)),
            (FitConfig::default(), BktParams { forget: 0.1, ..params(0.3, 0.2, 0.1, 0.25) }),
        ] {
            let sequences = sample_sequences(&truth, 300, 12, 5);
            let centre = bounded(Params::from(&config.init), config.forget);
            let k = config.prior_strength;
            let mut p = centre;
            let mut last = f64::NEG_INFINITY;
            for _ in 0..60 {
                let counts = e_step(&sequences, None, p, None);
                let objective = counts.log_likelihood + log_prior(p, centre, k, config.forget);
                assert!(objective >= last - 1e-9, "{objective} < {last}");
                last = objective;
                p = m_step(&counts, p, centre, k, config.forget);
            }
            // It also improved on the start.
            let start = bkt_log_likelihood(&sequences, &config.init);
            let fit = fit_bkt(&sequences, &FitConfig { tol: 1e-9, ..config });
            assert!(fit.log_likelihood > start + 1.0);
        }
    }

    #[test]
    fn em_with_decay_in_time_never_lowers_the_objective() {
        // Timed answers of one node; the half-life's M-step runs beside BKT's.
        let events = timed_answers(&[6.0], 300, 10, 4.0, 9);
        let node = timed_sequences_by_node(events).pop().unwrap();
        let gaps = node.gaps.as_deref().unwrap();
        let config = FitConfig::default();
        let centre = bounded(Params::from(&config.init), config.forget);
        let (mut p, mut days, mut last) = (Params { forget: FORGET_START, ..centre }, 14.0, f64::NEG_INFINITY);
        for _ in 0..40 {
            let mut stats = Vec::new();
            let counts = e_step(&node.sequences, Some(Timing { gaps, days }), p, Some(&mut stats));
            let objective =
                counts.log_likelihood + log_prior(p, centre, config.prior_strength, true) + half_life_log_prior(days);
            assert!(objective >= last - 1e-9, "{objective} < {last}");
            last = objective;
            p = m_step(&counts, p, centre, config.prior_strength, true);
            days = half_life_step(&stats, days);
        }
        assert!(days > 3.0 && days < 12.0, "{days}");
    }

    #[test]
    fn likelihood_with_decay_matches_enumeration() {
        // Right, then wrong three days later; half-life two days (one right answer: not
        // doubled). `path(a, b)`: known (true) or not at the first answer and at the second.
        let p = Params { prior: 0.3, learn: 0.2, forget: 0.05, slip: 0.1, guess: 0.25 };
        let r = 2f64.powf(-1.5);
        let (l0, t, f, s, g) = (p.prior, p.learn, p.forget, p.slip, p.guess);
        let known_after = |known: bool| if known { (1.0 - f) * r } else { t * r };
        let path = |first: bool, second: bool| {
            let start = if first { l0 * (1.0 - s) } else { (1.0 - l0) * g };
            let k = known_after(first);
            start * if second { k * s } else { (1.0 - k) * (1.0 - g) }
        };
        let expected = (path(true, true) + path(true, false) + path(false, true) + path(false, false)).ln();
        let gaps = [vec![0, 3 * crate::DAY]];
        let got = e_step(&[vec![true, false]], Some(Timing { gaps: &gaps, days: 2.0 }), p, None).log_likelihood;
        assert!((got - expected).abs() < 1e-9, "{got} vs {expected}");
        // The served forward pass predicts the same second answer.
        let bkt = p.to_bkt();
        let predicted =
            forward_learner_predictions(&[(0, true, 0), (0, false, 3 * crate::DAY)], &[bkt], &[0.0], &[2.0]);
        let first = l0 * (1.0 - s) + (1.0 - l0) * g;
        // (The parameters pass through single precision on the way.)
        assert!(((1.0 - predicted[1]) - expected.exp() / first).abs() < 1e-6);
    }

    #[test]
    fn likelihood_matches_enumeration() {
        // Two answers: sum over the four hidden paths by hand, with forgetting.
        let p = BktParams { forget: 0.05, ..params(0.3, 0.2, 0.1, 0.25) };
        let (l0, t, f, s, g) = (0.3f64, 0.2f64, 0.05f64, 0.1f64, 0.25f64);
        // Answers: correct, then wrong.
        let known_known = l0 * (1.0 - s) * (1.0 - f) * s;
        let known_unknown = l0 * (1.0 - s) * f * (1.0 - g);
        let unknown_known = (1.0 - l0) * g * t * s;
        let unknown_unknown = (1.0 - l0) * g * (1.0 - t) * (1.0 - g);
        let expected = (known_known + known_unknown + unknown_known + unknown_unknown).ln();
        let got = bkt_log_likelihood(&[vec![true, false]], &p);
        assert!((got - expected).abs() < 1e-6, "{got} vs {expected}");
        // The forward pass predicts the same two probabilities.
        let predictions = forward_predictions(&[true, false], &p);
        let first = l0 * (1.0 - s) + (1.0 - l0) * g;
        let second_wrong = (known_unknown + unknown_unknown + known_known + unknown_known) / first;
        assert!((predictions[0] - first).abs() < 1e-6);
        assert!(((1.0 - predictions[1]) - second_wrong).abs() < 1e-6);
    }

    #[test]
    fn known_parameters_are_recovered() {
        let sets = [
            params(0.2, 0.15, 0.10, 0.20),
            params(0.4, 0.08, 0.05, 0.25),
            params(0.1, 0.30, 0.15, 0.10),
            BktParams { forget: 0.1, ..params(0.3, 0.2, 0.1, 0.2) },
        ];
        for (i, truth) in sets.iter().enumerate() {
            let sequences = sample_sequences(truth, 2_000, 15, 100 + i as u64);
            let fit = fit_bkt(&sequences, &ml(truth.forget > 0.0));
            let got = fit.params;
            for (name, want, have) in [
                ("prior", truth.prior, got.prior),
                ("learn", truth.learn, got.learn),
                ("forget", truth.forget, got.forget),
                ("slip", truth.slip, got.slip),
                ("guess", truth.guess, got.guess),
            ] {
                assert!((want - have).abs() < 0.05, "{name}: fitted {have}, true {want} ({fit:?})");
            }
            assert!(fit.converged && fit.status == FitStatus::Converged);
        }
    }

    #[test]
    fn bounds_hold_on_degenerate_data() {
        // Everyone always right: the fit must not run to slip = 0 or guess = 1.
        let fit = fit_bkt(&[vec![true, true], vec![true]], &FitConfig { tol: 1e-9, ..ml(true) });
        let p = fit.params;
        assert!(p.slip >= GUESS_SLIP_BOUNDS.0 && p.guess <= GUESS_SLIP_BOUNDS.1);
        assert!(p.prior <= PRIOR_LEARN_BOUNDS.1 && p.learn >= PRIOR_LEARN_BOUNDS.0);
        assert!(p.forget <= FORGET_BOUNDS.1);
        let empty = fit_bkt(&[vec![]], &FitConfig::default());
        assert_eq!((empty.iterations, empty.observations, empty.sequences), (0, 0, 0));
        assert_eq!(empty.status, FitStatus::TooLittleData);
    }

    #[test]
    fn two_answers_do_not_give_an_extreme_fit() {
        // Maximum likelihood runs to the bounds on two right answers; the prior keeps the
        // fit near its centre.
        let two = [vec![true, true]];
        let wild = fit_bkt(&two, &ml(false)).params;
        assert!(wild.prior > 0.95 || wild.slip < 0.01, "{wild:?}");
        let config = FitConfig { min_observations: 1, ..FitConfig::default() };
        let fit = fit_bkt(&two, &config).params;
        let centre = config.init;
        for (have, want) in [
            (fit.prior, centre.prior),
            (fit.learn, centre.learn),
            (fit.slip, centre.slip),
            (fit.guess, centre.guess),
            (fit.forget, centre.forget),
        ] {
            assert!((have - want).abs() < 0.3, "{fit:?} vs {centre:?}");
        }
        // Below the least data, nothing is fitted and the report says so.
        let few = fit_bkt(&two, &FitConfig { min_observations: 3, ..config });
        assert_eq!((few.status, few.iterations), (FitStatus::TooLittleData, 0));
    }

    #[test]
    fn pooling_centres_small_nodes_on_the_global_fit() {
        let truth = BktParams { forget: 0.05, ..params(0.3, 0.2, 0.1, 0.2) };
        let big = sample_sequences(&truth, 1_000, 12, 9);
        let small = vec![vec![true, true]];
        let fits = fit_sequences(
            vec![("big".into(), big), ("small".into(), small)],
            &FitConfig { min_observations: 1, ..FitConfig::default() },
        );
        let (b, s) = (fits["big"].params, fits["small"].params);
        assert!((b.guess - s.guess).abs() < 0.1 && (b.slip - s.slip).abs() < 0.1, "{b:?} {s:?}");
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
        let config = FitConfig { min_observations: 1, pool: false, ..FitConfig::default() };
        let fits = fit_events(events, &config);
        assert_eq!(fits.keys().collect::<Vec<_>>(), ["n1", "n2"]);
        assert_eq!((fits["n1"].observations, fits["n1"].sequences), (3, 2));
        // Four seconds between s1's answers on n1.
        let ordered = fit_node(&[vec![false, true], vec![true]], Some(&[vec![0, 4], vec![0]]), &config).0;
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
                (6, "correct"),
                (7, "json"),
            ]),
        );
        // 0/1 for correct, `skill` for node, and no timestamps: line order.
        let plain = "{\"learner\": \"a\", \"skill\": \"7\", \"correct\": 1, \"t\": 0}\n\
                     {\"learner\": \"a\", \"skill\": \"7\", \"correct\": 0, \"t\": 1}\n";
        let events = read_events(plain.as_bytes()).unwrap();
        assert_eq!(
            events.iter().map(|e| (e.node.as_str(), e.correct)).collect::<Vec<_>>(),
            [("7", true), ("7", false)]
        );
        check_file("{\"learner\": \"a\", \"node\": \"n\", \"correct\": 2}", Err(&[(1, "correct")]));
        // Timestamps on some lines only: the lines that differ are named.
        let mixed = "{\"learner\": \"a\", \"node\": \"n\", \"correct\": 1}\n\
                     {\"learner\": \"a\", \"node\": \"n\", \"correct\": 1, \"timestamp\": \"2024-03-01T09:30:00Z\"}\n\
                     {\"learner\": \"a\", \"node\": \"n\", \"correct\": 1, \"timestamp\": \"2024-03-01T09:31:00Z\"}\n";
        check_file(mixed, Err(&[(1, "timestamp")]));
    }

    /// Answers of `learners` learners on `nodes` nodes (six to twenty a node, nodes in turn),
    /// from BKT with `truth`, each learner's answers moved in log-odds by `spread` times a
    /// standard normal ability of their own.
    fn answers_with_ability(learners: usize, nodes: usize, spread: f64, seed: u64) -> Vec<FitEvent> {
        let truth = Params { prior: 0.3, learn: 0.15, forget: 0.02, slip: 0.1, guess: 0.2 };
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut out = Vec::new();
        for l in 0..learners {
            // Box–Muller.
            let (u, v): (f64, f64) = (rng.random_range(1e-9..1.0), rng.random());
            let a = spread * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
            for node in 0..nodes {
                let mut known = rng.random::<f64>() < truth.prior;
                for _ in 0..rng.random_range(6..20) {
                    let p = if known { 1.0 - truth.slip } else { truth.guess };
                    let correct = rng.random::<f64>() < crate::bkt::ability_logit(p, 1.0, a);
                    out.push(FitEvent { learner: format!("l{l}"), node: format!("n{node}"), correct, time: 0 });
                    known = if known { rng.random::<f64>() >= truth.forget } else { rng.random::<f64>() < truth.learn };
                }
            }
        }
        out
    }

    #[test]
    fn an_ability_weight_is_fitted_where_learners_differ_and_not_where_they_do_not() {
        let config = FitConfig::default();
        let differ = fit_model(answers_with_ability(300, 8, 1.5, 5), &config).ability.expect("fitted");
        assert!(differ.weight > 2.0, "{differ:?}");
        assert!(differ.log_likelihood > differ.log_likelihood_without + 100.0, "{differ:?}");
        let alike = fit_model(answers_with_ability(300, 8, 0.0, 6), &config).ability.expect("fitted");
        assert!(alike.weight.abs() < differ.weight / 4.0, "{alike:?} against {differ:?}");
        assert!(alike.log_likelihood >= alike.log_likelihood_without);
        assert!(alike.iterations < 50 && differ.iterations < 50);
        // Off, or textbook BKT: no weight.
        assert!(fit_model(answers_with_ability(20, 2, 1.5, 7), &FitConfig::textbook()).ability.is_none());
    }

    #[test]
    fn the_served_model_with_ability_is_the_fitted_forward_pass() {
        use tupu_graph::{NodeKind, SnapshotBuilder};
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for case in 0..20 {
            let nodes = 4;
            let params: Vec<BktParams> = (0..nodes)
                .map(|_| BktParams {
                    prior: rng.random_range(0.01..0.9),
                    learn: rng.random_range(0.001..0.5),
                    slip: rng.random_range(0.001..0.4),
                    guess: rng.random_range(0.001..0.45),
                    forget: rng.random_range(0.0..0.3),
                })
                .collect();
            // One node without a weight, as a node fitted before weights were, and one without
            // a half-life.
            let weights: Vec<f32> =
                (0..nodes).map(|i| if i == 0 { 0.0 } else { rng.random_range(-2.0..12.0) }).collect();
            let half_lives: Vec<Option<f32>> =
                (0..nodes).map(|i| (i != 1).then(|| rng.random_range(0.05f32..400.0))).collect();
            let mut b = SnapshotBuilder::new();
            let ids: Vec<_> =
                (0..nodes).map(|i| b.node(&format!("https://e.org/n{i}"), NodeKind::KnowledgePoint)).collect();
            for i in 0..nodes {
                b.attrs_mut(ids[i]).bkt = Some(params[i]);
                b.attrs_mut(ids[i]).bkt_ability = (weights[i] != 0.0).then_some(weights[i]);
                b.attrs_mut(ids[i]).bkt_half_life = half_lives[i];
            }
            let snapshot = b.build(1);
            let days: Vec<f64> =
                half_lives.iter().map(|h| h.map_or(crate::bkt::DEFAULT_HALF_LIFE_DAYS, f64::from)).collect();
            let len = if case % 5 == 0 { 1_500 } else { 80 };
            let skill = rng.random::<f32>();
            // Answers seconds apart, or days, or at one time.
            let mut time = 1_700_000_000i64;
            let answers: Vec<(usize, bool, i64)> = (0..len)
                .map(|t| {
                    time += match case % 3 {
                        0 => rng.random_range(0..120),
                        1 => rng.random_range(0..40 * crate::DAY),
                        _ => 0,
                    };
                    (
                        if case % 2 == 0 { t * nodes / len } else { rng.random_range(0..nodes) },
                        rng.random::<f32>() < skill,
                        time,
                    )
                })
                .collect();
            let fitted = forward_learner_predictions(&answers, &params, &weights, &days);
            let mut state = crate::LearnerState::default();
            for (t, &(node, answer, time)) in answers.iter().enumerate() {
                let served = state.predict(&snapshot, ids[node], time);
                assert!(
                    (f64::from(served) - fitted[t]).abs() < 1e-6,
                    "case {case}, answer {t}: {served} vs {}",
                    fitted[t]
                );
                let score = if answer { 1.0 } else { 0.0 };
                state.observe(&snapshot, crate::Observation { node: ids[node], score, time });
            }
        }
    }

    #[test]
    fn the_served_model_is_the_fitted_forward_pass() {
        use tupu_graph::{NodeKind, SnapshotBuilder};
        // Random parameters and sequences, long runs of one answer included.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for case in 0..40 {
            let p = BktParams {
                prior: rng.random_range(0.01..0.9),
                learn: rng.random_range(0.001..0.5),
                slip: rng.random_range(0.001..0.4),
                guess: rng.random_range(0.001..0.45),
                forget: if case % 3 == 0 { 0.0 } else { rng.random_range(0.0..0.3) },
            };
            let mut b = SnapshotBuilder::new();
            let node = b.node("https://e.org/skill", NodeKind::KnowledgePoint);
            b.attrs_mut(node).bkt = Some(p);
            let snapshot = b.build(1);
            let len = if case % 5 == 0 { 1_500 } else { 60 };
            let answers: Vec<bool> = (0..len)
                .map(|t| match case % 4 {
                    0 => t % 500 != 499,
                    _ => rng.random::<f32>() < 0.7,
                })
                .collect();
            let fitted = forward_predictions(&answers, &p);
            let mut state = crate::LearnerState::default();
            // One time for every answer: no decay between them, as in a log without timestamps.
            for (t, &answer) in answers.iter().enumerate() {
                let served = state.predict(&snapshot, node, 0);
                assert!(
                    (f64::from(served) - fitted[t]).abs() < 1e-6,
                    "case {case}, answer {t}: {served} vs {}",
                    fitted[t]
                );
                let score = if answer { 1.0 } else { 0.0 };
                state.observe(&snapshot, crate::Observation { node, score, time: 0 });
            }
        }
    }

    /// Learners answering nodes whose mastery decays with half-life `days[node]`, an answer
    /// every `gap` days on average (exponentially distributed), `answers` per node.
    fn timed_answers(days: &[f64], learners: usize, answers: usize, gap: f64, seed: u64) -> Vec<FitEvent> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let p = BktParams { prior: 0.2, learn: 0.3, slip: 0.1, guess: 0.2, forget: 0.0 };
        let mut out = Vec::new();
        for l in 0..learners {
            for (node, &h) in days.iter().enumerate() {
                let (mut known, mut right, mut time) = (rng.random::<f32>() < p.prior, 0u32, 0i64);
                for k in 0..answers {
                    if k > 0 {
                        let dt = (-gap * f64::from(rng.random::<f32>()).max(1e-9).ln() * crate::DAY as f64) as i64;
                        time += dt;
                        known &= rng.random::<f64>() < crate::bkt::retention(dt, h, right);
                    }
                    let correct = rng.random::<f32>() < if known { 1.0 - p.slip } else { p.guess };
                    right += u32::from(correct);
                    known = known || rng.random::<f32>() < p.learn;
                    out.push(FitEvent { learner: format!("l{l}"), node: format!("n{node}"), correct, time });
                }
            }
        }
        out
    }

    #[test]
    fn half_lives_are_recovered_from_timed_answers_and_predict_new_learners_better() {
        let truth = [2.0, 30.0, 400.0];
        let fit = fit_model(timed_answers(&truth, 600, 12, 5.0, 21), &FitConfig::default());
        for (node, &h) in truth.iter().enumerate() {
            let got = fit.half_lives[&format!("n{node}")];
            eprintln!("node {node}: {got:?} for {h} days");
            // Answers five days apart say little of a half-life of 400 days, beyond that it is
            // long.
            let (lo, hi) = if h > 100.0 { (60.0, 3_650.0) } else { (h / 2.0, h * 2.0) };
            assert!(got.days as f64 > lo && (got.days as f64) < hi, "node {node}: {got:?} for {h} days");
            assert!(got.timed_answers > 600 * 10, "{got:?}");
            assert!(got.log_likelihood >= got.log_likelihood_default, "{got:?}");
        }
        // On learners the fit has not seen, the fitted half-lives predict better than the
        // default, through the served model's own forward pass.
        let held_out = timed_answers(&truth, 300, 12, 5.0, 22);
        let params: Vec<BktParams> = (0..3).map(|i| fit.nodes[&format!("n{i}")].params).collect();
        let weight = fit.ability.map_or(0.0, |a| a.weight);
        let fitted: Vec<f64> = (0..3).map(|i| f64::from(fit.half_lives[&format!("n{i}")].days)).collect();
        let log_likelihood = |days: &[f64]| -> f64 {
            let mut by_learner: BTreeMap<&str, Vec<(usize, bool, i64)>> = BTreeMap::new();
            for e in &held_out {
                by_learner.entry(&e.learner).or_default().push((e.node[1..].parse().unwrap(), e.correct, e.time));
            }
            by_learner
                .values_mut()
                .map(|answers| {
                    answers.sort_by_key(|a| a.2);
                    let p = forward_learner_predictions(answers, &params, &[weight; 3], days);
                    answers.iter().zip(p).map(|(a, p)| if a.1 { p.ln() } else { (-p).ln_1p() }).sum::<f64>()
                })
                .sum()
        };
        let (with, without) = (log_likelihood(&fitted), log_likelihood(&[crate::bkt::DEFAULT_HALF_LIFE_DAYS; 3]));
        assert!(with > without + 50.0, "held-out log-likelihood {with} with fitted half-lives, {without} without");
    }

    #[test]
    fn no_half_life_is_fitted_without_time_or_with_decay_off() {
        // Untimed answers (one time for all).
        let untimed: Vec<FitEvent> =
            timed_answers(&[5.0], 100, 10, 3.0, 4).into_iter().map(|e| FitEvent { time: 0, ..e }).collect();
        assert!(fit_model(untimed, &FitConfig::default()).half_lives.is_empty());
        let timed = timed_answers(&[5.0], 100, 10, 3.0, 4);
        assert_eq!(fit_model(timed.clone(), &FitConfig::default()).half_lives.len(), 1);
        assert!(fit_model(timed, &FitConfig { decay: false, ..FitConfig::default() }).half_lives.is_empty());
        // A node with too few timed answers keeps the default.
        let few = timed_answers(&[5.0], 3, 3, 3.0, 5);
        assert!(fit_model(few, &FitConfig { min_observations: 1, ..FitConfig::default() }).half_lives.is_empty());
    }
}
