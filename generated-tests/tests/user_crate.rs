//! The whole built-in spec expanded again in a user crate with `xpay::generate!`, under
//! `#![deny(warnings)]` (and clippy `-D warnings` in CI): generated code is warning-free
//! outside the `xpay` crate too, its tables match the built-in ones, and its requests are sent
//! the same way, side by side with the built-in types of the same names.
#![deny(warnings)]

mod full {
    xpay::generate!(spec = "../spec/xpay.yaml");
}

#[test]
fn a_user_crate_gets_the_same_tables() {
    assert_eq!(full::SPEC.actions.len(), 37);
    assert_eq!(full::SPEC.actions.len(), xpay::api::SPEC.actions.len());
    for (a, b) in full::SPEC.actions.iter().zip(xpay::api::SPEC.actions) {
        assert_eq!(a, b);
    }
    assert_eq!(full::SPEC.errors, xpay::api::SPEC.errors);
    assert_eq!(full::SPEC.events.len(), xpay::api::SPEC.events.len());
    assert_eq!(full::SPEC.payments, xpay::api::SPEC.payments);
}

#[test]
fn lookups_by_name_and_alias() {
    let spec = &full::SPEC;
    assert_eq!(
        spec.action("currency_query_balance").map(|a| a.name),
        Some("query_user_balance")
    );
    assert_eq!(
        spec.action("bind_transfer_accout").map(|a| a.path),
        Some("/xpay/bind_transfer_accout")
    );
    assert!(
        spec.action("bind_transfer_account").is_none(),
        "WeChat's spelling is the name"
    );
    assert_eq!(
        spec.error(268490006).map(|e| e.name),
        Some("insufficient_balance")
    );
    assert_eq!(
        spec.event("xpay_coin_pay_notify").map(|e| e.dedup_key),
        Some(&["OutTradeNo"][..])
    );
}

/// The user crate's requests and the built-in ones of the same name go through the same two
/// client methods, in one scope, without any qualification (a compile-time check).
#[allow(dead_code)]
async fn typed_sends(client: &xpay::Client, sk: &xpay::SessionKey) {
    let _ = client
        .send_user(full::QueryUserBalanceRequest::new("o", "1.1.1.1"), sk)
        .await;
    let _ = client
        .send_user(xpay::api::QueryUserBalanceRequest::new("o", "1.1.1.1"), sk)
        .await;
    let _ = client
        .send(full::DownloadBillRequest::new(20240101, 20240102))
        .await;
    let _ = client
        .send(xpay::api::DownloadBillRequest::new(20240101, 20240102))
        .await;
}

/// A user's own spec's pushes are named the way the README names the built-in ones:
/// `xpay::callback::Push<full::Event>` beside `xpay::callback::Push` (the built-in events), with
/// no direct dependency on the runtime crate (a trial found `Push` fixed to the built-in
/// events). Both routers take handlers written that way.
#[allow(dead_code)]
fn routers_for_both_specs(decoder: xpay::callback::Decoder) {
    use xpay::callback::axum::PushRouter;
    use xpay::callback::{Push, Reply};
    let _own = PushRouter::new(decoder.clone(), |push: Push<full::Event>| async move {
        let full::Event::CoinPay(_) = &push.event else {
            return Ok::<_, std::io::Error>(Reply::Success);
        };
        Ok(Reply::Success)
    });
    let _built_in = PushRouter::new(decoder, |push: Push| async move {
        let xpay::api::Event::CoinPay(_) = &push.event else {
            return Ok::<_, std::io::Error>(Reply::Success);
        };
        Ok(Reply::Success)
    });
}
