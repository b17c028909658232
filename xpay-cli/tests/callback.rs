//! `xpay callback verify-url|decode`, run as other programs run them: a cleared environment
//! plus the variables each test gives, the body from a file or stdin, stdout and stderr
//! captured, the exit code checked.
//!
//! Every `push` vector of xpay-runtime's `vectors.json` goes through the binary. Plain-mode
//! pushes are signed either with a vector's own signature (independent of xpay-runtime: a
//! plain push is signed like a URL verification) or with `sign_plain_push`.

mod common;

use common::{Run, temp_file, xpay, xpay_with_stdin};
use serde_json::{Value, json};
use xpay::CallbackToken;
use xpay::callback::{
    EncodingAesKey, Format, SealParams, encrypt_push, render_message, sign_plain_push,
};

const VECTORS: &str = include_str!("../../xpay-runtime/tests/data/vectors.json");
const LIMIT: usize = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// The vectors
// ---------------------------------------------------------------------------------------------

fn push_vectors() -> Vec<Value> {
    let all: Value = serde_json::from_str(VECTORS).expect("vectors.json is JSON");
    let push = all["push"].as_array().expect("a `push` list").clone();
    assert!(!push.is_empty());
    push
}

fn field<'a>(v: &'a Value, name: &str) -> &'a str {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("vector {} has no `{name}`", v["kind"]))
}

fn of_kind(kind: &str) -> Vec<Value> {
    push_vectors()
        .into_iter()
        .filter(|v| field(v, "kind") == kind)
        .collect()
}

fn safe_mode_vectors() -> Vec<Value> {
    let all: Vec<Value> = push_vectors()
        .into_iter()
        .filter(|v| field(v, "kind").starts_with("safe_mode"))
        .collect();
    assert!(all.len() >= 4, "expected the safe-mode vectors");
    all
}

/// The coin-pay vector (JSON in a JSON envelope): the one the error tests use.
fn coin_vector() -> Value {
    of_kind("safe_mode_coin_pay_json")
        .pop()
        .expect("the coin-pay vector")
}

/// The decode arguments of a safe-mode vector, body on stdin.
fn safe_args(v: &Value) -> Vec<String> {
    [
        "callback",
        "decode",
        "--timestamp",
        field(v, "timestamp"),
        "--nonce",
        field(v, "nonce"),
        "--msg-signature",
        field(v, "msg_signature"),
        "--encrypt-type",
        "aes",
    ]
    .map(String::from)
    .to_vec()
}

/// Token, key and appid of a safe-mode vector, as variables.
fn safe_vars(v: &Value) -> Vec<(&'static str, String)> {
    vec![
        ("XPAY_CALLBACK_TOKEN", field(v, "token").to_string()),
        (
            "XPAY_ENCODING_AES_KEY",
            field(v, "encoding_aes_key").to_string(),
        ),
        ("XPAY_APP_ID", field(v, "app_id").to_string()),
    ]
}

fn run_owned(args: &[String], vars: &[(&'static str, String)], stdin: &[u8]) -> Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    xpay_with_stdin(&args, &vars, stdin)
}

fn without(vars: &[(&'static str, String)], name: &str) -> Vec<(&'static str, String)> {
    vars.iter().filter(|(k, _)| *k != name).cloned().collect()
}

fn with(
    vars: &[(&'static str, String)],
    name: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    let mut out = without(vars, name);
    out.push((name, value.to_string()));
    out
}

/// Checks the XML goods-deliver vector's message: numbers typed by the spec, strings kept.
fn check_goods_deliver(m: &Value) {
    assert_eq!(m["Event"], "xpay_goods_deliver_notify");
    assert_eq!(m["GoodsInfo"]["Quantity"], json!(2), "{m}");
    assert_eq!(m["GoodsInfo"]["OrigPrice"], json!(100));
    assert_eq!(m["GoodsInfo"]["ActualPrice"], json!(90));
    assert_eq!(m["GoodsInfo"]["Attach"], json!("a&b<c>"));
    assert_eq!(m["GoodsInfo"]["ProductId"], json!("sword_01"));
    assert_eq!(m["WeChatPayInfo"]["TransactionId"], json!("4200000002"));
    assert_eq!(m["WeChatPayInfo"]["PaidTime"], json!(1732700101));
    assert_eq!(m["Env"], json!(1));
    assert_eq!(m["CreateTime"], json!(1732700100));
    assert_eq!(m["OutTradeNo"], json!("trade_002"));
}

// ---------------------------------------------------------------------------------------------
// verify-url
// ---------------------------------------------------------------------------------------------

#[test]
fn verify_url_prints_the_echostr_verbatim() {
    let vectors = of_kind("url_verification");
    assert!(!vectors.is_empty());
    for v in &vectors {
        let args = [
            "callback",
            "verify-url",
            "--signature",
            field(v, "signature"),
            "--timestamp",
            field(v, "timestamp"),
            "--nonce",
            field(v, "nonce"),
            "--echostr",
            field(v, "echostr"),
        ];
        let run = xpay(&args, &[("XPAY_CALLBACK_TOKEN", field(v, "token"))]);
        assert_eq!(run.ok(), format!("{}\n", field(v, "echostr")));
        // The flag works as the variable does, and wins over it.
        let mut flagged = args.to_vec();
        let flag = format!("--callback-token={}", field(v, "token"));
        flagged.push(&flag);
        let run = xpay(&flagged, &[("XPAY_CALLBACK_TOKEN", "wrong-token")]);
        assert_eq!(run.ok(), format!("{}\n", field(v, "echostr")));
    }
}

/// `xpay callback verify-url` for `echostr`, signed with the runtime's sender.
fn verify_signed(echostr: &str) -> Run {
    let token = CallbackToken::new("tok-verify").expect("token");
    let params = SealParams {
        timestamp: "1714036504".into(),
        nonce: "77".into(),
        random: [0; 16],
    };
    let q = xpay::callback::sign_url_verification(&token, echostr, &params);
    let signature = format!("--signature={}", q.signature.expect("signature"));
    let echo = format!("--echostr={echostr}");
    xpay(
        &[
            "callback",
            "verify-url",
            &signature,
            "--timestamp",
            "1714036504",
            "--nonce",
            "77",
            &echo,
        ],
        &[("XPAY_CALLBACK_TOKEN", "tok-verify")],
    )
}

#[test]
fn verify_url_prints_an_echostr_that_looks_like_json_unquoted() {
    // An echostr that JSON would quote and escape.
    let echostr = "-\"quoted\" 中文 \\n";
    assert_eq!(verify_signed(echostr).ok(), format!("{echostr}\n"));
}

#[test]
fn verify_url_never_prints_control_characters() {
    // The signature does not cover the echostr: a signed query with an echostr that would
    // clear the terminal is refused, with the characters escaped in the one-line error.
    verify_signed("ok\u{1b}[2J\nFAKE")
        .fails_with(&["control characters", "\\u{1b}[2J\\nFAKE"], &["\u{1b}"]);
}

#[test]
fn verify_url_failures_are_one_line() {
    let v = of_kind("url_verification").pop().expect("a url vector");
    let token = field(&v, "token");
    let args = |signature: &str| {
        vec![
            "callback".to_string(),
            "verify-url".into(),
            "--signature".into(),
            signature.into(),
            "--timestamp".into(),
            field(&v, "timestamp").into(),
            "--nonce".into(),
            field(&v, "nonce").into(),
            "--echostr".into(),
            field(&v, "echostr").into(),
        ]
    };
    // A wrong signature.
    let mut bad = field(&v, "signature").to_string();
    bad.replace_range(0..1, if bad.starts_with('0') { "1" } else { "0" });
    run_owned(&args(&bad), &[("XPAY_CALLBACK_TOKEN", token.into())], b"")
        .fails_with(&["signature", "does not match"], &[token]);
    // The wrong token.
    run_owned(
        &args(field(&v, "signature")),
        &[("XPAY_CALLBACK_TOKEN", "another-token".into())],
        b"",
    )
    .fails_with(&["does not match"], &["another-token"]);
    // No token: the variable is named. Nothing else is needed.
    run_owned(&args(field(&v, "signature")), &[], b"").fails_with(&["XPAY_CALLBACK_TOKEN"], &[]);
    run_owned(
        &args(field(&v, "signature")),
        &[("XPAY_CALLBACK_TOKEN", String::new())],
        b"",
    )
    .fails_with(&["XPAY_CALLBACK_TOKEN"], &[]);
    // Missing arguments are clap errors, still one line and exit 1.
    xpay(
        &["callback", "verify-url", "--signature", "x"],
        &[("XPAY_CALLBACK_TOKEN", token)],
    )
    .fails_with(&["--timestamp", "--nonce", "--echostr"], &[]);
    xpay(&["callback"], &[]).fails();
    xpay(&["callback", "bogus"], &[]).fails();
}

// ---------------------------------------------------------------------------------------------
// decode: safe mode
// ---------------------------------------------------------------------------------------------

#[test]
fn every_safe_mode_vector_decodes() {
    for v in safe_mode_vectors() {
        let kind = field(&v, "kind");
        let run = run_owned(&safe_args(&v), &safe_vars(&v), field(&v, "body").as_bytes());
        let message = run.json();
        let plaintext = field(&v, "plaintext");
        if plaintext.trim_start().starts_with('{') {
            let expected: Value = serde_json::from_str(plaintext).expect("plaintext JSON");
            assert_eq!(message, expected, "{kind}");
        } else {
            check_goods_deliver(&message);
        }
        // Without XPAY_APP_ID the appid is not checked; the message is the same.
        let vars = without(&safe_vars(&v), "XPAY_APP_ID");
        let again = run_owned(&safe_args(&v), &vars, field(&v, "body").as_bytes()).json();
        assert_eq!(again, message, "{kind}");
        // A msg_signature alone (no --encrypt-type) also means safe mode.
        let args: Vec<String> = safe_args(&v)[..8].to_vec();
        let again = run_owned(&args, &safe_vars(&v), field(&v, "body").as_bytes()).json();
        assert_eq!(again, message, "{kind}");
    }
}

#[test]
fn fields_present_but_empty_are_printed() {
    let v = of_kind("safe_mode_refund_json_in_xml_envelope")
        .pop()
        .expect("the refund vector");
    let run = run_owned(&safe_args(&v), &safe_vars(&v), field(&v, "body").as_bytes());
    let out = run.ok();
    assert!(out.contains(r#""RetMsg":"""#), "{out}");
    let m = run.json();
    assert_eq!(m["RetMsg"], json!(""));
    assert_eq!(m["RetCode"], json!(0));
    assert_eq!(m["RefundFee"], json!(50));
    assert_eq!(m["WxpayRefundTransactionId"], json!("5000001"));
}

#[test]
fn the_body_comes_from_a_file_or_stdin() {
    let v = of_kind("safe_mode_goods_deliver_xml")
        .pop()
        .expect("the XML vector");
    let path = temp_file("callback-goods-deliver.xml", field(&v, "body").as_bytes());
    let path = path.to_str().expect("utf-8 path").to_string();
    // From FILE (stdin is ignored then).
    let mut args = safe_args(&v);
    args.push(path.clone());
    check_goods_deliver(&run_owned(&args, &safe_vars(&v), b"not the body").json());
    // From stdin, with no FILE and with `-`.
    check_goods_deliver(
        &run_owned(&safe_args(&v), &safe_vars(&v), field(&v, "body").as_bytes()).json(),
    );
    let mut args = safe_args(&v);
    args.push("-".into());
    check_goods_deliver(&run_owned(&args, &safe_vars(&v), field(&v, "body").as_bytes()).json());
    // FILE before the flags.
    let mut args = vec!["callback".to_string(), "decode".into(), path];
    args.extend(safe_args(&v).into_iter().skip(2));
    check_goods_deliver(&run_owned(&args, &safe_vars(&v), b"").json());
    // A file that is not there.
    let mut args = safe_args(&v);
    args.push("/nonexistent/push.xml".into());
    run_owned(&args, &safe_vars(&v), b"").fails_with(&["/nonexistent/push.xml"], &[]);
}

#[test]
fn a_fresh_push_passes_max_age() {
    let token = CallbackToken::new("fresh-token").expect("token");
    let key = EncodingAesKey::generate();
    let message = json!({
        "ToUserName": "gh_abc",
        "FromUserName": "o_official",
        "CreateTime": 1,
        "MsgType": "event",
        "Event": "xpay_coin_pay_notify",
        "OpenId": "o-user",
        "OutTradeNo": "trade_fresh_01",
        "Env": 0,
        "WeChatPayInfo": {"MchOrderNo": "m", "TransactionId": "42", "PaidTime": 2},
        "CoinInfo": {"Quantity": 6, "OrigPrice": 60, "ActualPrice": 60, "Attach": ""}
    });
    let text = render_message(&message, Format::Xml).expect("render");
    let push = encrypt_push(
        &token,
        &key,
        "wxfresh",
        "gh_abc",
        &text,
        Format::Json,
        &SealParams::fresh(),
    )
    .expect("encrypt");
    let q = push.query;
    let args = [
        "callback",
        "decode",
        "--max-age",
        "60",
        "--timestamp",
        q.timestamp.as_deref().expect("timestamp"),
        "--nonce",
        q.nonce.as_deref().expect("nonce"),
        "--msg-signature",
        q.msg_signature.as_deref().expect("msg_signature"),
        "--signature",
        q.signature.as_deref().expect("signature"),
        "--encrypt-type",
        "aes",
    ];
    let vars = [
        ("XPAY_CALLBACK_TOKEN", "fresh-token"),
        ("XPAY_ENCODING_AES_KEY", key.expose()),
        ("XPAY_APP_ID", "wxfresh"),
    ];
    let decoded = xpay_with_stdin(&args, &vars, push.body.as_bytes()).json();
    // Rendered as XML and typed back by the spec: the same object, "Attach": "" included.
    assert_eq!(decoded, message);
    // The key and appid may come as flags instead.
    let key_flag = format!("--encoding-aes-key={}", key.expose());
    let mut flagged = args.to_vec();
    flagged.extend([key_flag.as_str(), "--app-id", "wxfresh"]);
    let decoded = xpay_with_stdin(
        &flagged,
        &[("XPAY_CALLBACK_TOKEN", "fresh-token")],
        push.body.as_bytes(),
    )
    .json();
    assert_eq!(decoded, message);
}

// ---------------------------------------------------------------------------------------------
// decode: failures
// ---------------------------------------------------------------------------------------------

#[test]
fn a_wrong_signature_fails() {
    let v = coin_vector();
    let secrets = [field(&v, "token"), field(&v, "encoding_aes_key")];
    let mut args = safe_args(&v);
    let sig = &mut args[7];
    let first = if sig.starts_with('0') { "1" } else { "0" };
    sig.replace_range(0..1, first);
    run_owned(&args, &safe_vars(&v), field(&v, "body").as_bytes())
        .fails_with(&["msg_signature", "does not match"], &secrets);
    // The wrong token.
    let vars = with(&safe_vars(&v), "XPAY_CALLBACK_TOKEN", "not-the-token");
    run_owned(&safe_args(&v), &vars, field(&v, "body").as_bytes()).fails_with(
        &["msg_signature", "does not match"],
        &["not-the-token", secrets[1]],
    );
    // A tampered Encrypt.
    let body = field(&v, "body").replacen("sKqR", "sKqS", 1);
    run_owned(&safe_args(&v), &safe_vars(&v), body.as_bytes())
        .fails_with(&["does not match"], &secrets);
}

#[test]
fn a_wrong_app_id_fails() {
    let v = coin_vector();
    let secrets = [field(&v, "token"), field(&v, "encoding_aes_key")];
    let vars = with(&safe_vars(&v), "XPAY_APP_ID", "wx0000000000000000");
    run_owned(&safe_args(&v), &vars, field(&v, "body").as_bytes()).fails_with(
        &[
            "appid",
            "wx0000000000000000",
            field(&v, "app_id"),
            "XPAY_APP_ID",
        ],
        &secrets,
    );
}

#[test]
fn a_safe_mode_push_without_the_aes_key_names_the_variable() {
    let v = coin_vector();
    let vars = without(&safe_vars(&v), "XPAY_ENCODING_AES_KEY");
    run_owned(&safe_args(&v), &vars, field(&v, "body").as_bytes()).fails_with(
        &["XPAY_ENCODING_AES_KEY", "safe-mode"],
        &[field(&v, "token")],
    );
    // An empty variable counts as unset.
    let vars = with(&safe_vars(&v), "XPAY_ENCODING_AES_KEY", "");
    run_owned(&safe_args(&v), &vars, field(&v, "body").as_bytes())
        .fails_with(&["XPAY_ENCODING_AES_KEY"], &[field(&v, "token")]);
    // A key that is not one is named by its variable, never shown.
    let bad_key = "not-a-valid-key-but-secret";
    let vars = with(&safe_vars(&v), "XPAY_ENCODING_AES_KEY", bad_key);
    run_owned(&safe_args(&v), &vars, field(&v, "body").as_bytes()).fails_with(
        &["XPAY_ENCODING_AES_KEY", "EncodingAESKey"],
        &[bad_key, field(&v, "token")],
    );
    // The wrong key (valid, another one): the signature holds, decryption cannot.
    let other = "bWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
    let vars = with(&safe_vars(&v), "XPAY_ENCODING_AES_KEY", other);
    run_owned(&safe_args(&v), &vars, field(&v, "body").as_bytes())
        .fails_with(&["XPAY_ENCODING_AES_KEY"], &[other, field(&v, "token")]);
    // A bad key given as a flag is named by its flag.
    let mut args = safe_args(&v);
    args.push(format!("--encoding-aes-key={bad_key}"));
    run_owned(&args, &safe_vars(&v), field(&v, "body").as_bytes())
        .fails_with(&["--encoding-aes-key"], &[bad_key, field(&v, "token")]);
    // No token at all.
    let vars = without(&safe_vars(&v), "XPAY_CALLBACK_TOKEN");
    run_owned(&safe_args(&v), &vars, field(&v, "body").as_bytes())
        .fails_with(&["XPAY_CALLBACK_TOKEN"], &[field(&v, "encoding_aes_key")]);
}

#[test]
fn max_age_rejects_an_old_timestamp() {
    let v = coin_vector();
    let secrets = [field(&v, "token"), field(&v, "encoding_aes_key")];
    let mut args = safe_args(&v);
    args.extend(["--max-age".to_string(), "60".into()]);
    run_owned(&args, &safe_vars(&v), field(&v, "body").as_bytes())
        .fails_with(&["stale", field(&v, "timestamp"), "60 s"], &secrets);
    // Without --max-age the same push decodes: WeChat retries with the original timestamp.
    run_owned(&safe_args(&v), &safe_vars(&v), field(&v, "body").as_bytes()).json();
    // --max-age must be a number of seconds.
    let mut args = safe_args(&v);
    args.extend(["--max-age".to_string(), "soon".into()]);
    run_owned(&args, &safe_vars(&v), field(&v, "body").as_bytes())
        .fails_with(&["--max-age"], &secrets);
}

#[test]
fn an_oversized_body_fails_without_reading_it_all() {
    let v = coin_vector();
    let secrets = [field(&v, "token"), field(&v, "encoding_aes_key")];
    // Far larger than the limit on stdin: the command stops reading at the limit.
    let huge = vec![b'x'; 16 * LIMIT];
    run_owned(&safe_args(&v), &safe_vars(&v), &huge)
        .fails_with(&["larger than", "65536-byte limit"], &secrets);
    // One byte over, from a file.
    let path = temp_file("callback-oversized.json", vec![b' '; LIMIT + 1]);
    let mut args = safe_args(&v);
    args.push(path.to_str().expect("utf-8 path").to_string());
    run_owned(&args, &safe_vars(&v), b"").fails_with(&["65536-byte limit"], &secrets);
}

#[test]
fn a_body_of_exactly_the_limit_is_accepted() {
    // A plain push padded with spaces to exactly 64 KiB.
    let v = of_kind("url_verification").pop().expect("a url vector");
    let mut body =
        br#"{"ToUserName":"gh_abc","MsgType":"event","Event":"debug_demo","CreateTime":1}"#
            .to_vec();
    body.resize(LIMIT, b' ');
    let m = xpay_with_stdin(
        &plain_args(&v),
        &[("XPAY_CALLBACK_TOKEN", field(&v, "token"))],
        &body,
    )
    .json();
    assert_eq!(m["Event"], "debug_demo");
}

#[test]
fn other_bad_input_is_one_line() {
    let v = coin_vector();
    let secrets = [field(&v, "token"), field(&v, "encoding_aes_key")];
    // An empty body.
    run_owned(&safe_args(&v), &safe_vars(&v), b"").fails_with(&["empty"], &secrets);
    // A body that is neither JSON nor XML.
    run_owned(&safe_args(&v), &safe_vars(&v), b"hello")
        .fails_with(&["neither JSON nor XML"], &secrets);
    // Missing query parameters name their flag.
    let args: Vec<String> = safe_args(&v)
        .into_iter()
        .filter(|a| a != "--nonce" && a != field(&v, "nonce"))
        .collect();
    run_owned(&args, &safe_vars(&v), field(&v, "body").as_bytes())
        .fails_with(&["--nonce"], &secrets);
    let args = vec![
        "callback".to_string(),
        "decode".into(),
        "--timestamp".into(),
        field(&v, "timestamp").into(),
        "--nonce".into(),
        field(&v, "nonce").into(),
        "--encrypt-type".into(),
        "aes".into(),
    ];
    run_owned(&args, &safe_vars(&v), field(&v, "body").as_bytes())
        .fails_with(&["--msg-signature"], &secrets);
    // An unknown encrypt_type.
    let mut args = safe_args(&v);
    args[9] = "rsa".into();
    run_owned(&args, &safe_vars(&v), field(&v, "body").as_bytes())
        .fails_with(&["encrypt_type", "rsa"], &secrets);
    // A safe-mode envelope sent without its safe-mode parameters.
    let args: Vec<String> = safe_args(&v)[..6].to_vec();
    let mut args = args;
    args.extend(["--signature".to_string(), "0".repeat(40)]);
    run_owned(&args, &safe_vars(&v), field(&v, "body").as_bytes()).fails_with(&[], &secrets);
    // Extra positional arguments.
    let mut args = safe_args(&v);
    args.extend(["a.json".to_string(), "b.json".into()]);
    run_owned(&args, &safe_vars(&v), b"").fails();
}

// ---------------------------------------------------------------------------------------------
// decode: plain mode
// ---------------------------------------------------------------------------------------------

/// Decode arguments for a plain push signed like the URL-verification vector (a plain push's
/// `signature` is the same SHA-1 of the sorted token, timestamp and nonce).
fn plain_args(v: &Value) -> Vec<&str> {
    vec![
        "callback",
        "decode",
        "--signature",
        field(v, "signature"),
        "--timestamp",
        field(v, "timestamp"),
        "--nonce",
        field(v, "nonce"),
    ]
}

#[test]
fn a_plain_mode_push_decodes_with_an_independent_signature() {
    let v = of_kind("url_verification").pop().expect("a url vector");
    let token = field(&v, "token");
    let body = r#"{"ToUserName":"gh_abc","FromUserName":"o_official","CreateTime":1714036504,"MsgType":"event","Event":"xpay_refund_notify","RefundFee":50,"RetCode":0,"RetMsg":"","Nested":{"A":[1,2],"B":""}}"#;
    let m = xpay_with_stdin(
        &plain_args(&v),
        &[("XPAY_CALLBACK_TOKEN", token)],
        body.as_bytes(),
    )
    .json();
    let expected: Value = serde_json::from_str(body).expect("JSON");
    assert_eq!(m, expected);
    // XPAY_ENCODING_AES_KEY is not needed in plain mode; --encrypt-type raw is plain mode too.
    let mut args = plain_args(&v);
    args.extend(["--encrypt-type", "raw"]);
    let again = xpay_with_stdin(&args, &[("XPAY_CALLBACK_TOKEN", token)], body.as_bytes()).json();
    assert_eq!(again, expected);
    // The wrong token, and no --signature.
    xpay_with_stdin(
        &plain_args(&v),
        &[("XPAY_CALLBACK_TOKEN", "other-token")],
        body.as_bytes(),
    )
    .fails_with(
        &["signature", "plain-mode", "does not match"],
        &["other-token"],
    );
    let args: Vec<&str> = plain_args(&v)
        .into_iter()
        .filter(|a| *a != "--signature" && *a != field(&v, "signature"))
        .collect();
    xpay_with_stdin(&args, &[("XPAY_CALLBACK_TOKEN", token)], body.as_bytes())
        .fails_with(&["--signature"], &[token]);
}

#[test]
fn a_plain_mode_xml_push_is_typed_by_the_spec() {
    let token = CallbackToken::new("plain-token").expect("token");
    let xml = "<xml><ToUserName><![CDATA[gh_abc]]></ToUserName><FromUserName><![CDATA[o_official]]></FromUserName><CreateTime>1732700200</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[xpay_refund_notify]]></Event><OpenId><![CDATA[o-user-3]]></OpenId><WxRefundId><![CDATA[wxr_1]]></WxRefundId><MchRefundId><![CDATA[refund_0001]]></MchRefundId><WxOrderId><![CDATA[wxo_1]]></WxOrderId><MchOrderId><![CDATA[trade_003]]></MchOrderId><RefundFee>50</RefundFee><RetCode>0</RetCode><RetMsg><![CDATA[]]></RetMsg><RefundStartTimestamp>1732700150</RefundStartTimestamp><RefundSuccTimestamp>1732700190</RefundSuccTimestamp><WxpayRefundTransactionId><![CDATA[5000001]]></WxpayRefundTransactionId><RetryTimes>0</RetryTimes></xml>";
    let params = SealParams {
        timestamp: "1732700200".into(),
        nonce: "plain-nonce".into(),
        random: [7; 16],
    };
    let push = sign_plain_push(&token, xml, Format::Xml, &params);
    let path = temp_file("callback-plain-refund.xml", push.body.as_bytes());
    let signature = push.query.signature.expect("signature");
    let args = [
        "callback",
        "decode",
        "--signature",
        &signature,
        "--timestamp",
        "1732700200",
        "--nonce",
        "plain-nonce",
        path.to_str().expect("utf-8 path"),
    ];
    let m = xpay(&args, &[("XPAY_CALLBACK_TOKEN", "plain-token")]).json();
    let refund = of_kind("safe_mode_refund_json_in_xml_envelope")
        .pop()
        .expect("the refund vector");
    let expected: Value = serde_json::from_str(field(&refund, "plaintext")).expect("JSON");
    assert_eq!(m, expected, "the XML form decodes like the JSON vector");
    assert_eq!(m["RetMsg"], json!(""));
    assert_eq!(m["WxpayRefundTransactionId"], json!("5000001"));
    // An appid to check does not matter in plain mode (there is none in the push).
    let m2 = xpay(
        &args,
        &[
            ("XPAY_CALLBACK_TOKEN", "plain-token"),
            ("XPAY_APP_ID", "wxany"),
        ],
    )
    .json();
    assert_eq!(m2, m);
}

#[test]
fn callback_help_exits_0() {
    for args in [
        &["callback", "--help"][..],
        &["callback", "decode", "--help"],
        &["callback", "verify-url", "--help"],
    ] {
        let run = xpay(args, &[]);
        assert_eq!(run.code, Some(0), "{args:?}: {}", run.stderr);
        assert!(
            run.stdout.contains("Usage: xpay callback"),
            "{}",
            run.stdout
        );
    }
}
