//! Bayesian Knowledge Tracing with forgetting: the one model that is fitted ([`crate::fit_bkt`])
//! and served ([`crate::LearnerState::observe`]).
//!
//! Each knowledge point has five parameters (Corbett & Anderson, 1995; forgetting as in
//! pyBKT and Khajah et al., 2016): the prior `P(L0)`, the probability `T` of learning at each
//! practice opportunity, the probability `F` of forgetting at each opportunity (0 in textbook
//! BKT), the slip `S` (wrong despite mastery) and the guess `G` (right without mastery). The
//! learner is a two-state hidden Markov model; an answer is emitted by the state before the
//! opportunity's transition:
//!
//! ```text
//! predict:   P(correct) = P(L)(1 − S) + (1 − P(L)) G
//! correct:   P(L | obs) = P(L)(1 − S) / (P(L)(1 − S) + (1 − P(L)) G)
//! incorrect: P(L | obs) = P(L) S / (P(L) S + (1 − P(L))(1 − G))
//! next:      P(L') = P(L | obs)(1 − F) + (1 − P(L | obs)) T
//! ```
//! A graded score `s ∈ [0, 1]` is treated as a mixture of the two observations, weighted by `s`.
//!
//! ## The learner's ability
//! Learners differ beyond what they know of each point: some answer better than the model of
//! each point expects, on every point. The served probability of a right answer adds the
//! learner's ability `z` to BKT's prediction in log-odds, weighted by the node's fitted
//! `tupu:bktAbility` `w` (0 where none is stored, as for default parameters):
//!
//! ```text
//! z = (c − e) / (n + K)                 over the learner's n earlier answers on any node:
//!                                       c right ones, e = Σ BKT's P(correct) for them, K = 20
//! P(correct) = σ(logit(P(L)(1 − S) + (1 − P(L)) G) + w · z)
//! ```
//! `z` is the learner's surplus of right answers per answer, shrunk toward 0 by `K`
//! pseudo-answers at the model's own expectation, so a few lucky answers move it little. Mastery
//! `P(L)` itself is BKT's alone: ability changes what is predicted of an answer, not what the
//! learner is believed to know, so next steps and paths rank by knowledge. `w` is fitted by
//! [`crate::fit_model`] (a one-parameter logistic regression with BKT's log-odds as offset,
//! on the same forward pass; see [`ability_logit`]).
//!
//! ## Forgetting in time
//! Between two practices of a node, mastery also decays with the time that passed: a learner
//! who mastered the node keeps it through `Δt` seconds with probability
//!
//! ```text
//! r = 2^(−Δt / h),   h = H · 2^min(c − 1, 6)          (c: the learner's right answers on the node)
//! before an answer:  P(L) ← r · P(L)
//! ```
//! `H` is the node's half-life in days, fitted by [`crate::fit_model`] from timestamped answers
//! and stored as `tupu:bktHalfLife` ([`DEFAULT_HALF_LIFE_DAYS`] where none is), and each right
//! answer doubles it (spaced practice is remembered longer), up to 6 times. The same decay
//! gives the belief *now*, from the last practice to the present
//! ([`crate::NodeMastery::recall`]): the probability of a right answer served for a node now,
//! the next answer's update, and the reviews next steps schedule all read it. The stored
//! belief is the one just after the last practice.
//!
//! ## Arithmetic
//! The served model carries a belief as a [`Belief`]: `ln P(L)` and `ln(1 − P(L))` in f64,
//! each step computed in log space (`ln(e^a + e^b)` without overflow), so that neither end
//! loses precision and no clamp is applied: after 400 right answers a wrong one still
//! multiplies the odds by exactly `S / (1 − G)`. Between requests a learner's belief is stored
//! as its log-odds in f32, which keeps the relative precision of both `P(L)` and `1 − P(L)`.
//! Fitting ([`crate::fit_bkt`]) runs the same equations in probability space with the scaling
//! of the forward–backward algorithm; a test checks that the served predictions for a
//! sequence equal the fitted model's forward pass ([`crate::forward_predictions`]) to 10⁻⁶.
//!
//! ## Cost
//! One step is O(1): a few `exp`/`ln_1p` calls.

use tupu_graph::{BktParams, MasteryLevel, NodeAttrs};

/// Parameters used where a node has none of its own, derived from its target level and
/// difficulty: deeper levels and harder nodes start lower, are learnt more slowly and are
/// guessed less often. Defaults do not forget.
pub fn default_params(attrs: &NodeAttrs) -> BktParams {
    if let Some(p) = attrs.bkt {
        return p;
    }
    let level = match attrs.mastery_level {
        Some(MasteryLevel::Know) => 0.0,
        Some(MasteryLevel::Understand) | None => 0.33,
        Some(MasteryLevel::Master) => 0.66,
        Some(MasteryLevel::Apply) => 1.0,
    };
    let difficulty = attrs.difficulty.unwrap_or(0.2 + 0.6 * level as f32 * 0.5);
    let hardness = (0.5 * level as f32 + 0.5 * difficulty).clamp(0.0, 1.0);
    BktParams {
        prior: 0.15 - 0.10 * hardness,
        learn: 0.30 - 0.18 * hardness,
        slip: 0.08 + 0.04 * hardness,
        guess: 0.25 - 0.10 * hardness,
        forget: 0.0,
    }
}

/// A node's parameters in double precision, as the arithmetic uses them.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Params {
    /// `P(L0)`.
    pub prior: f64,
    /// `T`.
    pub learn: f64,
    /// `F`.
    pub forget: f64,
    /// `S`.
    pub slip: f64,
    /// `G`.
    pub guess: f64,
}

impl From<&BktParams> for Params {
    fn from(p: &BktParams) -> Self {
        Self {
            prior: f64::from(p.prior),
            learn: f64::from(p.learn),
            forget: f64::from(p.forget),
            slip: f64::from(p.slip),
            guess: f64::from(p.guess),
        }
    }
}

impl Params {
    /// Back to the stored form.
    pub fn to_bkt(self) -> BktParams {
        BktParams {
            prior: self.prior as f32,
            learn: self.learn as f32,
            slip: self.slip as f32,
            guess: self.guess as f32,
            forget: self.forget as f32,
        }
    }

    /// `(P(answer | unknown), P(answer | known))` for a right (`true`) or wrong answer.
    #[inline]
    pub fn emit(&self, correct: bool) -> (f64, f64) {
        if correct { (self.guess, 1.0 - self.slip) } else { (1.0 - self.guess, self.slip) }
    }
}

/// `ln(e^a + e^b)` without overflow; `ln 0 = −∞` is allowed on either side.
#[inline]
fn log_add(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY { hi } else { hi + (lo - hi).exp().ln_1p() }
}

/// `ln σ(x) = −ln(1 + e^−x)` without overflow.
#[inline]
pub(crate) fn ln_sigmoid(x: f64) -> f64 {
    -((-x).max(0.0) + (-x.abs()).exp().ln_1p())
}

/// A belief about one node in log space: `ln P(L)` and `ln(1 − P(L))`, so that neither end
/// loses precision however long a run of answers is (see the module documentation).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Belief {
    /// `ln P(L)`.
    pub ln_known: f64,
    /// `ln(1 − P(L))`.
    pub ln_unknown: f64,
}

impl Belief {
    /// The belief whose log-odds are `logit`.
    #[inline]
    pub fn from_logit(logit: f32) -> Self {
        let l = f64::from(logit);
        Self { ln_known: ln_sigmoid(l), ln_unknown: ln_sigmoid(-l) }
    }

    /// The belief with probability `p` of mastery.
    #[inline]
    pub fn from_p(p: f64) -> Self {
        Self { ln_known: p.ln(), ln_unknown: (-p).ln_1p() }
    }

    /// Log-odds `ln P(L) − ln(1 − P(L))`, as stored.
    #[inline]
    pub fn logit(self) -> f32 {
        (self.ln_known - self.ln_unknown) as f32
    }

    /// `P(L)`.
    #[inline]
    pub fn p(self) -> f64 {
        self.ln_known.exp()
    }

    /// Probability of a correct answer: `P(L)(1 − S) + (1 − P(L)) G`.
    #[inline]
    pub fn p_correct(self, params: &Params) -> f64 {
        self.ln_known.exp() * (1.0 - params.slip) + self.ln_unknown.exp() * params.guess
    }

    /// The posterior after a right (`true`) or wrong answer: Bayes' rule on the odds.
    #[inline]
    fn observe_answer(self, correct: bool, params: &Params) -> Self {
        let (e0, e1) = params.emit(correct);
        let (k, u) = (self.ln_known + e1.ln(), self.ln_unknown + e0.ln());
        let z = log_add(k, u);
        Self { ln_known: k - z, ln_unknown: u - z }
    }

    /// The posterior after a score in [0, 1]: the mixture of the two answers' posteriors.
    #[inline]
    pub fn observe(self, score: f64, params: &Params) -> Self {
        if score >= 1.0 {
            return self.observe_answer(true, params);
        }
        if score <= 0.0 {
            return self.observe_answer(false, params);
        }
        let right = self.observe_answer(true, params);
        let wrong = self.observe_answer(false, params);
        let (ls, lf) = (score.ln(), (-score).ln_1p());
        Self {
            ln_known: log_add(ls + right.ln_known, lf + wrong.ln_known),
            ln_unknown: log_add(ls + right.ln_unknown, lf + wrong.ln_unknown),
        }
    }

    /// Mastery kept through a time of retention `r` (see [`retention`]): `P(L') = r · P(L)`
    /// and `1 − P(L') = (1 − P(L)) + (1 − r) · P(L)`. The identity for `r = 1`.
    #[inline]
    pub fn decay(self, r: f64) -> Self {
        if r >= 1.0 {
            return self;
        }
        Self { ln_known: self.ln_known + r.ln(), ln_unknown: log_add(self.ln_unknown, self.ln_known + (-r).ln_1p()) }
    }

    /// The opportunity's transition: `P(L') = P(L)(1 − F) + (1 − P(L)) T` and
    /// `1 − P(L') = P(L) F + (1 − P(L))(1 − T)`.
    #[inline]
    pub fn transition(self, params: &Params) -> Self {
        Self {
            ln_known: log_add(self.ln_known + (-params.forget).ln_1p(), self.ln_unknown + params.learn.ln()),
            ln_unknown: log_add(self.ln_known + params.forget.ln(), self.ln_unknown + (-params.learn).ln_1p()),
        }
    }
}

/// The posterior probability of mastery after observing a score in [0, 1] (1 = correct),
/// before the transition.
#[inline]
pub fn posterior(p: f32, score: f32, params: &BktParams) -> f32 {
    Belief::from_p(f64::from(p)).observe(f64::from(score), &params.into()).p() as f32
}

/// One full BKT step on a probability: the posterior for the observation, then the
/// transition. The served model steps log-odds instead ([`bkt_step_logit`]); this form is for
/// callers that hold plain probabilities.
///
/// ```
/// use tupu_graph::BktParams;
/// use tupu_recommend::bkt_update;
///
/// let params = BktParams { prior: 0.1, learn: 0.2, slip: 0.1, guess: 0.2, forget: 0.0 };
/// let after_right = bkt_update(0.5, 1.0, &params);
/// let after_wrong = bkt_update(0.5, 0.0, &params);
/// assert!(after_right > 0.8 && after_wrong < 0.5);
/// ```
#[inline]
pub fn bkt_update(p: f32, score: f32, params: &BktParams) -> f32 {
    let params = Params::from(params);
    Belief::from_p(f64::from(p)).observe(f64::from(score), &params).transition(&params).p() as f32
}

/// One full BKT step on stored log-odds: what [`crate::LearnerState::observe`] does to the
/// observed node.
#[inline]
pub fn bkt_step_logit(logit: f32, score: f32, params: &BktParams) -> f32 {
    let params = Params::from(params);
    Belief::from_logit(logit).observe(f64::from(score), &params).transition(&params).logit()
}

/// Pseudo-answers, at the model's own expectation, that shrink a learner's ability toward 0
/// (`K` in the module documentation).
pub const ABILITY_PSEUDO_ANSWERS: f64 = 20.0;

/// A node's ability weight `w` (see the module documentation): its stored
/// `tupu:bktAbility`, or 0.
#[inline]
pub fn ability_weight(attrs: &NodeAttrs) -> f64 {
    attrs.bkt_ability.map_or(0.0, f64::from)
}

/// The learner's ability `z = (c − e) / (n + K)` from `n` answers, `c` of them right, where
/// the model expected `e` right ones.
#[inline]
pub fn ability(answers: u32, right: u32, expected: f64) -> f64 {
    (f64::from(right) - expected) / (f64::from(answers) + ABILITY_PSEUDO_ANSWERS)
}

/// BKT's probability of a right answer `p` moved by the learner's ability `z` with weight `w`:
/// `σ(logit(p) + w · z)`, computed so that `p` at 0 or 1 stays there.
#[inline]
pub fn ability_logit(p: f64, w: f64, z: f64) -> f64 {
    let shift = w * z;
    if shift == 0.0 || p <= 0.0 || p >= 1.0 {
        return p;
    }
    let l = p.ln() - (-p).ln_1p() + shift;
    ln_sigmoid(l).exp()
}

/// Half-life, in days, of a node's mastery where none is fitted (`tupu:bktHalfLife`).
pub const DEFAULT_HALF_LIFE_DAYS: f64 = 14.0;

/// Right answers on a node up to which each one doubles its half-life (see the module
/// documentation).
pub const HALF_LIFE_DOUBLINGS: u32 = 6;

/// A node's base half-life in days: its fitted `tupu:bktHalfLife`, or
/// [`DEFAULT_HALF_LIFE_DAYS`].
#[inline]
pub fn half_life_days(attrs: &NodeAttrs) -> f64 {
    attrs.bkt_half_life.map_or(DEFAULT_HALF_LIFE_DAYS, f64::from)
}

/// The half-life in seconds of mastery of a node whose base half-life is `base_days`, for a
/// learner who answered it right `right` times: `base · 2^min(right − 1, 6)`, the base until
/// the second right answer (see the module documentation).
#[inline]
pub fn half_life_seconds(base_days: f64, right: u32) -> f64 {
    base_days * crate::model::DAY as f64 * f64::from(1u32 << right.saturating_sub(1).min(HALF_LIFE_DOUBLINGS))
}

/// The probability that mastery is kept through `elapsed` seconds without practice:
/// `2^(−elapsed / half-life)` (1 when no time has passed, or when time runs backwards).
#[inline]
pub fn retention(elapsed: i64, base_days: f64, right: u32) -> f64 {
    if elapsed <= 0 {
        return 1.0;
    }
    (-(elapsed as f64) / half_life_seconds(base_days, right)).exp2()
}

/// Log-odds of a probability.
#[inline]
pub fn logit(p: f32) -> f32 {
    Belief::from_p(f64::from(p)).logit()
}

/// Probability of log-odds.
#[inline]
pub fn sigmoid(logit: f32) -> f32 {
    Belief::from_logit(logit).p() as f32
}

/// Probability that a learner with mastery belief `p` answers correctly.
#[inline]
pub fn p_correct(p: f32, params: &BktParams) -> f32 {
    Belief::from_p(f64::from(p)).p_correct(&params.into()) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> BktParams {
        BktParams { prior: 0.1, learn: 0.15, slip: 0.1, guess: 0.2, forget: 0.0 }
    }

    #[test]
    fn evidence_moves_belief_the_right_way() {
        let p = params();
        let mut belief = p.prior;
        for _ in 0..5 {
            let next = bkt_update(belief, 1.0, &p);
            assert!(next > belief);
            belief = next;
        }
        assert!(belief > 0.95);
        let lower = posterior(belief, 0.0, &p);
        assert!(lower < belief);
    }

    #[test]
    fn graded_scores_interpolate() {
        let p = params();
        let half = posterior(0.5, 0.5, &p);
        assert!(posterior(0.5, 0.0, &p) < half && half < posterior(0.5, 1.0, &p));
    }

    #[test]
    fn long_runs_keep_their_precision_and_wrong_answers_move_as_the_equations_say() {
        // Textbook BKT: 400 right answers push 1 − P(L) far below f32 and f64 resolution of
        // P(L) itself; each wrong answer then multiplies the odds by S / (1 − G) exactly.
        let p = params();
        let q = Params::from(&p);
        let mut l = logit(p.prior);
        for _ in 0..400 {
            l = bkt_step_logit(l, 1.0, &p);
        }
        assert!(l.is_finite() && l > 300.0, "{l}");
        let before = l;
        let after = bkt_step_logit(l, 0.0, &p);
        let expected = f64::from(before) + (q.slip / (1.0 - q.guess)).ln();
        assert!((f64::from(after) - expected).abs() < 1e-3 * expected.abs(), "{after} vs {expected}");
        // No floor: it stays far above 1 − 10⁻⁶ after a few errors.
        assert!(sigmoid(after) == 1.0 && after > 100.0);
    }

    #[test]
    fn forgetting_bounds_mastery_below_one() {
        let p = BktParams { forget: 0.05, ..params() };
        let mut belief = p.prior;
        for _ in 0..200 {
            belief = bkt_update(belief, 1.0, &p);
        }
        assert!(belief <= 0.95 + 1e-6 && belief > 0.9, "{belief}");
    }

    #[test]
    fn logit_round_trips() {
        for p in [1e-9f32, 0.01, 0.5, 0.99, 1.0 - 1e-7] {
            assert!((sigmoid(logit(p)) - p).abs() <= 1e-6 * p.max(1e-3), "{p}");
        }
    }

    #[test]
    fn defaults_are_probabilities_and_harder_is_lower() {
        let easy = default_params(&NodeAttrs {
            mastery_level: Some(MasteryLevel::Know),
            difficulty: Some(0.1),
            ..NodeAttrs::default()
        });
        let hard = default_params(&NodeAttrs {
            mastery_level: Some(MasteryLevel::Apply),
            difficulty: Some(0.9),
            ..NodeAttrs::default()
        });
        for x in [easy, hard] {
            for v in [x.prior, x.learn, x.slip, x.guess, x.forget] {
                assert!((0.0..=1.0).contains(&v));
            }
        }
        assert!(hard.prior < easy.prior && hard.learn < easy.learn);
    }
}
