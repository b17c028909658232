//! The attacker's inputs of issue 11 through the binary: a forged plain push at a receiver
//! with an EncodingAESKey, a mistyped Redis URL with a password, a server that echoes secrets
//! and control characters in its errmsg, and hostile bytes in a pushed body. Then every error
//! path the CLI has, run with distinctive secrets configured, and all output grepped for them.

mod common;

use axum::Router;
use axum::routing::{get, post};
use common::{Run, xpay_with_stdin};
use serde_json::json;
use xpay::callback::signature;

const TOKEN: &str = "mytoken";
const AES: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const APP: &str = "wx1234567890abcdef";

/// Distinctive secrets, each of which must never be printed.
const SECRET: &str = "S3CR3T-APP-SECRET-4f1c";
const APP_KEY: &str = "S3CR3T-APP-KEY-9b2e";
const SANDBOX_KEY: &str = "S3CR3T-SANDBOX-KEY-71aa";
const ACCESS_TOKEN: &str = "S3CR3T-ACCESS-TOKEN-0d3f";
const SESSION_KEY: &str = "UzNDUjNULVNFU1NJT04tS0VZ";
const REDIS_PASSWORD: &str = "hunter2-S3CR3T";

fn all_secrets() -> Vec<&'static str> {
    vec![
        SECRET,
        APP_KEY,
        SANDBOX_KEY,
        ACCESS_TOKEN,
        SESSION_KEY,
        REDIS_PASSWORD,
        TOKEN,
        AES,
    ]
}

fn assert_no_secret(run: &Run, what: &str) {
    for s in all_secrets() {
        assert!(
            !run.stdout.contains(s) && !run.stderr.contains(s),
            "{what}: `{s}` printed\nstdout: {}\nstderr: {}",
            run.stdout,
            run.stderr
        );
    }
    assert!(
        !run.stderr.contains('\u{1b}') && !run.stdout.contains('\u{1b}'),
        "{what}: a raw escape printed: {:?}",
        run.stderr
    );
}

/// A hostile WeChat on 127.0.0.1 (on its own thread): tokens echoing the secret, `/xpay/*`
/// echoing every secret a client sends it (it could know no other) and an escape sequence in
/// its errmsg.
fn hostile_server() -> String {
    let secrets = [SECRET, APP_KEY, SANDBOX_KEY, ACCESS_TOKEN, SESSION_KEY].join(" ");
    let echo = move || {
        let s = secrets.clone();
        async move {
            axum::Json(
                json!({"errcode": 40001, "errmsg": format!("invalid credential \u{1b}[2J\u{1b}[31m {s}")}),
            )
        }
    };
    let token = || async {
        axum::Json(
            json!({"errcode": 40125, "errmsg": format!("invalid appsecret {SECRET} \u{1b}[2J")}),
        )
    };
    let app = Router::new()
        .route("/cgi-bin/stable_token", post(token))
        .route("/cgi-bin/token", get(token))
        .route("/sns/jscode2session", get(echo.clone()))
        .route("/xpay/{action}", post(echo));
    common::serve_on_thread(app)
}

/// Settings as variables.
type Vars = [(&'static str, String)];

fn vars(base_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("XPAY_APP_ID", APP.into()),
        ("XPAY_APP_SECRET", SECRET.into()),
        ("XPAY_APP_KEY", APP_KEY.into()),
        ("XPAY_SANDBOX_APP_KEY", SANDBOX_KEY.into()),
        ("XPAY_OFFER_ID", "1450000000".into()),
        ("XPAY_BASE_URL", base_url.into()),
        ("XPAY_CALLBACK_TOKEN", TOKEN.into()),
        ("XPAY_ENCODING_AES_KEY", AES.into()),
    ]
}

fn run(args: &[&str], vars: &[(&'static str, String)], stdin: &[u8]) -> Run {
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    xpay_with_stdin(args, &vars, stdin)
}

const PLAIN_TS: &str = "1764460800";
const PLAIN_NONCE: &str = "42";

/// `xpay callback decode` of `body` under a plain-mode query signed with [`TOKEN`].
fn decode_plain(vars: &Vars, body: &str) -> Run {
    let sig = signature(&[TOKEN, PLAIN_TS, PLAIN_NONCE]);
    run(
        &[
            "callback",
            "decode",
            "--signature",
            &sig,
            "--timestamp",
            PLAIN_TS,
            "--nonce",
            PLAIN_NONCE,
        ],
        vars,
        body.as_bytes(),
    )
}

#[test]
fn a_plain_push_is_refused_once_an_aes_key_is_configured() {
    let forged = r#"{"MsgType":"event","Event":"xpay_goods_deliver_notify","OutTradeNo":"forged","GoodsInfo":{"ProductId":"sword_01","Quantity":999}}"#;
    let out = decode_plain(&vars("http://127.0.0.1:9"), forged);
    let line = out.fails_with(&["plain-mode", "EncodingAESKey"], &all_secrets());
    assert!(!line.contains("forged"), "{line}");
}

#[test]
fn a_mistyped_redis_url_never_shows_its_password() {
    for url in [
        format!("redis:/:{REDIS_PASSWORD}@127.0.0.1:6379"),
        format!("redis//:{REDIS_PASSWORD}@127.0.0.1:6379"),
        format!("redis://:{REDIS_PASSWORD}@127.0.0.1:notaport"),
        format!("rediss://user:{REDIS_PASSWORD}@[::1"),
        format!("redis+unix:///tmp/none.sock?pass={REDIS_PASSWORD}&db=x"),
    ] {
        let mut v = vars("http://127.0.0.1:9");
        v.push(("XPAY_REDIS_URL", url.clone()));
        let out = run(
            &["call", "query_biz_balance", "--json", r#"{"env":0}"#],
            &v,
            b"",
        );
        out.fails();
        assert_no_secret(&out, &url);
    }
}

#[test]
fn echoed_secrets_and_escapes_are_not_printed() {
    let url = hostile_server();
    let v = vars(&url);
    // The token endpoint echoes the AppSecret: its errcode is kept, the secret blanked.
    let out = run(&["call", "query_biz_balance"], &v, b"");
    let line = out.fails_with(&["40125"], &all_secrets());
    assert!(line.contains("\\u{1b}"), "escaped, not dropped: {line}");
    // `/xpay/*` with a fixed token echoes every secret.
    let mut fixed = v.clone();
    fixed.push(("XPAY_ACCESS_TOKEN", ACCESS_TOKEN.into()));
    let out = run(
        &[
            "call",
            "query_user_balance",
            "--session-key",
            SESSION_KEY,
            "--json",
            r#"{"openid":"o","user_ip":"1.2.3.4"}"#,
        ],
        &fixed,
        b"",
    );
    out.fails_with(&["40001"], &all_secrets());
}

#[test]
fn hostile_push_bytes_are_escaped_on_stderr() {
    let body = "<xml></x\u{1b}[31mred\nFAKE INFO forged line></xml>";
    let plain: Vec<(&'static str, String)> = vec![("XPAY_CALLBACK_TOKEN", TOKEN.into())];
    let out = decode_plain(&plain, body);
    out.fails();
    assert_no_secret(&out, "hostile xml");
    // An odd encrypt_type is quoted escaped too.
    let out = run(
        &[
            "callback",
            "decode",
            "--timestamp",
            PLAIN_TS,
            "--nonce",
            PLAIN_NONCE,
            "--encrypt-type",
            "\u{1b}[31m",
        ],
        &plain,
        b"{}",
    );
    out.fails();
    assert_no_secret(&out, "encrypt_type");
}

/// Every error path of the CLI that can meet a configured secret, with all of them set: no
/// output ever carries one.
#[test]
fn no_error_path_prints_a_configured_secret() {
    let url = hostile_server();
    let mut v = vars(&url);
    v.push((
        "XPAY_REDIS_URL",
        format!("redis://:{REDIS_PASSWORD}@127.0.0.1:1/0"),
    ));
    let dead = vars("http://127.0.0.1:1");
    let cases: Vec<(Vec<&str>, &Vars, &[u8])> = vec![
        (vec!["call", "query_biz_balance"], &v, b""),
        (vec!["call", "query_biz_balance"], &dead, b""),
        (vec!["call", "no_such_action"], &dead, b""),
        (vec!["call", "currency_pay", "--json", "{"], &dead, b""),
        (
            vec!["call", "query_user_balance", "--session-key", "bad key!"],
            &dead,
            b"",
        ),
        (
            vec![
                "check-session",
                "--openid",
                "o",
                "--session-key",
                SESSION_KEY,
            ],
            &dead,
            b"",
        ),
        (
            vec![
                "sign-payment",
                "--mode",
                "short_series_coin",
                "--buy-quantity",
                "0",
                "--out-trade-no",
                "x",
            ],
            &dead,
            b"",
        ),
        (
            vec![
                "callback",
                "decode",
                "--timestamp",
                "1",
                "--nonce",
                "2",
                "--msg-signature",
                "0",
                "--encrypt-type",
                "aes",
            ],
            &dead,
            b"{\"Encrypt\":\"AAAA\"}",
        ),
        (
            vec![
                "callback",
                "verify-url",
                "--signature",
                "0",
                "--timestamp",
                "1",
                "--nonce",
                "2",
                "--echostr",
                "e",
            ],
            &dead,
            b"",
        ),
        (vec!["explain", "1"], &dead, b""),
    ];
    for (args, vars, stdin) in cases {
        let out = run(&args, vars, stdin);
        assert_ne!(out.code, Some(0), "{args:?} should fail");
        assert_no_secret(&out, &format!("{args:?}"));
    }
    // Invalid values of the secrets themselves are named, never quoted.
    for (name, bad) in [
        ("XPAY_ENCODING_AES_KEY", format!("{AES}x")),
        ("XPAY_APP_KEY", format!("{APP_KEY}\u{1b}")),
    ] {
        let mut v = dead.clone();
        v.retain(|(k, _)| *k != name);
        v.push((name, bad.clone()));
        let args: &[&str] = if name == "XPAY_ENCODING_AES_KEY" {
            &[
                "callback",
                "decode",
                "--timestamp",
                "1",
                "--nonce",
                "2",
                "--msg-signature",
                "0",
            ]
        } else {
            &["call", "query_biz_balance"]
        };
        let out = run(args, &v, b"{}");
        assert_ne!(out.code, Some(0));
        assert!(!out.stderr.contains(&bad), "{name}: {}", out.stderr);
        assert_no_secret(&out, name);
    }
}
