//! Sparse competency profiles shaped like the peers' generator (`gen.py`): competencies drawn
//! by a Zipf–Mandelbrot law (rank r has weight 1 / (r + 10)), a Poisson number of distinct
//! competencies per row, weights uniform in (0, 1].

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tupu_recommend::matching::{Cell, Profile};

/// `rows` profiles over `competencies`, about `mean_nnz` cells each, for a seed.
pub fn zipf_profiles(rows: usize, competencies: usize, mean_nnz: usize, seed: u64) -> Vec<Profile> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Cumulative popularity by rank, then a fixed shuffle of ranks to competency ids.
    let weights: Vec<f64> = (0..competencies).map(|r| 1.0 / (r as f64 + 10.0)).collect();
    let total: f64 = weights.iter().sum();
    let mut cumulative = Vec::with_capacity(competencies);
    let mut acc = 0.0;
    for w in &weights {
        acc += w / total;
        cumulative.push(acc);
    }
    let mut ids: Vec<u32> = (0..competencies as u32).collect();
    let mut shuffle = ChaCha8Rng::seed_from_u64(3);
    for i in (1..ids.len()).rev() {
        ids.swap(i, shuffle.random_range(0..=i));
    }
    (0..rows)
        .map(|_| {
            // Poisson by inversion is slow for large means: a binomial stand-in with the same mean.
            let k = (0..2 * mean_nnz).filter(|_| rng.random::<bool>()).count().max(1);
            let mut cells = Vec::with_capacity(k);
            let mut seen = std::collections::HashSet::new();
            while cells.len() < k {
                let u: f64 = rng.random();
                let rank = cumulative.partition_point(|&c| c < u).min(competencies - 1);
                let comp = ids[rank];
                if seen.insert(comp) {
                    cells.push(Cell { comp, value: rng.random_range(0.001..=1.0), level: 0, essential: true });
                }
            }
            Profile::new(cells)
        })
        .collect()
}
