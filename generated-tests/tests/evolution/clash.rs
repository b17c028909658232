//! A user crate that declared, in a spec of its own, an action the built-in spec did not have.
//! The evolution test compiles it against the built-in spec and against one that gained the
//! same action: both are sent the same way, and nothing clashes.
#![deny(warnings)]

mod gift {
    xpay::generate!(spec = "spec/gift.yaml");
}

use xpay::Client;

pub async fn both(client: &Client) -> xpay::Result<Option<i64>> {
    let mine = client.send(gift::QueryGiftCardRequest::new("card_1")).await?;
    let _ = client
        .send(xpay::api::QueryOrderRequest::new(
            "o-user",
            xpay::api::OrderRef::wx_order_id("wx_0001"),
        ))
        .await?;
    Ok(mine.balance)
}
