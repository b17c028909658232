//! # Testing your xpay code against xpay-mock — an example to copy
//!
//! This is the integration test most teams write first: gift a user some tokens, let them
//! spend some, take the spend back, and check the balance. It runs your real client code
//! against `xpay-mock`, a fake WeChat that checks every signature and keeps a real ledger,
//! so a wrong `pay_sig`, a missing session key or a double charge fails here rather than in
//! production.
//!
//! To use it in your project:
//!
//! ```toml
//! [dev-dependencies]
//! xpay-mock = "0.2"
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! then copy a test below and replace the direct `client.…` calls with calls to your own
//! service code, handing it a client built by `mock_client` (or, if your code builds its own
//! client from `XPAY_*` variables, feed it `server.env_lines()`).
//!
//! Everything is in memory and on 127.0.0.1: no credentials, no network, runs in parallel.

use xpay::api::{
    CancelCurrencyPayRequest, CurrencyPayRequest, PayItem, PresentCurrencyRequest,
    QueryUserBalanceRequest,
};
use xpay::{Client, Env, Error, JsonString};
use xpay_mock::{Fault, MockConfig, MockServer};

/// The `?`-friendly result of a test: any error fails it with its message.
type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A client configured the way production configures it — app id, AppSecret, offer id and
/// both AppKeys — except that it talks to the mock, with the mock's random credentials:
/// `MockServer::client_builder` gives exactly that (with short retry backoffs), to adjust
/// before `build` (`.env(Env::Sandbox)`, say).
fn mock_client(server: &MockServer) -> Result<Client, Error> {
    server.client_builder().env(Env::Production).build()
}

/// A `currency_pay` request: spend `amount` tokens on one sword. `order_id` is *your* id for
/// this spend; WeChat deduplicates by it, so a retry must reuse it.
fn spend(openid: &str, order_id: &str, amount: i64) -> CurrencyPayRequest {
    // `env` is left unset: it is filled from the client (production here). `payitem` is a JSON
    // string on the wire; JsonString writes it for you.
    CurrencyPayRequest::new(
        openid,
        "203.0.113.7",
        amount,
        order_id,
        JsonString(vec![PayItem::new("sword_01", amount, 1)]),
        "sword",
    )
}

#[tokio::test]
async fn present_pay_cancel_and_check_the_balance() -> TestResult {
    // 1. Start a fake WeChat on a free port. Each test gets its own, with its own random
    //    credentials and an empty ledger.
    let server = MockServer::start(MockConfig::default()).await?;
    let client = mock_client(&server)?;

    // 2. A user logs in. Your /login handler calls code2session with the code from
    //    wx.login(); the mock accepts any code and always maps the same code to the same
    //    openid. The session key that comes back signs this user's pay+user calls.
    let login = client.code2session("code-of-alice").await?;
    let openid = login.openid.clone();

    // 3. Gift 100 tokens (代币赠送). Signed with pay_sig only: no session key needed.
    client
        .send(PresentCurrencyRequest::new(
            openid.clone(),
            "gift_alice_0001",
            100,
        ))
        .await?;

    // 4. The user spends 30 (扣减代币). currency_pay is a pay+user action: it takes the
    //    latest session key by type, and forgetting it does not compile.
    let paid = client
        .send_user(spend(&openid, "spend_alice_0001", 30), &login.session_key)
        .await?;
    assert_eq!(paid.balance, Some(70));
    assert_eq!(paid.used_present_amount, Some(30), "gifted tokens go first");

    // 5. Delivery failed on your side, so you take the spend back (代币支付退款). The cancel
    //    has its own id, and names the spend it reverses.
    client
        .send_user(
            CancelCurrencyPayRequest::new(
                openid.clone(),
                "203.0.113.7",
                "spend_alice_0001",
                "cancel_alice_0001",
                30,
            ),
            &login.session_key,
        )
        .await?;

    // 6. The balance is back to 100, as WeChat reports it to your code…
    let balance = client
        .send_user(
            QueryUserBalanceRequest::new(openid.clone(), "203.0.113.7"),
            &login.session_key,
        )
        .await?;
    assert_eq!(balance.balance, Some(100));
    assert_eq!(balance.present_balance, Some(100));
    assert_eq!(balance.sum_cost, Some(0), "the cancel undid the cost");

    // …and as the mock's ledger sees it, for assertions your code has no API for.
    let ledger = server.balance(&openid, Env::Production);
    assert_eq!(
        (ledger.balance, ledger.present, ledger.saved),
        (100, 100, 0)
    );
    Ok(())
}

#[tokio::test]
async fn what_wechat_does_to_your_money_moving_code() -> TestResult {
    let server = MockServer::start(MockConfig::default()).await?;
    let client = mock_client(&server)?;
    let login = client.code2session("code-of-bob").await?;
    let openid = login.openid.clone();
    client
        .send(PresentCurrencyRequest::new(
            openid.clone(),
            "gift_bob_0001",
            50,
        ))
        .await?;

    // A system error (-1) on the first attempt: the client retries with the very same
    // body, so WeChat can deduplicate it, and your code sees one success. Faults are
    // answered before any check, so the failed attempt moved nothing.
    server.fail_next("currency_pay", 1, Fault::errcode(-1))?;
    let paid = client
        .send_user(spend(&openid, "spend_bob_0001", 20), &login.session_key)
        .await?;
    assert_eq!(paid.balance, Some(30));
    let attempts: Vec<i64> = server
        .requests()
        .iter()
        .filter(|r| r.endpoint == "currency_pay")
        .map(|r| r.errcode)
        .collect();
    assert_eq!(attempts, [-1, 0], "one failed attempt, one retry");

    // Calling again with the same order_id (your own retry after a timeout, a double
    // click) is refused with 268490004 and charges nothing: treat it as "already done".
    let again = client
        .send_user(spend(&openid, "spend_bob_0001", 20), &login.session_key)
        .await;
    assert!(matches!(again, Err(Error::Duplicate { .. })), "{again:?}");
    assert_eq!(server.balance(&openid, Env::Production).balance, 30);

    // Spending more than the balance: errcode 268490006, with its meaning in the message.
    let too_much = client
        .send_user(spend(&openid, "spend_bob_0002", 31), &login.session_key)
        .await;
    let err = too_much.err().ok_or("an overdraft must fail")?;
    assert_eq!(err.errcode(), Some(268_490_006));
    println!("what your logs would say: {err}");

    // An expired access token (42001) is dropped, a new one fetched, and the call made
    // once more: your code does not notice.
    let fetched = server.token_fetches();
    server.expire_token();
    client
        .send(PresentCurrencyRequest::new(
            openid.clone(),
            "gift_bob_0002",
            5,
        ))
        .await?;
    assert_eq!(server.token_fetches(), fetched + 1);
    assert_eq!(server.balance(&openid, Env::Production).balance, 35);
    Ok(())
}
