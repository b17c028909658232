//! The findings of an attacker's run against xpay (issue 11), each the smallest input that
//! showed it, now refused, and each kind closed rather than the one input:
//!
//! 1. a forged plain-mode push at a receiver with an EncodingAESKey; a replayed plain-mode query
//!    with another body; a URL-verification query reused to sign a push;
//! 2. a redirect from any WeChat endpoint (tokens, code2session, `/xpay/*`), which would re-send
//!    the AppSecret or the token;
//! 3. secrets echoed in WeChat's errmsg;
//! 5. control characters from outside input in logs and error messages; a duplicate `Encrypt`;
//! 6. settings errors of one type for both message-push secrets.
//!
//! (4, Redis URLs, is covered by `redis_store.rs` and the CLI's tests.)

use std::convert::Infallible;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::json;
use xpay::api::{QueryBizBalanceRequest, QueryUserBalanceRequest};
use xpay::callback::{
    CallbackConfig, CallbackError, Decoder, EncodingAesKey, Format, Push, PushQuery, Reply,
    SealParams, render_message, sign_plain_push, sign_url_verification, signature,
};
use xpay::{CallbackToken, Client, Env, Error, RetryPolicy, SessionKey, Setting};

const TOKEN: &str = "mytoken";
const AES: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const APP: &str = "wx1234567890abcdef";

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

fn decoder(with_key: bool) -> Decoder {
    let mut config = CallbackConfig::new(CallbackToken::new(TOKEN).unwrap()).with_app_id(APP);
    if with_key {
        config = config.with_aes_key(EncodingAesKey::new(AES).unwrap());
    }
    Decoder::new(config, &xpay::api::SPEC)
}

/// A receiver (the axum router) whose handler counts the pushes it is given.
async fn receiver(decoder: Decoder) -> (String, Arc<AtomicUsize>) {
    let handled = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&handled);
    let push = xpay::callback::axum::router(decoder, move |_push: Push| {
        count.fetch_add(1, Ordering::SeqCst);
        async { Ok::<_, Infallible>(Reply::Success) }
    });
    let url = serve(Router::new().nest("/push", push)).await;
    (format!("{url}/push"), handled)
}

async fn push_to(url: &str, query: &str, body: impl Into<reqwest::Body>) -> StatusCode {
    let status = reqwest::Client::new()
        .post(format!("{url}?{query}"))
        .body(body)
        .send()
        .await
        .expect("sent")
        .status();
    StatusCode::from_u16(status.as_u16()).expect("status")
}

const FORGED_JSON: &str = r#"{"MsgType":"event","Event":"xpay_goods_deliver_notify","OutTradeNo":"forged","GoodsInfo":{"ProductId":"sword_01","Quantity":999}}"#;
const FORGED_XML: &str = "<xml><MsgType>event</MsgType><Event>xpay_goods_deliver_notify</Event><OutTradeNo>forged</OutTradeNo></xml>";

/// The query every real push and every URL verification carries: a signature over the token,
/// timestamp and nonce only.
fn captured_query() -> String {
    let ts = "1764460800";
    let nonce = "42";
    format!(
        "signature={}&timestamp={ts}&nonce={nonce}",
        signature(&[TOKEN, ts, nonce])
    )
}

// ------------------------------------------------------------------------------------------
// 1. Forged and replayed pushes
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_receiver_with_an_aes_key_refuses_every_plain_push() {
    let (url, handled) = receiver(decoder(true)).await;
    for body in [FORGED_JSON, FORGED_XML] {
        assert_eq!(
            push_to(&url, &captured_query(), body).await,
            StatusCode::UNAUTHORIZED
        );
        // `encrypt_type=raw` is plain mode too.
        let raw = format!("{}&encrypt_type=raw", captured_query());
        assert_eq!(push_to(&url, &raw, body).await, StatusCode::UNAUTHORIZED);
        let e = decoder(true)
            .decode(&PushQuery::parse(&captured_query()), body.as_bytes())
            .expect_err("refused");
        assert_eq!(e, CallbackError::PlainModeRefused);
        assert!(e.is_forgery());
    }
    assert_eq!(handled.load(Ordering::SeqCst), 0, "the handler never ran");
}

#[tokio::test]
async fn plain_mode_binds_each_query_to_its_first_body() {
    let (url, handled) = receiver(decoder(false)).await;
    let message = render_message(
        &json!({"ToUserName": "gh", "MsgType": "event", "Event": "xpay_goods_deliver_notify", "OutTradeNo": "real_0001"}),
        Format::Json,
    )
    .unwrap();
    let token = CallbackToken::new(TOKEN).unwrap();
    let pushed = sign_plain_push(&token, &message, Format::Json, &SealParams::fresh());
    let query = pushed.query.to_query_string();
    assert_eq!(
        push_to(&url, &query, pushed.body.clone()).await,
        StatusCode::OK
    );
    // WeChat's retry: the same query and body pass (push dedup handles the repeat).
    assert_eq!(
        push_to(&url, &query, pushed.body.clone()).await,
        StatusCode::OK
    );
    assert_eq!(handled.load(Ordering::SeqCst), 2);
    // The captured query with a forged body does not.
    assert_eq!(
        push_to(&url, &query, FORGED_JSON).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(handled.load(Ordering::SeqCst), 2);

    // A URL-verification query is remembered with an empty body, so it cannot sign a push.
    let verification = sign_url_verification(&token, "echo-1", &SealParams::fresh());
    let answer = reqwest::get(format!("{url}?{}", verification.to_query_string()))
        .await
        .unwrap();
    assert_eq!(answer.text().await.unwrap(), "echo-1");
    let mut reused = verification.clone();
    reused.echostr = None;
    assert_eq!(
        push_to(&url, &reused.to_query_string(), FORGED_XML).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(handled.load(Ordering::SeqCst), 2);

    // The same check, from Rust.
    let d = decoder(false);
    assert!(d.checks_replays(), "on by default in plain mode");
    d.receive(&pushed.query, pushed.body.as_bytes())
        .await
        .expect("first");
    assert!(matches!(
        d.receive(&pushed.query, FORGED_JSON.as_bytes()).await,
        Err(CallbackError::Replayed { .. })
    ));
    assert!(!decoder(true).checks_replays(), "safe mode: opt-in");
}

// ------------------------------------------------------------------------------------------
// 2. Redirects
// ------------------------------------------------------------------------------------------

#[derive(Clone)]
struct Redirector {
    status: StatusCode,
    to: Arc<Mutex<String>>,
    stolen: Arc<AtomicUsize>,
}

async fn redirect(State(r): State<Redirector>) -> Response {
    let to = r.to.lock().unwrap().clone();
    (r.status, [(header::LOCATION, to)]).into_response()
}

async fn steal(State(r): State<Redirector>, body: String) -> Response {
    r.stolen.fetch_add(1, Ordering::SeqCst);
    let _ = body;
    axum::Json(json!({"access_token": "STOLEN", "expires_in": 7200, "errcode": 0, "openid": "o", "session_key": "c2Vzc2lvbmtleQ=="}))
        .into_response()
}

async fn redirector(status: StatusCode) -> (String, Redirector) {
    let r = Redirector {
        status,
        to: Arc::default(),
        stolen: Arc::default(),
    };
    let app = Router::new()
        .route("/cgi-bin/stable_token", post(redirect))
        .route("/cgi-bin/token", get(redirect))
        .route("/sns/jscode2session", get(redirect))
        .route("/xpay/{action}", post(redirect))
        .route("/steal", any(steal))
        .with_state(r.clone());
    let url = serve(app).await;
    *r.to.lock().unwrap() = format!("{url}/steal");
    (url, r)
}

fn http_status(e: &Error) -> Option<(String, u16)> {
    match e {
        Error::Http { action, status, .. } => Some((action.clone(), *status)),
        _ => None,
    }
}

#[tokio::test]
async fn no_wechat_call_follows_a_redirect() {
    for status in [301, 302, 303, 307, 308] {
        let (url, r) = redirector(StatusCode::from_u16(status).unwrap()).await;
        let builder = || {
            Client::builder()
                .app_id(APP)
                .app_secret("THE-APP-SECRET")
                .app_key("THE-APP-KEY")
                .base_url(&url)
                .retry(RetryPolicy::NONE)
        };
        let e = builder()
            .build()
            .unwrap()
            .send(QueryBizBalanceRequest::new())
            .await
            .unwrap_err();
        assert_eq!(http_status(&e), Some(("stable_token".into(), status)));
        let e = builder()
            .token_mode(xpay::token::TokenMode::Classic)
            .build()
            .unwrap()
            .send(QueryBizBalanceRequest::new())
            .await
            .unwrap_err();
        assert_eq!(http_status(&e), Some(("token".into(), status)));
        let e = builder()
            .build()
            .unwrap()
            .code2session("code")
            .await
            .unwrap_err();
        assert_eq!(http_status(&e), Some(("code2session".into(), status)));
        let e = builder()
            .access_token("A-FIXED-TOKEN")
            .build()
            .unwrap()
            .send(QueryBizBalanceRequest::new())
            .await
            .unwrap_err();
        assert_eq!(http_status(&e), Some(("query_biz_balance".into(), status)));
        assert!(e.to_string().contains("never followed"), "{e}");
        assert_eq!(
            r.stolen.load(Ordering::SeqCst),
            0,
            "{status}: nothing re-sent"
        );
    }
}

// ------------------------------------------------------------------------------------------
// 3. Secrets echoed by the network
// ------------------------------------------------------------------------------------------

const SECRETS: [&str; 4] = [
    "ECHOED-ACCESS-TOKEN-77",
    "ECHOED-APP-SECRET-77",
    "ECHOED-APP-KEY-77",
    "ZWNob2VkLXNlc3Npb24ta2V5",
];

async fn echo(body: String) -> Response {
    let _ = body;
    let all = SECRETS.join(" ");
    axum::Json(json!({"errcode": 268490001, "errmsg": format!("bad \u{1b}[2J request {all}")}))
        .into_response()
}

async fn token_echo(body: String) -> Response {
    let _ = body;
    axum::Json(json!({"errcode": 40013, "errmsg": format!("invalid appid, secret {}", SECRETS[1])}))
        .into_response()
}

/// A client of the distinctive secrets against a server at `url`, with a fixed token and no
/// retries.
fn echo_client(url: &str) -> Client {
    Client::builder()
        .app_id(APP)
        .app_secret(SECRETS[1])
        .access_token(SECRETS[0])
        .app_key(SECRETS[2])
        .base_url(url)
        .retry(RetryPolicy::NONE)
        .build()
        .unwrap()
}

#[tokio::test]
async fn secrets_echoed_in_an_errmsg_are_blanked_and_controls_escaped() {
    let url = serve(
        Router::new()
            .route("/xpay/{action}", post(echo))
            .route("/cgi-bin/stable_token", post(token_echo)),
    )
    .await;
    let client = echo_client(&url);
    let session = SessionKey::new(SECRETS[3]).unwrap();
    let e = client
        .send_user(QueryUserBalanceRequest::new("o", "1.2.3.4"), &session)
        .await
        .unwrap_err();
    assert_eq!(e.errcode(), Some(268490001));
    for shown in [e.to_string(), format!("{e:?}")] {
        for s in SECRETS {
            assert!(!shown.contains(s), "{s} in {shown}");
        }
        assert!(!shown.contains('\u{1b}'), "{shown}");
    }
    // The token endpoint's errmsg too, with its errcode kept.
    let e = Client::builder()
        .app_id(APP)
        .app_secret(SECRETS[1])
        .app_key(SECRETS[2])
        .base_url(&url)
        .build()
        .unwrap()
        .send(QueryBizBalanceRequest::new())
        .await
        .unwrap_err();
    assert_eq!(e.errcode(), Some(40013));
    assert!(!format!("{e} {e:?}").contains(SECRETS[1]));
}

/// A server answering something that is not a JSON object (`[]` once passed as errcode 0 and
/// `xpay call` printed it with exit 0): never a success, typed or dynamic.
#[tokio::test]
async fn an_answer_that_is_not_an_object_is_never_a_success() {
    for answer in ["[]", "[0, \"ok\"]", "null", "1", "\"success\""] {
        let url = serve(Router::new().route(
            "/xpay/{action}",
            post(move || async move { ([(header::CONTENT_TYPE, "application/json")], answer) }),
        ))
        .await;
        let client = echo_client(&url);
        let typed = client.send(QueryBizBalanceRequest::new()).await;
        assert!(
            matches!(typed, Err(Error::Decode { .. })),
            "{answer}: {typed:?}"
        );
        let dynamic = client
            .call(
                &xpay::api::SPEC,
                "query_biz_balance",
                json!({"env": 0}),
                None,
            )
            .await;
        assert!(
            matches!(dynamic, Err(Error::Decode { .. })),
            "{answer}: {dynamic:?}"
        );
    }
}

/// A session key given to a dynamic call of an action signed with `pay_sig` alone would be
/// silently unused; it is refused before anything is sent.
#[tokio::test]
async fn a_dynamic_call_refuses_a_session_key_its_action_would_not_use() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&hits);
    let url = serve(Router::new().route(
        "/xpay/{action}",
        post(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { axum::Json(json!({"errcode": 0})) }
        }),
    ))
    .await;
    let session = SessionKey::new(SECRETS[3]).unwrap();
    let e = echo_client(&url)
        .call(
            &xpay::api::SPEC,
            "query_biz_balance",
            json!({"env": 0}),
            Some(&session),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidSetting {
                setting: Setting::SessionKey,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(!e.to_string().contains(SECRETS[3]), "{e}");
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

// ------------------------------------------------------------------------------------------
// 5. Control characters and odd envelopes
// ------------------------------------------------------------------------------------------

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log line of this test binary, formatted as examples/shop formats its logs. Global, so
/// that callsites registered by tests running in parallel cannot hide an event from it.
fn logs() -> &'static Captured {
    static LOGS: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        logs
    })
}

#[tokio::test]
async fn hostile_bytes_reach_neither_logs_nor_errors_raw() {
    let logs = logs();
    let (url, handled) = receiver(decoder(false)).await;
    let hostile = "<xml></x\u{1b}[31mred\nFAKE INFO forged line></xml>";
    let status = push_to(&url, "timestamp=1&nonce=2&signature=x", hostile).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Signed but unreadable: answered 500 so that a real push this version cannot read is
    // retried, and logged with the parser's message.
    let status = push_to(&url, &captured_query(), hostile).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let (url_keyed, _) = receiver(decoder(true)).await;
    let odd_type = "timestamp=1&nonce=2&encrypt_type=%1B%5B31m%0AFAKE";
    push_to(&url_keyed, odd_type, hostile).await;
    assert_eq!(handled.load(Ordering::SeqCst), 0);

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("refused"), "the refusals were logged: {text}");
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(
        !text.lines().any(|l| l.starts_with("FAKE")),
        "a forged log line: {text}"
    );

    // The same bytes in a plain push whose query is good: the parser's message is escaped.
    let d = decoder(false);
    let token = CallbackToken::new(TOKEN).unwrap();
    let pushed = sign_plain_push(&token, hostile, Format::Xml, &SealParams::fresh());
    let e = d.decode(&pushed.query, hostile.as_bytes()).unwrap_err();
    let shown = e.to_string();
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\n'),
        "{shown}"
    );
    let unsupported = PushQuery::parse(odd_type);
    let e = decoder(true).decode(&unsupported, b"{}").unwrap_err();
    assert!(matches!(e, CallbackError::UnsupportedEncryptType(ref t) if t.contains('\u{1b}')));
    assert!(!e.to_string().contains('\u{1b}'));
}

#[test]
fn a_duplicate_encrypt_is_called_a_duplicate() {
    let d = decoder(true);
    for body in [
        r#"{"ToUserName":"gh","Encrypt":"AAAA","Encrypt":"BBBB"}"#,
        "<xml><ToUserName>gh</ToUserName><Encrypt>AAAA</Encrypt><Encrypt>BBBB</Encrypt></xml>",
    ] {
        let q = PushQuery::parse(
            "timestamp=1&nonce=2&encrypt_type=aes&msg_signature=0000000000000000000000000000000000000000",
        );
        let e = d.decode(&q, body.as_bytes()).unwrap_err();
        assert!(
            matches!(&e, CallbackError::Malformed { message, .. } if message.contains("duplicate")),
            "{e}"
        );
    }
}

// ------------------------------------------------------------------------------------------
// 6. One error type for settings
// ------------------------------------------------------------------------------------------

#[test]
fn both_message_push_secrets_fail_as_invalid_settings() {
    let token = CallbackToken::new("").unwrap_err();
    let key = EncodingAesKey::new("too-short").unwrap_err();
    assert!(matches!(
        token,
        Error::InvalidSetting {
            setting: Setting::CallbackToken,
            ..
        } | Error::MissingSetting {
            setting: Setting::CallbackToken,
            ..
        }
    ));
    assert!(matches!(
        key,
        Error::InvalidSetting {
            setting: Setting::EncodingAesKey,
            ..
        }
    ));
    assert!(!key.to_string().contains("too-short"));
}

#[test]
fn payment_params_sign_with_the_key_of_the_env_they_write() {
    use xpay::api::CoinPaymentOrder;
    use xpay::signing::payment_pay_sig;
    let client = Client::builder()
        .offer_id("1450000000")
        .app_key("PROD-KEY")
        .sandbox_app_key("SANDBOX-KEY")
        .env(Env::Sandbox)
        .build()
        .unwrap();
    let params = client
        .payment_params(&CoinPaymentOrder::new(60, "trade_20261130_01"), None)
        .unwrap();
    assert!(params.sign_data.contains(r#""env":1"#));
    let sandbox = xpay::AppKey::new("SANDBOX-KEY").unwrap();
    assert_eq!(
        params.pay_sig,
        payment_pay_sig(&sandbox, "requestVirtualPayment", &params.sign_data)
    );
}
