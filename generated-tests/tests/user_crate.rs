//! The whole built-in spec expanded again in a user crate (extension-trait style), under
//! `#![deny(warnings)]` (and clippy `-D warnings` in CI): generated code is warning-free
//! outside xpay-runtime too, and its tables match the runtime's own.
#![deny(warnings)]

mod full {
    xpay_runtime::generate!(spec = "../../spec/xpay.yaml", trait_name = "AllActions");
}

#[test]
fn a_user_crate_gets_the_same_tables() {
    assert_eq!(full::SPEC.actions.len(), 37);
    assert_eq!(
        full::SPEC.actions.len(),
        xpay_runtime::api::SPEC.actions.len()
    );
    for (a, b) in full::SPEC
        .actions
        .iter()
        .zip(xpay_runtime::api::SPEC.actions)
    {
        assert_eq!(a, b);
    }
    assert_eq!(full::SPEC.errors, xpay_runtime::api::SPEC.errors);
    assert_eq!(full::SPEC.events.len(), 7);
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
        spec.event("xpay_coin_pay_notify").and_then(|e| e.dedup_key),
        Some("OutTradeNo")
    );
}

/// The trait methods exist with the right signatures (a compile-time check).
#[allow(dead_code)]
async fn typed_methods(client: &xpay_runtime::Client, sk: &xpay_runtime::SessionKey) {
    // The runtime's inherent methods share these names, so call the trait's explicitly.
    let _ = full::AllActions::query_user_balance(
        client,
        full::QueryUserBalanceRequest {
            openid: "o".into(),
            user_ip: "1.1.1.1".into(),
            env: None,
        },
        sk,
    )
    .await;
    let _ = full::AllActions::download_bill(
        client,
        full::DownloadBillRequest {
            begin_ds: 20240101,
            end_ds: 20240102,
        },
    )
    .await;
}
