//! The `xpay` binary, run as other programs run it: a cleared environment plus the variables
//! each test gives, stdout and stderr captured, the exit code checked. Signatures are
//! recomputed here with `hmac` + `sha2`, independently of xpay-runtime; `call` runs against a
//! small fake WeChat (axum) that checks the token and both signatures over the raw body bytes.

mod common;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use common::{Run, temp_file, xpay, xpay_with_stdin};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const OFFER_ID: &str = "1450000001";
const APP_ID: &str = "wx0123456789abcdef";
const APP_SECRET: &str = "the-app-secret-0123456789";
const PROD_KEY: &str = "prod-app-key-12345";
const SANDBOX_KEY: &str = "sandbox-app-key-xyz";
const SESSION_KEY: &str = "9hAb/NEYUlkaMBEsmFgzig==";
const TOKEN: &str = "T";

// ---------------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------------

fn hmac_hex(key: &str, parts: &[&[u8]]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    for p in parts {
        mac.update(p);
    }
    hex::encode(mac.finalize().into_bytes())
}

// ---------------------------------------------------------------------------------------------
// sign-payment
// ---------------------------------------------------------------------------------------------

const PAY_VARS: &[(&str, &str)] = &[("XPAY_OFFER_ID", OFFER_ID), ("XPAY_APP_KEY", PROD_KEY)];

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    k.sort_unstable();
    k
}

/// Checks the output's shape and recomputes paySig (and signature) from its signData.
fn check_params(v: &Value, mode: &str, key: &str, session_key: Option<&str>) -> String {
    let mut want = vec!["mode", "paySig", "signData"];
    if session_key.is_some() {
        want.push("signature");
        want.sort_unstable();
    }
    assert_eq!(keys(v), want);
    assert_eq!(v["mode"], mode);
    let sign_data = v["signData"]
        .as_str()
        .expect("signData is a string")
        .to_string();
    assert_eq!(
        v["paySig"],
        hmac_hex(key, &[b"requestVirtualPayment&", sign_data.as_bytes()])
    );
    if let Some(sk) = session_key {
        assert_eq!(v["signature"], hmac_hex(sk, &[sign_data.as_bytes()]));
    }
    sign_data
}

#[test]
fn the_test_hmac_reproduces_the_payment_vector() {
    // vectors.json "payment": its outTradeNo (6 chars) cannot pass validation, so the vector
    // checks this file's own HMAC instead.
    let sign_data = r#"{"offerId":"123","buyQuantity":1,"env":0,"currencyType":"CNY","productId":"testproductId","goodsPrice":10,"outTradeNo":"xxxxxx","attach":"testdata"}"#;
    assert_eq!(
        hmac_hex("12345", &[b"requestVirtualPayment&", sign_data.as_bytes()]),
        "0ce2a9fcab3532e9f78dd3beb841806c0c08a24ec26b04c366584ac06d852bb0"
    );
    assert_eq!(
        hmac_hex(SESSION_KEY, &[sign_data.as_bytes()]),
        "8e08bc05e10243e2e943385292e2063be327f8285c0db753a5c3e5db5745cb69"
    );
}

#[test]
fn coin_payment() {
    let v = xpay(
        &[
            "sign-payment",
            "--mode",
            "coin",
            "--buy-quantity",
            "10",
            "--out-trade-no",
            "coin_0001",
        ],
        PAY_VARS,
    )
    .json();
    let sign_data = check_params(&v, "short_series_coin", PROD_KEY, None);
    assert_eq!(
        sign_data,
        r#"{"offerId":"1450000001","buyQuantity":10,"env":0,"currencyType":"CNY","outTradeNo":"coin_0001","attach":""}"#
    );
}

#[test]
fn goods_payment_with_session_key() {
    let v = xpay(
        &[
            "sign-payment",
            "--mode",
            "goods",
            "--buy-quantity",
            "2",
            "--out-trade-no",
            "goods|0001*x@y-z",
            "--product-id",
            "sword",
            "--goods-price",
            "600",
            "--attach",
            "{\"uid\":7}",
            "--session-key",
            SESSION_KEY,
        ],
        PAY_VARS,
    )
    .json();
    let sign_data = check_params(&v, "short_series_goods", PROD_KEY, Some(SESSION_KEY));
    assert_eq!(
        sign_data,
        r#"{"offerId":"1450000001","buyQuantity":2,"env":0,"currencyType":"CNY","productId":"sword","goodsPrice":600,"outTradeNo":"goods|0001*x@y-z","attach":"{\"uid\":7}"}"#
    );
    // Types on the wire: offerId a string; buyQuantity, goodsPrice and env numbers.
    let data: Value = serde_json::from_str(&sign_data).expect("signData is JSON");
    assert!(data["offerId"].is_string());
    assert!(data["buyQuantity"].is_i64() && data["goodsPrice"].is_i64() && data["env"].is_i64());
    // Field order: offerId, buyQuantity, env, currencyType, productId, goodsPrice, outTradeNo, attach.
    let order = [
        "offerId",
        "buyQuantity",
        "env",
        "currencyType",
        "productId",
        "goodsPrice",
        "outTradeNo",
        "attach",
    ];
    let at: Vec<usize> = order
        .iter()
        .map(|k| sign_data.find(&format!("\"{k}\":")).expect(k))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "order: {sign_data}");
}

#[test]
fn sandbox_payment_uses_the_sandbox_key() {
    let args = [
        "sign-payment",
        "--mode",
        "coin",
        "--buy-quantity",
        "1",
        "--out-trade-no",
        "sandbox_01",
        "--env",
        "1",
    ];
    let mut vars = PAY_VARS.to_vec();
    vars.push(("XPAY_SANDBOX_APP_KEY", SANDBOX_KEY));
    let v = xpay(&args, &vars).json();
    let sign_data = check_params(&v, "short_series_coin", SANDBOX_KEY, None);
    assert!(sign_data.contains(r#""env":1,"#), "{sign_data}");

    // XPAY_ENV=1 does the same as --env 1.
    let mut from_var = vars.clone();
    from_var.push(("XPAY_ENV", "1"));
    let v2 = xpay(&args[..7], &from_var).json();
    assert_eq!(v, v2);

    // Without the sandbox key: an error naming it (the production key is not used instead).
    let line = xpay(&args, PAY_VARS).fails().to_string();
    assert!(line.contains("XPAY_SANDBOX_APP_KEY"), "{line}");
}

#[test]
fn payment_needs_only_its_own_settings() {
    // No app id, no AppSecret; broken settings other commands use do not matter.
    let mut vars = PAY_VARS.to_vec();
    vars.extend([
        ("XPAY_TOKEN_MODE", "bogus"),
        ("XPAY_BASE_URL", "not a url"),
        ("XPAY_REDIS_URL", "nonsense"),
    ]);
    let args = [
        "sign-payment",
        "--mode",
        "coin",
        "--buy-quantity",
        "1",
        "--out-trade-no",
        "only_own_1",
    ];
    check_params(
        &xpay(&args, &vars).json(),
        "short_series_coin",
        PROD_KEY,
        None,
    );

    let line = xpay(&args, &[("XPAY_APP_KEY", PROD_KEY)])
        .fails()
        .to_string();
    assert!(line.contains("XPAY_OFFER_ID"), "{line}");
    let line = xpay(&args, &[("XPAY_OFFER_ID", OFFER_ID)])
        .fails()
        .to_string();
    assert!(line.contains("XPAY_APP_KEY"), "{line}");
}

#[test]
fn flags_win_over_variables() {
    let v = xpay(
        &[
            "sign-payment",
            "--mode=coin",
            "--buy-quantity=1",
            "--out-trade-no=flags_0001",
            "--offer-id=999",
            "--app-key=flag-key",
        ],
        PAY_VARS,
    )
    .json();
    let sign_data = check_params(&v, "short_series_coin", "flag-key", None);
    assert!(sign_data.starts_with(r#"{"offerId":"999","#), "{sign_data}");
}

/// An empty flag (`--base-url "$UNSET"` in a script) is an error naming the flag: it neither
/// falls back to its variable nor to the real WeChat. A bad `--redis-url` is blamed on the
/// flag, without its password.
#[test]
fn an_empty_or_bad_flag_is_blamed_on_the_flag() {
    let api_vars = [
        ("XPAY_APP_ID", APP_ID),
        ("XPAY_APP_SECRET", APP_SECRET),
        ("XPAY_APP_KEY", PROD_KEY),
        ("XPAY_BASE_URL", "http://127.0.0.1:9"),
    ];
    let call = |flag: &str| {
        xpay(
            &[
                "call",
                "query_order",
                flag,
                "--json",
                r#"{"openid":"o","order_id":"x"}"#,
            ],
            &api_vars,
        )
    };
    let line = call("--base-url=").fails_with(&["--base-url", "empty"], &[APP_SECRET]);
    assert!(!line.contains("XPAY_BASE_URL"), "{line}");
    call("--app-secret=").fails_with(&["--app-secret", "empty"], &[APP_SECRET]);
    call("--redis-url=redis://:pa55word@[x").fails_with(&["--redis-url"], &["pa55word"]);

    let pay = xpay(
        &[
            "sign-payment",
            "--mode=coin",
            "--buy-quantity=1",
            "--out-trade-no=empty_0001",
            "--app-key=",
        ],
        PAY_VARS,
    );
    let line = pay.fails_with(&["--app-key", "empty"], &[PROD_KEY]);
    assert!(!line.contains("set XPAY_APP_KEY"), "{line}");
}

#[test]
fn order_rules_come_from_the_library() {
    let base = [
        "sign-payment",
        "--buy-quantity",
        "1",
        "--out-trade-no",
        "rules_0001",
    ];
    let run = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        xpay(&args, PAY_VARS)
    };
    let line = run(&["--mode", "goods", "--goods-price", "10"])
        .fails()
        .to_string();
    assert!(line.contains("productId"), "{line}");
    let line = run(&["--mode", "goods", "--product-id", "sword"])
        .fails()
        .to_string();
    assert!(line.contains("goodsPrice"), "{line}");

    let coin = |extra: &[&str]| {
        let mut args = vec!["sign-payment", "--mode", "coin"];
        args.extend_from_slice(extra);
        xpay(&args, PAY_VARS)
    };
    let line = coin(&["--buy-quantity", "1", "--out-trade-no=_abc12345"])
        .fails()
        .to_string();
    assert!(line.contains("outTradeNo"), "{line}");
    let line = coin(&["--buy-quantity", "1", "--out-trade-no", "short7x"])
        .fails()
        .to_string();
    assert!(line.contains("outTradeNo"), "{line}");
    let line = coin(&["--buy-quantity", "1", "--out-trade-no", "bad#chars1"])
        .fails()
        .to_string();
    assert!(line.contains("outTradeNo"), "{line}");
    let line = coin(&["--buy-quantity", "0", "--out-trade-no", "zero_0001"])
        .fails()
        .to_string();
    assert!(line.contains("buyQuantity"), "{line}");
    // A negative number reaches the library too (no clap error about `-3`).
    let line = coin(&["--buy-quantity", "-3", "--out-trade-no", "neg_00001"])
        .fails()
        .to_string();
    assert!(line.contains("buyQuantity"), "{line}");
}

#[test]
fn hyphen_values_and_an_empty_attach() {
    let v = xpay(
        &[
            "sign-payment",
            "--mode",
            "coin",
            "--buy-quantity",
            "1",
            "--out-trade-no=-abc12345",
            "--attach=",
        ],
        PAY_VARS,
    )
    .json();
    let sign_data = check_params(&v, "short_series_coin", PROD_KEY, None);
    assert!(
        sign_data.ends_with(r#""outTradeNo":"-abc12345","attach":""}"#),
        "{sign_data}"
    );

    let v = xpay(
        &[
            "sign-payment",
            "--mode",
            "coin",
            "--buy-quantity",
            "1",
            "--out-trade-no",
            "abc12345",
            "--attach=-x",
        ],
        PAY_VARS,
    )
    .json();
    let sign_data = check_params(&v, "short_series_coin", PROD_KEY, None);
    assert!(sign_data.ends_with(r#""attach":"-x"}"#), "{sign_data}");

    // Without `=`, a leading `-` reads as a flag: one line that says how to write it.
    let line = xpay(
        &[
            "sign-payment",
            "--mode",
            "coin",
            "--buy-quantity",
            "1",
            "--out-trade-no",
            "-abc12345",
        ],
        PAY_VARS,
    )
    .fails()
    .to_string();
    assert!(line.contains("--flag=value"), "{line}");
}

#[test]
fn argument_errors_are_one_line_and_exit_1() {
    let cases: &[&[&str]] = &[
        &[],
        &["bogus"],
        &["spec"],
        &["sign-payment"],
        &[
            "sign-payment",
            "--mode",
            "coin",
            "--out-trade-no",
            "abc12345",
        ],
        &[
            "sign-payment",
            "--mode",
            "gold",
            "--buy-quantity",
            "1",
            "--out-trade-no",
            "abc12345",
        ],
        &[
            "sign-payment",
            "--mode",
            "coin",
            "--buy-quantity",
            "x",
            "--out-trade-no",
            "abc12345",
        ],
        &[
            "sign-payment",
            "--mode",
            "coin",
            "--buy-quantity",
            "1",
            "--out-trade-no",
            "abc12345",
            "--env",
            "2",
        ],
        &[
            "sign-payment",
            "--mode",
            "coin",
            "--buy-quantity",
            "1",
            "--out-trade-no",
            "abc12345",
            "--bogus",
        ],
        &["call"],
        &[
            "call",
            "query_order",
            "--json",
            "{}",
            "--json-file",
            "x.json",
        ],
        &["call", "query_order", "--token-mode", "fancy"],
        &["spec", "check"],
        &["spec", "list", "extra"],
    ];
    for args in cases {
        let run = xpay(args, PAY_VARS);
        assert_eq!(run.code, Some(1), "{args:?}: {}", run.stderr);
        run.fails();
    }
    let line = xpay(&["sign-payment", "--mode", "coin"], PAY_VARS)
        .fails()
        .to_string();
    assert!(
        line.contains("--buy-quantity") && line.contains("--out-trade-no"),
        "{line}"
    );
    // XPAY_ENV is checked like --env.
    let mut vars = PAY_VARS.to_vec();
    vars.push(("XPAY_ENV", "7"));
    let line = xpay(
        &[
            "sign-payment",
            "--mode",
            "coin",
            "--buy-quantity",
            "1",
            "--out-trade-no",
            "abc12345",
        ],
        &vars,
    )
    .fails()
    .to_string();
    assert!(line.contains("XPAY_ENV"), "{line}");
}

#[test]
fn help_and_version_exit_0() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["help"],
        &["sign-payment", "--help"],
        &["call", "--help"],
        &["spec", "list", "--help"],
        &["help", "spec"],
    ] {
        let run = xpay(args, &[]);
        assert!(run.ok().contains("Usage:"), "{args:?}: {}", run.stdout);
    }
    let run = xpay(&["--version"], &[]);
    assert!(run.ok().starts_with("xpay "), "{}", run.stdout);
}

// ---------------------------------------------------------------------------------------------
// call, against a fake WeChat
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Default)]
struct Fake {
    answers: Arc<HashMap<String, String>>,
    stable_fetches: Arc<AtomicUsize>,
    classic_fetches: Arc<AtomicUsize>,
    calls: Arc<Mutex<Vec<Seen>>>,
}

#[derive(Clone, Debug)]
struct Seen {
    action: String,
    body: Value,
    sandbox_key: bool,
    user_signed: bool,
}

impl Fake {
    fn calls(&self) -> Vec<Seen> {
        self.calls.lock().expect("lock").clone()
    }
}

fn wechat_error(code: i64, msg: &str) -> String {
    serde_json::json!({ "errcode": code, "errmsg": msg }).to_string()
}

fn token_answer(appid: Option<&str>, secret: Option<&str>, grant: Option<&str>) -> String {
    if appid == Some(APP_ID) && secret == Some(APP_SECRET) && grant == Some("client_credential") {
        format!(r#"{{"access_token":"{TOKEN}","expires_in":7200}}"#)
    } else {
        wechat_error(40125, "invalid appsecret")
    }
}

async fn stable_token(State(fake): State<Fake>, body: Bytes) -> String {
    fake.stable_fetches.fetch_add(1, Ordering::SeqCst);
    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
    token_answer(
        v["appid"].as_str(),
        v["secret"].as_str(),
        v["grant_type"].as_str(),
    )
}

async fn classic_token(
    State(fake): State<Fake>,
    Query(q): Query<HashMap<String, String>>,
) -> String {
    fake.classic_fetches.fetch_add(1, Ordering::SeqCst);
    let get = |k: &str| q.get(k).map(String::as_str);
    token_answer(get("appid"), get("secret"), get("grant_type"))
}

/// Checks the token, pay_sig (with the AppKey of the body's env) and the user signature over
/// the raw body bytes, then answers the canned body for the action.
async fn xpay_action(
    State(fake): State<Fake>,
    Path(action): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> String {
    if q.get("access_token").map(String::as_str) != Some(TOKEN) {
        return wechat_error(40001, "invalid credential, access_token is invalid");
    }
    let Ok(json) = serde_json::from_slice::<Value>(&body) else {
        return wechat_error(47001, "data format error");
    };
    let sandbox = json.get("env").and_then(Value::as_u64) == Some(1);
    let key = if sandbox { SANDBOX_KEY } else { PROD_KEY };
    let uri = format!("/xpay/{action}");
    if q.get("pay_sig") != Some(&hmac_hex(key, &[uri.as_bytes(), b"&", &body])) {
        return wechat_error(268490003, "pay_sig error");
    }
    let user_signed = match q.get("signature") {
        Some(sig) if *sig == hmac_hex(SESSION_KEY, &[&body]) => true,
        Some(_) => return wechat_error(268490003, "signature error"),
        None => false,
    };
    fake.calls.lock().expect("lock").push(Seen {
        action: action.clone(),
        body: json,
        sandbox_key: sandbox,
        user_signed,
    });
    fake.answers
        .get(&action)
        .cloned()
        .unwrap_or_else(|| wechat_error(0, "ok"))
}

/// Starts a fake WeChat on 127.0.0.1 with these canned answers; returns its base URL.
fn serve(answers: &[(&str, &str)]) -> (String, Fake) {
    let fake = Fake {
        answers: Arc::new(
            answers
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        ),
        ..Fake::default()
    };
    let app = Router::new()
        .route("/cgi-bin/stable_token", post(stable_token))
        .route("/cgi-bin/token", get(classic_token))
        .route("/xpay/{action}", post(xpay_action))
        .with_state(fake.clone());
    (common::serve_on_thread(app), fake)
}

fn call_vars(base_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("XPAY_APP_ID", APP_ID.into()),
        ("XPAY_APP_SECRET", APP_SECRET.into()),
        ("XPAY_APP_KEY", PROD_KEY.into()),
        ("XPAY_BASE_URL", base_url.into()),
    ]
}

fn call(args: &[&str], vars: &[(&'static str, String)]) -> Run {
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut all = vec!["call"];
    all.extend_from_slice(args);
    xpay(&all, &vars)
}

const ORDER_ANSWER: &str = "{\"errcode\":0,\"errmsg\":\"ok\",  \"order\":{\"order_id\":\"o_1\",\"status\":2,\"some_new_field\":[1,2]} }";

#[test]
fn call_prints_the_body_verbatim() {
    let (url, fake) = serve(&[("query_order", ORDER_ANSWER)]);
    let run = call(
        &[
            "query_order",
            "--json",
            r#"{"openid":"o-user","order_id":"o_1"}"#,
        ],
        &call_vars(&url),
    );
    assert_eq!(run.ok(), format!("{ORDER_ANSWER}\n"));
    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].action, "query_order");
    // env filled from the client (production by default), signed with the production key.
    assert_eq!(calls[0].body["env"], 0);
    assert!(!calls[0].sandbox_key && !calls[0].user_signed);
    assert_eq!(fake.stable_fetches.load(Ordering::SeqCst), 1);
}

#[test]
fn call_by_alias_with_a_session_key() {
    let answer =
        r#"{"errcode":0,"errmsg":"ok","balance":100,"present_balance":0,"first_save_flag":true}"#;
    let (url, fake) = serve(&[("query_user_balance", answer)]);
    let run = call(
        &[
            "currency_query_balance",
            "--json",
            r#"{"openid":"o-user","user_ip":"10.0.0.1"}"#,
            "--session-key",
            SESSION_KEY,
        ],
        &call_vars(&url),
    );
    assert_eq!(run.ok(), format!("{answer}\n"));
    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].action, "query_user_balance");
    assert!(calls[0].user_signed);
}

#[test]
fn call_errcode_exits_1_with_its_meaning() {
    let (url, fake) = serve(&[(
        "currency_pay",
        r#"{"errcode":268490006,"errmsg":"balance not enough"}"#,
    )]);
    let body = r#"{"openid":"o-user","user_ip":"10.0.0.1","amount":30,"order_id":"pay_0001","payitem":"[{\"productid\":\"sword\",\"unit_price\":30,\"quantity\":1}]","remark":"备注"}"#;
    let run = call(
        &["currency_pay", "--json", body, "--session-key", SESSION_KEY],
        &call_vars(&url),
    );
    let line = run.fails();
    assert!(line.contains("268490006"), "{line}");
    assert!(line.contains("insufficient token balance"), "{line}");
    assert!(line.contains("balance not enough"), "{line}");
    // Not retried: the answer is final.
    assert_eq!(fake.calls().len(), 1);
}

#[test]
fn call_pay_user_without_session_key_fails_before_sending() {
    let (url, fake) = serve(&[]);
    let run = call(
        &[
            "query_user_balance",
            "--json",
            r#"{"openid":"o","user_ip":"1.1.1.1"}"#,
        ],
        &call_vars(&url),
    );
    let line = run.fails();
    assert!(
        line.contains("--session-key") && line.contains("pay+user"),
        "{line}"
    );
    assert!(fake.calls().is_empty());
    assert_eq!(fake.stable_fetches.load(Ordering::SeqCst), 0);
}

#[test]
fn call_refuses_a_session_key_its_action_would_not_use() {
    // query_order is signed with the AppKey alone: a session key given to it would be
    // silently unused, and the caller would believe the call was user-signed.
    let (url, fake) = serve(&[]);
    let run = call(
        &[
            "query_order",
            "--session-key",
            SESSION_KEY,
            "--json",
            r#"{"openid":"o","order_id":"trade_0001"}"#,
        ],
        &call_vars(&url),
    );
    let line = run.fails();
    assert!(
        line.contains("--session-key") && line.contains("signing: pay"),
        "{line}"
    );
    assert!(!line.contains(SESSION_KEY), "{line}");
    assert!(fake.calls().is_empty());
}

/// A body's env that disagrees with `--env` or `XPAY_ENV` (a trial moved money in production
/// with `--env 1` and `"env":0`) is refused before anything is sent; an env said once, or
/// the same twice, is sent.
#[test]
fn call_refuses_a_body_env_that_disagrees_with_the_configured_one() {
    let (url, fake) = serve(&[("query_biz_balance", "{\"errcode\":0}")]);
    let mut vars = call_vars(&url);
    vars.push(("XPAY_SANDBOX_APP_KEY", SANDBOX_KEY.into()));
    let body = r#"{"env":0}"#;
    let run = call(&["query_biz_balance", "--env", "1", "--json", body], &vars);
    let line = run.fails();
    assert!(
        line.contains("--env") && line.contains("disagrees"),
        "{line}"
    );
    let mut by_var = vars.clone();
    by_var.push(("XPAY_ENV", "1".into()));
    let run = call(&["query_biz_balance", "--json", body], &by_var);
    let line = run.fails();
    assert!(
        line.contains("XPAY_ENV") && line.contains("disagrees"),
        "{line}"
    );
    assert!(fake.calls().is_empty());
    call(&["query_biz_balance", "--env", "0", "--json", body], &vars).ok();
    call(&["query_biz_balance", "--json", r#"{"env":1}"#], &vars).ok();
    assert_eq!(fake.calls().len(), 2);
}

#[test]
fn call_rejects_unknown_actions_and_bad_bodies() {
    let (url, fake) = serve(&[]);
    let vars = call_vars(&url);
    let line = call(&["no_such_action"], &vars).fails().to_string();
    assert!(line.contains("no_such_action"), "{line}");

    let line = call(&["query_order", "--json", "{\"openid\":"], &vars)
        .fails()
        .to_string();
    assert!(line.contains("--json"), "{line}");

    // `--json=-1` gets past clap and is refused by the library (not an object).
    let line = call(&["query_order", "--json=-1"], &vars)
        .fails()
        .to_string();
    assert!(line.contains("JSON object"), "{line}");

    // The spec's rules: exactly one of order_id / wx_order_id, openid required.
    let line = call(&["query_order", "--json", r#"{"openid":"o"}"#], &vars)
        .fails()
        .to_string();
    assert!(line.contains("order_id"), "{line}");
    let line = call(&["query_order"], &vars).fails().to_string();
    assert!(line.contains("openid"), "{line}");

    let line = call(&["query_order", "--json-file", "/no/such/file.json"], &vars)
        .fails()
        .to_string();
    assert!(line.contains("/no/such/file.json"), "{line}");
    assert!(fake.calls().is_empty());
}

#[test]
fn call_reads_the_body_from_a_file_or_stdin() {
    let (url, fake) = serve(&[("query_order", ORDER_ANSWER)]);
    let path = temp_file(
        "query_order_body.json",
        r#"{"openid":"o-file","wx_order_id":"w1"}"#,
    );
    let path = path.to_str().expect("utf-8 temp path");
    let run = call(&["order_query", "--json-file", path], &call_vars(&url));
    assert_eq!(run.ok(), format!("{ORDER_ANSWER}\n"));

    let vars = call_vars(&url);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = xpay_with_stdin(
        &["call", "query_order", "--json-file", "-"],
        &vars,
        br#"{"openid":"o-stdin","order_id":"o_2"}"#,
    );
    assert_eq!(run.ok(), format!("{ORDER_ANSWER}\n"));
    let openids: Vec<Value> = fake
        .calls()
        .iter()
        .map(|c| c.body["openid"].clone())
        .collect();
    assert_eq!(openids, ["o-file", "o-stdin"]);
}

#[test]
fn call_sandbox_env() {
    let (url, fake) = serve(&[]);
    let mut vars = call_vars(&url);
    vars.push(("XPAY_SANDBOX_APP_KEY", SANDBOX_KEY.into()));
    let body = r#"{"openid":"o","order_id":"o_1"}"#;
    let run = call(&["query_order", "--json", body, "--env", "1"], &vars);
    assert_eq!(run.ok(), "{\"errcode\":0,\"errmsg\":\"ok\"}\n");
    // A body that sets env itself wins over the client's env.
    let run = call(
        &[
            "query_order",
            "--json",
            r#"{"openid":"o","order_id":"o_1","env":1}"#,
        ],
        &vars,
    );
    run.ok();
    let calls = fake.calls();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|c| c.sandbox_key && c.body["env"] == 1));

    // env 1 without the sandbox key: the runtime names the key; nothing is sent.
    let line = call(
        &["query_order", "--json", body, "--env", "1"],
        &call_vars(&url),
    )
    .fails()
    .to_string();
    assert!(line.contains("XPAY_SANDBOX_APP_KEY"), "{line}");
    assert_eq!(fake.calls().len(), 2);
}

#[test]
fn call_with_a_fixed_access_token_fetches_none() {
    let (url, fake) = serve(&[("query_order", ORDER_ANSWER)]);
    let vars = vec![
        ("XPAY_ACCESS_TOKEN", TOKEN.to_string()),
        ("XPAY_APP_KEY", PROD_KEY.into()),
        ("XPAY_BASE_URL", url.clone()),
    ];
    let run = call(
        &[
            "query_order",
            "--json",
            r#"{"openid":"o","order_id":"o_1"}"#,
        ],
        &vars,
    );
    assert_eq!(run.ok(), format!("{ORDER_ANSWER}\n"));
    assert_eq!(fake.stable_fetches.load(Ordering::SeqCst), 0);
    assert_eq!(fake.classic_fetches.load(Ordering::SeqCst), 0);
    assert_eq!(fake.calls().len(), 1);
}

#[test]
fn call_classic_token_mode() {
    let (url, fake) = serve(&[]);
    let body = r#"{"openid":"o","order_id":"o_1"}"#;
    call(
        &["query_order", "--json", body, "--token-mode", "classic"],
        &call_vars(&url),
    )
    .ok();
    let mut vars = call_vars(&url);
    vars.push(("XPAY_TOKEN_MODE", "classic".into()));
    call(&["query_order", "--json", body], &vars).ok();
    assert_eq!(fake.classic_fetches.load(Ordering::SeqCst), 2);
    assert_eq!(fake.stable_fetches.load(Ordering::SeqCst), 0);

    vars.pop();
    vars.push(("XPAY_TOKEN_MODE", "fancy".into()));
    let line = call(&["query_order", "--json", body], &vars)
        .fails()
        .to_string();
    assert!(line.contains("XPAY_TOKEN_MODE"), "{line}");
}

#[test]
fn call_names_missing_settings() {
    let (url, fake) = serve(&[]);
    let body = r#"{"openid":"o","order_id":"o_1"}"#;
    let without = |name: &str| -> Vec<(&'static str, String)> {
        call_vars(&url)
            .into_iter()
            .filter(|(k, _)| *k != name)
            .collect()
    };
    let line = call(
        &["query_order", "--json", body],
        &without("XPAY_APP_SECRET"),
    )
    .fails()
    .to_string();
    assert!(line.contains("XPAY_APP_SECRET"), "{line}");
    let line = call(&["query_order", "--json", body], &without("XPAY_APP_KEY"))
        .fails()
        .to_string();
    assert!(line.contains("XPAY_APP_KEY"), "{line}");
    assert!(fake.calls().is_empty());

    // A wrong AppSecret: WeChat's token errcode, one line.
    let mut vars = without("XPAY_APP_SECRET");
    vars.push(("XPAY_APP_SECRET", "wrong".into()));
    let line = call(&["query_order", "--json", body], &vars)
        .fails()
        .to_string();
    assert!(line.contains("40125"), "{line}");
}

#[test]
fn call_unreachable_server_is_one_line() {
    // A port nothing listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let vars = vec![
        ("XPAY_ACCESS_TOKEN", TOKEN.to_string()),
        ("XPAY_APP_KEY", PROD_KEY.into()),
        ("XPAY_BASE_URL", format!("http://127.0.0.1:{port}")),
    ];
    // notify_provide_goods is never retried, so this fails at once.
    let run = call(
        &["notify_provide_goods", "--json", r#"{"order_id":"o_1"}"#],
        &vars,
    );
    let line = run.fails();
    assert!(line.contains("notify_provide_goods"), "{line}");
    // The cause is said, not just "error sending request".
    assert!(line.to_lowercase().contains("connect"), "{line}");
    assert!(!line.contains("access_token="), "{line}");
}

// ---------------------------------------------------------------------------------------------
// spec
// ---------------------------------------------------------------------------------------------

const SMALL_SPEC: &str = r#"version: 1
actions:
  - name: query_gift_card
    alias: gift_card_query
    path: /xpay/query_gift_card
    signing: pay+user
    retry: safe
    doc: 查询礼品卡 — look up a gift card.
    request:
      card_id: { type: string, required: true, doc: 礼品卡 id — card id }
      env: { type: env, fill: env, doc: 环境 — env }
    response:
      balance: { type: i64, doc: 余额 — balance }
  - name: use_gift_card
    path: /xpay/use_gift_card
    signing: pay
    retry: never
    doc: 使用礼品卡 — use a gift card.
    request:
      card_id: { type: string, required: true, doc: 礼品卡 id — card id }
"#;

/// Line 9 has an unknown type (column 24), line 10 repeats an action name (column 11).
const BROKEN_SPEC: &str = r#"version: 1
actions:
  - name: query_gift_card
    path: /xpay/query_gift_card
    signing: pay
    retry: safe
    doc: 查询礼品卡 — look up a gift card.
    request:
      card_id: { type: strng, required: true, doc: 礼品卡 id — card id }
  - name: query_gift_card
    path: /xpay/query_gift_card
    signing: pay
    retry: safe
    doc: 查询礼品卡 — again.
"#;

#[test]
fn spec_list_builtin() {
    let v = xpay(&["spec", "list"], &[]).json();
    let rows = v.as_array().expect("an array");
    assert_eq!(rows.len(), 37);
    for row in rows {
        assert_eq!(keys(row), ["alias", "name", "path", "signing"]);
        let name = row["name"].as_str().expect("name");
        assert_eq!(row["path"], format!("/xpay/{name}"));
        assert!(
            row["signing"] == "pay" || row["signing"] == "pay+user",
            "{row}"
        );
        assert!(row["alias"].is_null() || row["alias"].is_string(), "{row}");
    }
    let find = |name: &str| rows.iter().find(|r| r["name"] == name).expect(name).clone();
    let bind = find("bind_transfer_accout");
    assert_eq!(bind["signing"], "pay");
    assert_eq!(bind["alias"], Value::Null);
    let balance = find("query_user_balance");
    assert_eq!(balance["signing"], "pay+user");
    assert_eq!(balance["alias"], "currency_query_balance");
}

#[test]
fn spec_list_of_a_file() {
    let path = temp_file("small_spec.yaml", SMALL_SPEC);
    let path = path.to_str().expect("utf-8 temp path");
    let v = xpay(&["spec", "list", "--spec", path], &[]).json();
    assert_eq!(
        v,
        serde_json::json!([
            { "name": "query_gift_card", "alias": "gift_card_query", "path": "/xpay/query_gift_card", "signing": "pay+user" },
            { "name": "use_gift_card", "alias": null, "path": "/xpay/use_gift_card", "signing": "pay" },
        ])
    );
    // Key order as in the contract.
    let out = xpay(&["spec", "list", "--spec", path], &[]).stdout;
    assert!(
        out.starts_with(r#"[{"name":"query_gift_card","alias":"gift_card_query","path":"#),
        "{out}"
    );

    let broken = temp_file("broken_for_list.yaml", BROKEN_SPEC);
    let broken = broken.to_str().expect("utf-8 temp path");
    let line = xpay(&["spec", "list", "--spec", broken], &[])
        .fails()
        .to_string();
    assert!(line.contains(&format!("{broken}:9:24")), "{line}");
    let line = xpay(&["spec", "list", "--spec", "/no/such/spec.yaml"], &[])
        .fails()
        .to_string();
    assert!(line.contains("/no/such/spec.yaml"), "{line}");
}

#[test]
fn spec_check() {
    let path = temp_file("check_ok.yaml", SMALL_SPEC);
    let path = path.to_str().expect("utf-8 temp path");
    let out = xpay(&["spec", "check", path], &[]).ok().to_string();
    assert!(out.starts_with("ok: 2 actions"), "{out}");
    assert_eq!(out.lines().count(), 1);

    let builtin = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/xpay.yaml");
    let out = xpay(&["spec", "check", builtin], &[]).ok().to_string();
    assert!(out.starts_with("ok: 37 actions"), "{out}");

    let broken = temp_file("check_broken.yaml", BROKEN_SPEC);
    let broken = broken.to_str().expect("utf-8 temp path");
    let run = xpay(&["spec", "check", broken], &[]);
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains(&format!("{broken}:9:24")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("{broken}:10:11")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("strng") && run.stderr.contains("duplicate"),
        "{}",
        run.stderr
    );

    let line = xpay(&["spec", "check", "/no/such/spec.yaml"], &[])
        .fails()
        .to_string();
    assert!(line.contains("/no/such/spec.yaml"), "{line}");
}

#[test]
fn spec_docs() {
    let out = xpay(&["spec", "docs"], &[]).ok().to_string();
    assert!(out.starts_with("# "), "{}", &out[..out.len().min(200)]);
    assert!(out.contains("spec/xpay.yaml"));
    assert!(out.contains("query_user_balance") && out.contains("bind_transfer_accout"));

    let path = temp_file("docs_small.yaml", SMALL_SPEC);
    let path = path.to_str().expect("utf-8 temp path");
    let out = xpay(&["spec", "docs", path], &[]).ok().to_string();
    assert!(
        out.contains("query_gift_card") && out.contains("gift_card_query"),
        "{out}"
    );
    assert!(!out.contains("query_user_balance"));

    let broken = temp_file("docs_broken.yaml", BROKEN_SPEC);
    let broken = broken.to_str().expect("utf-8 temp path");
    xpay(&["spec", "docs", broken], &[]).fails();
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    // `xpay spec docs | head -c 1`: the reader goes away; xpay must not panic.
    let mut child = Command::new(env!("CARGO_BIN_EXE_xpay"))
        .args(["spec", "docs"])
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run xpay");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.code() == Some(0), "{:?} {stderr}", out.status);
}
