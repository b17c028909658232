//! The one wall clock of the toolkit: WeChat's times are unix seconds (a push's `CreateTime`,
//! an order's `create_time`, the `timestamp` of a signed push URL), and so are ours. Also the
//! deadlines the in-memory stores keep, on Tokio's monotonic clock.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Now, in unix seconds: negative before 1970 (a clock set wrong), saturating at `i64::MAX`.
///
/// The push decoder compares a push's `timestamp` with this to refuse stale or replayed
/// pushes; the mock stamps orders and pushes with it; the shop example stamps its orders.
pub fn unix_now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// An instant `ttl` from `now`; `None` (never) when that is beyond what `Instant` can hold.
/// The in-memory stores keep their leases and retentions this way, so that no absurdly long
/// one wraps into one already over.
pub(crate) fn deadline(now: tokio::time::Instant, ttl: Duration) -> Option<tokio::time::Instant> {
    now.checked_add(ttl)
}

/// Whether something with this [`deadline`] is still alive at `now`.
pub(crate) fn alive(deadline: Option<tokio::time::Instant>, now: tokio::time::Instant) -> bool {
    deadline.is_none_or(|d| d > now)
}

#[cfg(test)]
mod tests {
    #[test]
    fn now_is_after_the_spec_was_written() {
        // 2023-11-14: any correctly set clock is past it.
        assert!(super::unix_now() > 1_700_000_000);
    }
}
