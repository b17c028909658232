//! WeChat added an action: a crate-local spec expanded with `xpay::generate!`, sent through
//! the same client methods as the built-in actions, with nothing but `xpay` as a dependency.
#![deny(warnings)]

mod gift {
    xpay::generate!(spec = "tests/extra/extra.yaml");
}

use gift::{GiftCardState, QueryGiftCardRequest};

#[allow(dead_code)]
async fn use_it(client: &xpay::Client) -> Result<i64, xpay::Error> {
    let resp = client.send(QueryGiftCardRequest::new("card_1")).await?;
    Ok(resp.balance.unwrap_or_default())
}

fn main() {
    let meta = gift::SPEC.action("query_gift_card").expect("in the table");
    assert_eq!(meta.path, "/xpay/query_gift_card");
    assert_eq!(GiftCardState::from_wire("USED"), GiftCardState::Used);
    let new = GiftCardState::from_wire("NEW");
    assert!(!new.is_known());
    assert_eq!(new.as_str(), "NEW");
    assert_eq!(GiftCardState::Used.to_string(), "used up");
}
