//! The server's notion of time for key lifecycles (rotation dates, deletion
//! windows, imported-material expiry, grant and alias dates).
//!
//! It is the wall clock plus an offset. The offset stays zero unless the
//! server was started with `--test-clock`, which lets tests move time
//! forward (never back) to see a year's rotation or a deletion window pass
//! for real. SigV4 request times are always checked against the wall clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Wall time plus a forward-only offset.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
    adjustable: bool,
}

/// Milliseconds since the epoch, from the wall clock.
pub fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Clock {
    /// The wall clock.
    pub fn system() -> Self {
        Clock::default()
    }

    /// A clock tests may advance.
    pub fn adjustable() -> Self {
        Clock {
            offset_ms: AtomicI64::new(0),
            adjustable: true,
        }
    }

    /// Whether [`Clock::advance`] is allowed.
    pub fn is_adjustable(&self) -> bool {
        self.adjustable
    }

    /// Now, in milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        wall_ms().saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves time forward by `ms`; returns the new offset, or `None` when
    /// this clock is not adjustable or `ms` is negative or absurd (over
    /// 100 years).
    pub fn advance(&self, ms: i64) -> Option<i64> {
        const LIMIT: i64 = 100 * 366 * 24 * 60 * 60 * 1000;
        if !self.adjustable || !(0..=LIMIT).contains(&ms) {
            return None;
        }
        let previous = self.offset_ms.fetch_add(ms, Ordering::Relaxed);
        Some(previous + ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_adjustable_clock_moves_and_only_forward() {
        let fixed = Clock::system();
        assert_eq!(fixed.advance(1000), None);
        let clock = Clock::adjustable();
        let before = clock.now_ms();
        assert_eq!(clock.advance(365 * 86_400_000), Some(365 * 86_400_000));
        assert!(clock.now_ms() >= before + 365 * 86_400_000);
        assert_eq!(clock.advance(-1), None);
        assert_eq!(clock.advance(i64::MAX), None);
    }
}
