//! WeChat added an action: a crate-local spec expanded outside xpay-runtime, used through the
//! runtime's public API, with nothing but `xpay-runtime` as a dependency.
#![deny(warnings)]

mod gift {
    xpay_runtime::generate!(spec = "../../extra/extra.yaml", trait_name = "GiftCardActions");
}

use gift::{GiftCardActions, GiftCardState, QueryGiftCardRequest};

#[allow(dead_code)]
async fn use_it(client: &xpay_runtime::Client) -> Result<i64, xpay_runtime::Error> {
    let resp = client
        .query_gift_card(QueryGiftCardRequest { card_id: "card_1".into(), env: None })
        .await?;
    Ok(resp.balance.unwrap_or_default())
}

fn main() {
    let meta = gift::SPEC.action("query_gift_card").expect("in the table");
    assert_eq!(meta.path, "/xpay/query_gift_card");
    assert_eq!(GiftCardState::from_wire("USED"), GiftCardState::Used);
    assert_eq!(GiftCardState::from_wire("NEW"), GiftCardState::Unknown("NEW".into()));
}
