//! Bayesian Knowledge Tracing: the per-node update of the probability of mastery.
//!
//! Each knowledge point has four parameters (Corbett & Anderson, 1995): the prior `P(L0)`, the
//! probability `T` of learning at each practice opportunity, the slip `S` (wrong despite
//! mastery) and the guess `G` (right without mastery). An observation updates the belief by
//! Bayes' rule and then applies the learning transition:
//!
//! ```text
//! correct:   P(L | obs) = P(L)(1 − S) / (P(L)(1 − S) + (1 − P(L)) G)
//! incorrect: P(L | obs) = P(L) S / (P(L) S + (1 − P(L))(1 − G))
//! next:      P(L') = P(L | obs) + (1 − P(L | obs)) T
//! ```
//! A graded score `s ∈ [0, 1]` is treated as a mixture of the two observations, weighted by `s`.

use tupu_graph::{BktParams, MasteryLevel, NodeAttrs};

/// Parameters used where a node has none of its own, derived from its target level and
/// difficulty: deeper levels and harder nodes start lower, are learnt more slowly and are
/// guessed less often.
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
    }
}

/// The posterior probability of mastery after observing a score in [0, 1] (1 = correct),
/// before the learning transition.
#[inline]
pub fn posterior(p: f32, score: f32, params: &BktParams) -> f32 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    let right = p * (1.0 - params.slip) / (p * (1.0 - params.slip) + (1.0 - p) * params.guess);
    let wrong = p * params.slip / (p * params.slip + (1.0 - p) * (1.0 - params.guess));
    score * right + (1.0 - score) * wrong
}

/// One full BKT step: the posterior for the observation, then the learning transition.
///
/// ```
/// use tupu_graph::BktParams;
/// use tupu_recommend::bkt_update;
///
/// let params = BktParams { prior: 0.1, learn: 0.2, slip: 0.1, guess: 0.2 };
/// let after_right = bkt_update(0.5, 1.0, &params);
/// let after_wrong = bkt_update(0.5, 0.0, &params);
/// assert!(after_right > 0.8 && after_wrong < 0.5);
/// ```
#[inline]
pub fn bkt_update(p: f32, score: f32, params: &BktParams) -> f32 {
    let post = posterior(p, score, params);
    post + (1.0 - post) * params.learn
}

/// Probability that a learner with mastery belief `p` answers correctly.
#[inline]
pub fn p_correct(p: f32, params: &BktParams) -> f32 {
    p * (1.0 - params.slip) + (1.0 - p) * params.guess
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> BktParams {
        BktParams { prior: 0.1, learn: 0.15, slip: 0.1, guess: 0.2 }
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
            for v in [x.prior, x.learn, x.slip, x.guess] {
                assert!((0.0..=1.0).contains(&v));
            }
        }
        assert!(hard.prior < easy.prior && hard.learn < easy.learn);
    }
}
