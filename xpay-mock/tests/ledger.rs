//! The ledger through the real client: balances move only by gifts, purchases and payments;
//! ids are idempotent; no overdraft; cancels refund; and a property test over random sequences.

mod common;

use common::{code, login, pay, present, start};
use proptest::prelude::*;
use xpay::api::{CancelCurrencyPayRequest, QueryUserBalanceRequest};
use xpay::{Client, Env, Error, SessionKey};
use xpay_mock::{MockConfig, MockServer, Payment, SpendOrder, errcodes};

fn cancel(
    openid: &str,
    pay_order_id: &str,
    order_id: &str,
    amount: i64,
) -> CancelCurrencyPayRequest {
    CancelCurrencyPayRequest::new(openid, "127.0.0.1", pay_order_id, order_id, amount)
}

async fn balance_via_api(client: &Client, openid: &str, sk: &SessionKey) -> i64 {
    client
        .send_user(QueryUserBalanceRequest::new(openid, "127.0.0.1"), sk)
        .await
        .expect("balance")
        .balance
        .unwrap_or(-1)
}

#[tokio::test]
async fn present_pay_cancel_and_query() {
    let server = start().await;
    let client = server.client();
    let (openid, sk) = login(&server, "bob");

    let r = client
        .send(present(&openid, "gift_1", 30))
        .await
        .expect("present");
    assert_eq!(
        (r.balance, r.present_balance, r.order_id.as_deref()),
        (Some(30), Some(30), Some("gift_1"))
    );
    server
        .pay(Payment::coin(&openid, "coin_order_1", 70))
        .await
        .expect("coin payment");
    assert_eq!(balance_via_api(&client, &openid, &sk).await, 100);

    // Presented tokens are spent first (the default).
    let r = client
        .send_user(pay(&openid, "pay_1", 40), &sk)
        .await
        .expect("pay");
    assert_eq!(
        (r.balance, r.used_present_amount, r.order_id.as_deref()),
        (Some(60), Some(30), Some("pay_1"))
    );
    let b = server.balance(&openid, Env::Production);
    assert_eq!(
        (b.saved, b.present, b.sum_save, b.sum_present, b.sum_cost),
        (60, 0, 70, 30, 40)
    );

    // A repeated order_id moves nothing.
    let e = client
        .send_user(pay(&openid, "pay_1", 5), &sk)
        .await
        .expect_err("dup");
    assert!(matches!(e, Error::Duplicate { .. }), "{e}");
    let e = client
        .send(present(&openid, "gift_1", 5))
        .await
        .expect_err("dup");
    assert_eq!(code(&e), errcodes::DUPLICATE);
    assert_eq!(balance_via_api(&client, &openid, &sk).await, 60);

    // No overdraft.
    let e = client
        .send_user(pay(&openid, "pay_2", 61), &sk)
        .await
        .expect_err("overdraft");
    assert_eq!(code(&e), errcodes::INSUFFICIENT_BALANCE);
    assert_eq!(balance_via_api(&client, &openid, &sk).await, 60);
    // …and the refused id was not used up.
    client
        .send_user(pay(&openid, "pay_2", 60), &sk)
        .await
        .expect("exact balance");
    assert_eq!(balance_via_api(&client, &openid, &sk).await, 0);

    // Cancels refund at most what was paid, once.
    let e = client
        .send_user(cancel(&openid, "pay_1", "refund_1", 41), &sk)
        .await
        .expect_err("too much");
    assert_eq!(code(&e), errcodes::INVALID_FIELD);
    let e = client
        .send_user(cancel(&openid, "no_such_pay", "refund_1", 1), &sk)
        .await
        .expect_err("unknown");
    assert_eq!(code(&e), errcodes::INVALID_FIELD);
    let r = client
        .send_user(cancel(&openid, "pay_1", "refund_1", 25), &sk)
        .await
        .expect("cancel");
    assert_eq!(r.order_id.as_deref(), Some("refund_1"));
    assert_eq!(balance_via_api(&client, &openid, &sk).await, 25);
    // 10 of pay_1 came from saved tokens: they go back there first.
    let b = server.balance(&openid, Env::Production);
    assert_eq!((b.saved, b.present, b.sum_cost), (10, 15, 75));
    let e = client
        .send_user(cancel(&openid, "pay_1", "refund_1", 25), &sk)
        .await
        .expect_err("dup");
    assert!(matches!(e, Error::Duplicate { .. }), "{e}");
    let e = client
        .send_user(cancel(&openid, "pay_1", "refund_2", 1), &sk)
        .await
        .expect_err("again");
    assert_eq!(code(&e), errcodes::ALREADY_CANCELLED);

    // Another user cannot cancel bob's payment.
    let (eve, eve_sk) = login(&server, "eve");
    let e = client
        .send_user(cancel(&eve, "pay_2", "refund_3", 1), &eve_sk)
        .await
        .expect_err("not eve's");
    assert_eq!(code(&e), errcodes::OPENID_WRONG);

    // The full balance answer.
    let r = client
        .send_user(
            QueryUserBalanceRequest::new(openid.clone(), "127.0.0.1"),
            &sk,
        )
        .await
        .expect("balance");
    assert_eq!(r.balance, Some(25));
    assert_eq!(r.present_balance, Some(15));
    assert_eq!(r.sum_save, Some(70));
    assert_eq!(r.sum_present, Some(30));
    assert_eq!(r.sum_balance, Some(100));
    assert_eq!(r.sum_cost, Some(75));
    assert_eq!(r.first_save_flag, Some(false));
}

#[tokio::test]
async fn envs_keep_separate_balances_and_saved_first_is_configurable() {
    let server = MockServer::start(MockConfig::default().with_spend_order(SpendOrder::SavedFirst))
        .await
        .expect("start");
    let sandbox = server
        .client_builder()
        .env(Env::Sandbox)
        .build()
        .expect("client");
    let (openid, sk) = login(&server, "carol");
    sandbox
        .send(present(&openid, "gift_1", 10))
        .await
        .expect("present");
    server
        .pay(Payment::coin(&openid, "coin_order_1", 10).with_env(Env::Sandbox))
        .await
        .expect("coin");
    assert_eq!(server.balance(&openid, Env::Sandbox).balance, 20);
    assert_eq!(server.balance(&openid, Env::Production).balance, 0);
    let r = sandbox
        .send_user(pay(&openid, "pay_1", 15), &sk)
        .await
        .expect("pay");
    assert_eq!(r.used_present_amount, Some(5), "saved tokens first");
    // The same ids are free in the other env.
    let prod = server.client();
    prod.send(present(&openid, "gift_1", 1))
        .await
        .expect("prod present");
}

/// One step of a random sequence.
#[derive(Debug, Clone)]
enum Op {
    Present(i64),
    Buy(i64),
    Pay(i64),
    Cancel(usize, i64),
    RepeatPay(usize),
    RepeatPresent,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1i64..40).prop_map(Op::Present),
        (1i64..40).prop_map(Op::Buy),
        (1i64..60).prop_map(Op::Pay),
        (0usize..6, 1i64..50).prop_map(|(i, a)| Op::Cancel(i, a)),
        (0usize..6).prop_map(Op::RepeatPay),
        Just(Op::RepeatPresent),
    ]
}

/// Runs one sequence for a fresh user against a shared server; checks after each step that
/// the balance equals the model (changed only by gifts, purchases, payments and cancels),
/// never goes negative, and equals `sum_save + sum_present - sum_cost`.
async fn run(server: &MockServer, client: &Client, case: u32, ops: &[Op]) -> Result<(), String> {
    // Ids are unique per app (not per user), as WeChat's: each case uses its own.
    let (openid, sk) = login(server, &format!("prop-user-{case}"));
    let mut model = 0i64;
    let mut pays: Vec<(String, i64, bool)> = Vec::new();
    let mut presents = 0usize;
    for (n, op) in ops.iter().enumerate() {
        match op {
            Op::Present(a) => {
                client
                    .send(present(&openid, &format!("c{case}g{n}"), *a))
                    .await
                    .map_err(|e| e.to_string())?;
                model += a;
                presents += 1;
            }
            Op::Buy(q) => {
                server
                    .pay(Payment::coin(&openid, format!("c{case}buy{n:06}"), *q))
                    .await
                    .map_err(|e| e.to_string())?;
                model += q;
            }
            Op::Pay(a) => match client
                .send_user(pay(&openid, &format!("c{case}p{n}"), *a), &sk)
                .await
            {
                Ok(r) => {
                    if *a > model {
                        return Err(format!("overdraft of {a} with {model} accepted"));
                    }
                    model -= a;
                    if r.balance != Some(model) {
                        return Err(format!(
                            "pay answered balance {:?}, model {model}",
                            r.balance
                        ));
                    }
                    pays.push((format!("c{case}p{n}"), *a, false));
                }
                Err(e) if e.errcode() == Some(errcodes::INSUFFICIENT_BALANCE) && *a > model => {}
                Err(e) => return Err(format!("pay {a} with {model}: {e}")),
            },
            Op::Cancel(i, a) => {
                let Some((id, paid, cancelled)) = pays.get(*i).cloned() else {
                    continue;
                };
                match client
                    .send_user(cancel(&openid, &id, &format!("c{case}c{n}"), *a), &sk)
                    .await
                {
                    Ok(_) if !cancelled && *a <= paid => {
                        model += a;
                        pays[*i].2 = true;
                    }
                    Err(e) if cancelled && e.errcode() == Some(errcodes::ALREADY_CANCELLED) => {}
                    Err(e)
                        if !cancelled
                            && *a > paid
                            && e.errcode() == Some(errcodes::INVALID_FIELD) => {}
                    other => {
                        return Err(format!(
                            "cancel {a} of {paid} (cancelled {cancelled}): {other:?}"
                        ));
                    }
                }
            }
            Op::RepeatPay(i) => {
                let Some((id, _, _)) = pays.get(*i).cloned() else {
                    continue;
                };
                match client.send_user(pay(&openid, &id, 1), &sk).await {
                    Err(Error::Duplicate { .. }) => {}
                    other => return Err(format!("repeat of {id}: {other:?}")),
                }
            }
            Op::RepeatPresent => {
                if presents == 0 {
                    continue;
                }
                let first = ops
                    .iter()
                    .position(|o| matches!(o, Op::Present(_)))
                    .unwrap_or(0);
                match client
                    .send(present(&openid, &format!("c{case}g{first}"), 1))
                    .await
                {
                    Err(Error::Duplicate { .. }) => {}
                    other => return Err(format!("repeat present: {other:?}")),
                }
            }
        }
        let b = server.balance(&openid, Env::Production);
        if b.balance != model || b.balance < 0 || b.saved < 0 || b.present < 0 {
            return Err(format!("after {op:?}: {b:?}, model {model}"));
        }
        if b.balance != b.sum_save + b.sum_present - b.sum_cost {
            return Err(format!("sums do not add up: {b:?}"));
        }
    }
    let api = balance_via_api(client, &openid, &sk).await;
    if api != model {
        return Err(format!("query_user_balance says {api}, model {model}"));
    }
    Ok(())
}

#[test]
fn random_sequences_keep_the_invariants() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (server, client) = rt.block_on(async {
        let server = start().await;
        let client = server.client();
        (server, client)
    });
    let case = std::sync::atomic::AtomicU32::new(0);
    let config = ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(ops in proptest::collection::vec(op(), 1..24))| {
        let case = case.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let outcome = rt.block_on(run(&server, &client, case, &ops));
        prop_assert!(outcome.is_ok(), "{:?}", outcome);
    });
}
