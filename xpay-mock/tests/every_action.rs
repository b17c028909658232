//! Every action of the spec answers success to a correctly signed sample request built from
//! its field table, with every response field present.

mod common;

use common::{login, start};
use serde_json::Value;
use xpay::Env;
use xpay::api::SPEC;
use xpay::meta::Signing;
use xpay_mock::Payment;
use xpay_mock::sample::sample_request;

#[tokio::test]
async fn every_action_succeeds_with_a_sample_request() {
    let server = start().await;
    let client = server.client();
    let (openid, sk) = login(&server, "sample-user");

    // State the ledger-backed samples refer to: a cash order whose id is the sample
    // `order_id`, paid by the sample user, large enough for a refund and a withdrawal.
    let order_id = sample_request(
        SPEC.action("query_order").expect("query_order"),
        Env::Production,
    )["order_id"]
        .as_str()
        .expect("sample order id")
        .to_string();
    server
        .pay(Payment::goods(&openid, &order_id, "sword", 100, 1))
        .await
        .expect("pay");
    // Tokens for the sample currency_pay (amount 1).
    server
        .pay(Payment::coin(&openid, "fund_order_1", 10))
        .await
        .expect("coin");

    for meta in SPEC.actions {
        let mut body = sample_request(meta, Env::Production);
        let obj = body.as_object_mut().expect("object");
        // The few values the sample cannot know: who, and the state made above.
        for (field, value) in [
            ("openid", Value::from(openid.clone())),
            ("left_fee", Value::from(100)),
            ("withdraw_amount", Value::from("0.01")),
            // currency_pay's sample order_id is the payment cancel_currency_pay refunds.
            ("pay_order_id", Value::from(order_id.clone())),
        ] {
            if obj.contains_key(field) {
                obj.insert(field.into(), value);
            }
        }
        let sk_arg = (meta.signing == Signing::PayUser).then_some(&sk);
        let resp = client
            .call(&xpay::api::SPEC, meta.name, body.clone(), sk_arg)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}\nbody: {body}", meta.name));
        let v = resp.json().expect("json");
        assert_eq!(v["errcode"], 0, "{}: {v}", meta.name);
        for f in meta.response {
            assert!(
                v.get(f.name).is_some(),
                "{}: no `{}` in {v}",
                meta.name,
                f.name
            );
        }
    }
    // Every request was accepted.
    let rejected: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.errcode != 0)
        .collect();
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(server.token_fetches(), 1);

    // The ledger-backed answers say what happened.
    let order = server.order(Env::Production, &order_id).expect("order");
    assert_eq!((order.left_fee, order.refund_fee, order.status), (99, 1, 4));
}

#[tokio::test]
async fn sample_answers_are_spec_shaped() {
    let server = start().await;
    let client = server.client();
    let resp = client
        .call(
            &xpay::api::SPEC,
            "get_complaint_detail",
            serde_json::json!({"complaint_id": "c1"}),
            None,
        )
        .await
        .expect("call");
    let v = resp.json().expect("json");
    assert_eq!(v["errmsg"], "ok");
    assert_eq!(v["complaint"]["complaint_id"], "");
    assert_eq!(v["complaint"]["complaint_full_refunded"], false);
    assert_eq!(
        v["complaint"]["complaint_media_list"],
        serde_json::json!([])
    );
    // And the typed call decodes it.
    let typed = client
        .send(xpay::api::GetComplaintDetailRequest::new("c1"))
        .await
        .expect("typed");
    assert!(typed.complaint.is_some());
}
