//! `xpay demo` as users run it: no configuration (and stray XPAY_* settings ignored), exit 0,
//! every step label in order, and the facts each step shows.

use std::process::{Command, Stdio};

const LABELS: [&str; 8] = [
    "log a user in",
    "sign the wx.requestVirtualPayment parameters",
    "the user pays; the coin-pay push reaches the callback server",
    "query the balance",
    "pay with tokens",
    "cancel the token payment",
    "refund a cash order",
    "an overdraft, explained",
];

fn demo(vars: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xpay"))
        .arg("demo")
        .env_clear()
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run xpay demo");
    (
        out.status.code(),
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8(out.stderr).expect("utf-8 stderr"),
    )
}

#[test]
fn the_demo_tours_everything_and_exits_0() {
    // Settings that would break any real command: the demo must not read them.
    let (code, out, err) = demo(&[
        ("XPAY_BASE_URL", "http://127.0.0.1:1"),
        ("XPAY_APP_ID", "wx-not-this-one"),
        ("XPAY_APP_KEY", "wrong"),
        ("XPAY_ENV", "7"),
        ("XPAY_TOKEN_MODE", "nonsense"),
        ("HTTP_PROXY", "http://127.0.0.1:1"),
        ("http_proxy", "http://127.0.0.1:1"),
    ]);
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    assert!(err.is_empty(), "stderr: {err}");

    // Every label, numbered, in order, each on its own line.
    let mut at = 0;
    for (i, label) in LABELS.iter().enumerate() {
        let line = format!("\n[{}/8] {label}\n", i + 1);
        let found = out[at..]
            .find(&line)
            .unwrap_or_else(|| panic!("missing or out of order: {line:?}\n{out}"));
        at += found + line.len();
    }
    assert!(!out.contains("[9/8]"));

    for fact in [
        // 1: login
        "code2session(\"demo-login-code\")",
        "openid       o",
        "session_key  ",
        // 2: the payment parameters
        "mode       short_series_coin",
        "signData   {\"offerId\":\"1450000001\",\"buyQuantity\":100,\"env\":0,",
        "\"outTradeNo\":\"demo_coin_0001\"",
        "paySig     ",
        "signature  ",
        // 3: the coin-pay push, typed and answered
        "xpay_coin_pay_notify (Event::CoinPay): OutTradeNo demo_coin_0001, CoinInfo.Quantity 100",
        "msg_signature verified, decrypted",
        "dedup key  demo_coin_0001",
        "reply      {\"ErrCode\":0,\"ErrMsg\":\"success\"}",
        // 4-6: the ledger
        "query_user_balance → balance 100,",
        "balance 70",
        "checked: back to 100",
        // 7: the refund and its push
        "xpay_goods_deliver_notify",
        "xpay_refund_notify (Event::Refund): MchRefundId demo_refund_0001, MchOrderId demo_goods_0001, RefundFee 600, RetCode 0",
        "query_order → status 5 (refunded), left_fee 0",
        // 8: the overdraft in words
        "268490006",
        "insufficient_balance",
        "insufficient token balance",
        "the balance is still 100",
        "done: 8 steps",
    ] {
        assert!(out.contains(fact), "missing {fact:?} in\n{out}");
    }
    // Checks are stated, not just results.
    assert_eq!(
        out.matches("\n      checked: ").count(),
        8,
        "a `checked:` line for every step:\n{out}"
    );

    // No secret of the demo's fake app other than the throwaway ones is printed, and the
    // session key only by its first characters.
    assert!(!out.contains("demo-app-secret"), "{out}");
    assert!(!out.contains("demo-app-key"), "{out}");
}

#[test]
fn the_demo_takes_no_arguments() {
    let out = Command::new(env!("CARGO_BIN_EXE_xpay"))
        .args(["demo", "--port", "1"])
        .env_clear()
        .output()
        .expect("run xpay demo");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).expect("utf-8");
    assert_eq!(err.matches('\n').count(), 1, "{err:?}");
    assert!(err.starts_with("error: "), "{err}");
}
