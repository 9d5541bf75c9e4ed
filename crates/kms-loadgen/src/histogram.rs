//! A log-linear latency histogram: fixed memory, O(1) recording, values
//! reported within 1/64 (1.6 %) of what was recorded.
//!
//! Values below 128 get a bucket each; above, every power-of-two range is
//! cut into 64 equal buckets (the top 7 bits of the value pick the bucket),
//! as HdrHistogram does with two significant digits. One histogram per
//! connection, merged at the end, so recording never takes a lock.

/// Values below this are recorded exactly.
const LINEAR_LIMIT: u64 = 128;
/// Buckets per power-of-two range above [`LINEAR_LIMIT`].
const SUB_BUCKETS: usize = 64;
/// Enough buckets for any `u64`: [`bucket_of`] is `shift * 64 + mantissa`
/// with `shift <= 57` and `mantissa < 128`, so at most `59 * 64 - 1`.
const BUCKETS: usize = 59 * SUB_BUCKETS;

/// Counts of values (nanoseconds, in this program) by bucket.
#[derive(Clone, PartialEq, Eq)]
pub struct Histogram {
    counts: Box<[u64]>,
    total: u64,
    min: u64,
    max: u64,
    sum: u128,
}

impl core::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Histogram")
            .field("count", &self.total)
            .field("min", &self.min())
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS].into_boxed_slice(),
            total: 0,
            min: u64::MAX,
            max: 0,
            sum: 0,
        }
    }
}

/// The bucket of `value`.
fn bucket_of(value: u64) -> usize {
    if value < LINEAR_LIMIT {
        return value as usize;
    }
    // value >= 128, so its highest set bit is at position 7 or more and
    // `shift` is at least 1; the top 7 bits are a mantissa in 64..128.
    let msb = 63 - value.leading_zeros();
    let shift = msb - 6;
    let mantissa = (value >> shift) as usize;
    shift as usize * SUB_BUCKETS + mantissa
}

/// The smallest and largest value that land in `bucket`.
fn bucket_range(bucket: usize) -> (u64, u64) {
    if bucket < LINEAR_LIMIT as usize {
        return (bucket as u64, bucket as u64);
    }
    let shift = (bucket / SUB_BUCKETS - 1) as u32;
    let mantissa = (bucket % SUB_BUCKETS + SUB_BUCKETS) as u64;
    let low = mantissa << shift;
    // The last bucket's upper end is u64::MAX; wrapping_sub handles it.
    let high = ((mantissa + 1) << shift).wrapping_sub(1);
    (low, if high < low { u64::MAX } else { high })
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Histogram::default()
    }

    /// Records one value.
    pub fn record(&mut self, value: u64) {
        // bucket_of is below BUCKETS for every u64 (see BUCKETS).
        if let Some(slot) = self.counts.get_mut(bucket_of(value)) {
            *slot += 1;
        }
        self.total += 1;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        self.sum += u128::from(value);
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine += theirs;
        }
        self.total += other.total;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sum += other.sum;
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The smallest value recorded, 0 when empty.
    pub fn min(&self) -> u64 {
        if self.total == 0 { 0 } else { self.min }
    }

    /// The largest value recorded, 0 when empty.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The arithmetic mean, 0 when empty.
    pub fn mean(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.sum as f64 / self.total as f64
        }
    }

    /// The value at quantile `q` (0.0 to 1.0): the highest value of the
    /// bucket holding the ⌈q·n⌉-th smallest value, never above the
    /// maximum recorded. 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let q = if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) };
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0u64;
        for (bucket, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let (_, high) = bucket_range(bucket);
                return high.min(self.max).max(self.min);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_cover_u64() {
        let mut expected_low = 0u64;
        for bucket in 0..BUCKETS {
            let (low, high) = bucket_range(bucket);
            assert_eq!(low, expected_low, "bucket {bucket}");
            assert!(high >= low);
            assert_eq!(bucket_of(low), bucket);
            assert_eq!(bucket_of(high), bucket);
            if high == u64::MAX {
                assert_eq!(bucket, BUCKETS - 1);
                return;
            }
            expected_low = high + 1;
        }
        panic!("the last bucket does not reach u64::MAX");
    }

    #[test]
    fn relative_error_is_bounded() {
        for v in [
            0u64,
            1,
            127,
            128,
            129,
            1000,
            65_535,
            1 << 40,
            u64::MAX / 3,
            u64::MAX,
        ] {
            let (low, high) = bucket_range(bucket_of(v));
            assert!(low <= v && v <= high, "{v}");
            let width = (high - low) as f64;
            assert!(width <= (v as f64) / 64.0 + 0.5, "{v}: [{low}, {high}]");
        }
    }

    #[test]
    fn quantiles_of_a_uniform_run() {
        let mut h = Histogram::new();
        for v in 1..=10_000u64 {
            h.record(v * 1000);
        }
        assert_eq!(h.count(), 10_000);
        assert_eq!(h.min(), 1000);
        assert_eq!(h.max(), 10_000_000);
        assert!((h.mean() - 5_000_500.0).abs() < 1e-6);
        for (q, exact) in [
            (0.5, 5_000_000.0),
            (0.99, 9_900_000.0),
            (0.999, 9_990_000.0),
        ] {
            let got = h.quantile(q) as f64;
            assert!(
                got >= exact && got <= exact * (1.0 + 1.0 / 64.0),
                "q{q}: {got} vs {exact}"
            );
        }
        assert_eq!(h.quantile(1.0), 10_000_000);
        assert_eq!(h.quantile(0.0), 1000 + 7, "the first bucket's top");
    }

    #[test]
    fn small_values_are_exact() {
        let mut h = Histogram::new();
        for v in [3u64, 1, 2, 100] {
            h.record(v);
        }
        assert_eq!(h.quantile(0.25), 1);
        assert_eq!(h.quantile(0.5), 2);
        assert_eq!(h.quantile(0.75), 3);
        assert_eq!(h.quantile(1.0), 100);
    }

    #[test]
    fn empty_and_merge() {
        let empty = Histogram::new();
        assert_eq!(
            (
                empty.count(),
                empty.min(),
                empty.max(),
                empty.quantile(0.99)
            ),
            (0, 0, 0, 0)
        );
        assert_eq!(empty.mean(), 0.0);
        let mut a = Histogram::new();
        let mut b = Histogram::new();
        a.record(10);
        b.record(5000);
        b.record(20);
        a.merge(&b);
        a.merge(&empty);
        assert_eq!((a.count(), a.min(), a.max()), (3, 10, 5000));
        assert_eq!(a.quantile(0.5), 20);
        assert_eq!(a.quantile(f64::NAN), 10);
        let one = {
            let mut h = Histogram::new();
            h.record(u64::MAX);
            h
        };
        assert_eq!(one.quantile(0.5), u64::MAX);
    }
}
