//! Rate limits: a token bucket per API key (every request with a key) and per profile (events
//! posted with a client key), from `governor`. Its GCRA admits exactly what a token bucket of
//! the same burst and refill period admits, with one timestamp of state per key.
//!
//! Memory: a key's state is dropped once its bucket is full again (`retain_recent`), checked
//! every [`SWEEP_EVERY`] charges; what stays is bounded by how many keys can be charged within
//! one refill of a bucket, itself bounded by the per-key limit.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Charges between two sweeps of full buckets.
const SWEEP_EVERY: u64 = 4096;

/// A token bucket: `burst` tokens at most, one more every `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub burst: NonZeroU32,
    pub period: Duration,
}

impl Rate {
    /// `per_second` tokens a second, `burst` at most at once.
    pub fn per_second(per_second: NonZeroU32, burst: NonZeroU32) -> Rate {
        Rate {
            burst,
            period: Duration::from_secs(1) / per_second.get(),
        }
    }

    /// Parses `RATE/BURST` (`200/400`: 200 a second, 400 at once); `RATE` alone means a burst
    /// of twice the rate.
    pub fn parse(text: &str) -> Result<Rate, String> {
        let number = |s: &str| {
            s.trim()
                .parse::<NonZeroU32>()
                .map_err(|_| format!("`{text}` is not RATE or RATE/BURST (whole numbers above 0)"))
        };
        let (rate, burst) = match text.split_once('/') {
            Some((rate, burst)) => (number(rate)?, number(burst)?),
            None => {
                let rate = number(text)?;
                (rate, rate.saturating_mul(NonZeroU32::MIN.saturating_add(1)))
            }
        };
        Ok(Rate::per_second(rate, burst))
    }
}

/// Why a charge was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The bucket lacks the tokens now; this many whole seconds (at least 1) refill it enough.
    RetryAfter(u64),
    /// More tokens than the bucket holds: this charge never passes.
    OverBurst(u32),
}

/// One bucket per key, or none at all when unlimited.
#[derive(Debug)]
pub struct KeyedLimit {
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    charges: AtomicU64,
}

impl KeyedLimit {
    /// Buckets of `rate`; `None`: no limit.
    pub fn new(rate: Option<Rate>) -> KeyedLimit {
        let limiter = rate.and_then(|rate| {
            Quota::with_period(rate.period)
                .map(|quota| RateLimiter::keyed(quota.allow_burst(rate.burst)))
        });
        KeyedLimit {
            limiter,
            charges: AtomicU64::new(0),
        }
    }

    /// Takes `n` tokens from `key`'s bucket (none taken when refused).
    pub fn take(&self, key: &str, n: u32) -> Result<(), Refused> {
        let (Some(limiter), Some(n)) = (&self.limiter, NonZeroU32::new(n)) else {
            return Ok(());
        };
        if self.charges.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        match limiter.check_key_n(&key.to_owned(), n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Err(Refused::RetryAfter(
                    wait.as_secs_f64().ceil().max(1.0) as u64
                ))
            }
            Err(_) => Err(Refused::OverBurst(n.get())),
        }
    }

    /// Keys with state (buckets not yet full again).
    pub fn len(&self) -> usize {
        self.limiter.as_ref().map_or(0, |l| l.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_admits_its_burst_then_says_when_to_retry() {
        let three = NonZeroU32::new(3).unwrap();
        // One token an hour: nothing refills during the test.
        let limit = KeyedLimit::new(Some(Rate {
            burst: three,
            period: Duration::from_secs(3600),
        }));
        assert_eq!(limit.take("a", 2), Ok(()));
        assert_eq!(limit.take("a", 1), Ok(()));
        match limit.take("a", 1) {
            Err(Refused::RetryAfter(s)) => assert!((3000..=3600).contains(&s), "{s}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(limit.take("b", 3), Ok(()), "each key has its own bucket");
        assert_eq!(limit.take("c", 4), Err(Refused::OverBurst(4)));
        assert_eq!(KeyedLimit::new(None).take("a", 1_000_000), Ok(()));
        assert_eq!(
            Rate::parse("200/400"),
            Ok(Rate::per_second(
                NonZeroU32::new(200).unwrap(),
                NonZeroU32::new(400).unwrap()
            ))
        );
        assert_eq!(Rate::parse("5").unwrap().burst.get(), 10);
        assert!(Rate::parse("0/4").is_err());
        assert!(Rate::parse("x").is_err());
    }
}
