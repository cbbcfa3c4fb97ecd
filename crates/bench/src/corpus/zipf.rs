//! A Zipf sampler over ranks `0..n`: rank `r` is drawn with probability proportional to
//! `1 / (r + 1)^s`. Word frequencies, author activity and conversation lengths on social platforms
//! all follow this shape, which is what makes BM25 and the peers' rankers do real work.

use rand::Rng;

/// Samples ranks by binary search over a precomputed cumulative table (n floats; built once).
#[derive(Debug, Clone)]
pub struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    /// A sampler over `n` ranks (at least one) with exponent `s`.
    pub fn new(n: usize, s: f64) -> Self {
        let n = n.max(1);
        let mut cumulative = Vec::with_capacity(n);
        let mut total = 0.0;
        for rank in 0..n {
            total += 1.0 / ((rank + 1) as f64).powf(s);
            cumulative.push(total);
        }
        for value in &mut cumulative {
            *value /= total;
        }
        Self { cumulative }
    }

    pub fn len(&self) -> usize {
        self.cumulative.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cumulative.is_empty()
    }

    /// A rank in `0..len()`, rank 0 the most frequent.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        let u: f64 = rng.gen();
        let rank = self.cumulative.partition_point(|&c| c < u);
        rank.min(self.cumulative.len() - 1)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn low_ranks_are_drawn_far_more_often_than_high_ones() {
        let zipf = Zipf::new(1_000, 1.0);
        let mut rng = StdRng::seed_from_u64(7);
        let mut counts = vec![0u32; zipf.len()];
        for _ in 0..100_000 {
            counts[zipf.sample(&mut rng)] += 1;
        }
        assert!(counts[0] > 5 * counts[9], "{} vs {}", counts[0], counts[9]);
        assert!(counts[9] > counts[500]);
        assert!(counts.iter().filter(|&&c| c > 0).count() > 500, "the tail is reached");
    }

    #[test]
    fn a_single_rank_sampler_always_returns_it() {
        let zipf = Zipf::new(0, 1.2);
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(zipf.sample(&mut rng), 0);
    }
}
