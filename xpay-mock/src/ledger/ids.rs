//! Ids: the merchant's single-use ids (keyed per env), the rejection of a repeat, and the
//! digit ids the fake WeChat hands out (`wx_order_id`, `TransactionId`, …).

use xpay::Env;

use crate::answer::Reject;
use crate::errcodes::DUPLICATE;
use xpay::clock::unix_now;

/// A merchant id within one env: ids are single-use per env and per kind.
pub(crate) type Key = (Env, String);

/// The key of `id` in `env`.
pub(crate) fn key(env: Env, id: &str) -> Key {
    (env, id.to_string())
}

/// 268490004: `what` (`"currency_pay order_id"`) `id` already succeeded; nothing moves.
pub(crate) fn duplicate(what: &str, id: &str) -> Reject {
    Reject::new(
        DUPLICATE,
        format!("duplicate operation: {what} {id} already succeeded"),
    )
}

/// Makes the ids the fake WeChat hands out.
#[derive(Debug, Default)]
pub(crate) struct Ids {
    seq: u64,
}

impl Ids {
    /// `prefix`, the unix time, a sequence number and random digits, padded with `0` to at
    /// least `width` characters: unique within a run, digits after the prefix.
    pub(crate) fn next(&mut self, prefix: &str, width: usize) -> String {
        self.seq += 1;
        let r: u64 = rand::random::<u64>() % 1_000_000;
        let mut s = format!("{prefix}{}{:06}{:06}", unix_now(), self.seq % 1_000_000, r);
        while s.len() < width {
            s.push('0');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_digits_of_the_width() {
        let mut ids = Ids::default();
        let a = ids.next("4200", 28);
        let b = ids.next("4200", 28);
        assert_ne!(a, b);
        assert!(
            a.len() >= 28 && a.bytes().all(|c| c.is_ascii_digit()),
            "{a}"
        );
        assert_eq!(duplicate("x", "1").errcode, DUPLICATE);
    }
}
