//! The one wall clock of the toolkit: WeChat's times are unix seconds (a push's `CreateTime`,
//! an order's `create_time`, the `timestamp` of a signed push URL), and so are ours.

use std::time::{SystemTime, UNIX_EPOCH};

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

#[cfg(test)]
mod tests {
    #[test]
    fn now_is_after_the_spec_was_written() {
        // 2023-11-14: any correctly set clock is past it.
        assert!(super::unix_now() > 1_700_000_000);
    }
}
