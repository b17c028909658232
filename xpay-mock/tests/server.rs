//! Starting, credentials, the `/mock/*` control endpoints and shutdown.

mod common;

use common::{get_json, post_json, present, start};
use serde_json::json;
use xpay::Env;
use xpay_mock::{Credentials, MockConfig, MockError, MockServer, Payment};

#[tokio::test]
async fn starts_on_a_chosen_port_with_given_credentials() {
    // Find a free port, release it, and ask for it.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let creds = Credentials {
        app_id: "wx1234567890abcdef".into(),
        app_secret: "secret-0123456789".into(),
        offer_id: "1450000000".into(),
        app_key: "prod-app-key".into(),
        sandbox_app_key: "sandbox-app-key".into(),
        callback_token: "callback-token".into(),
        encoding_aes_key: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C".into(),
    };
    let server = MockServer::start(
        MockConfig::default()
            .with_port(port)
            .with_credentials(creds.clone()),
    )
    .await
    .expect("start");
    assert_eq!(server.port(), port);
    assert_eq!(server.base_url(), format!("http://127.0.0.1:{port}"));
    assert_eq!(server.credentials(), &creds);
    let lines = server.env_lines();
    assert_eq!(
        lines,
        [
            "XPAY_APP_ID=wx1234567890abcdef",
            "XPAY_APP_SECRET=secret-0123456789",
            "XPAY_OFFER_ID=1450000000",
            "XPAY_APP_KEY=prod-app-key",
            "XPAY_SANDBOX_APP_KEY=sandbox-app-key",
            "XPAY_CALLBACK_TOKEN=callback-token",
            "XPAY_ENCODING_AES_KEY=jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
            &format!("XPAY_BASE_URL=http://127.0.0.1:{port}"),
        ]
    );
    let debug = format!("{server:?}");
    assert!(
        !debug.contains("secret-0123456789") && !debug.contains("prod-app-key"),
        "{debug}"
    );

    // The port is taken while it runs, and free after shutdown.
    let e = MockServer::start(MockConfig::default().with_port(port))
        .await
        .expect_err("taken");
    assert!(matches!(e, MockError::Bind { .. }), "{e}");
    server
        .client()
        .send(present("o_user", "gift_1", 1))
        .await
        .expect("serves");
    server.shutdown().await;
    let again = MockServer::start(MockConfig::default().with_port(port))
        .await
        .expect("port free again");
    assert_ne!(again.credentials(), &creds, "random credentials by default");
}

#[tokio::test]
async fn bad_credentials_are_refused() {
    let mut creds = Credentials::random();
    creds.encoding_aes_key = "too-short".into();
    let e = MockServer::start(MockConfig::default().with_credentials(creds))
        .await
        .expect_err("bad key");
    assert!(matches!(e, MockError::Config(_)), "{e}");
}

#[tokio::test]
async fn control_endpoints() {
    let server = start().await;
    let v = post_json(&server, "/mock/login", &json!({"js_code": "zoe"})).await;
    assert_eq!(v["errcode"], 0);
    let openid = v["openid"].as_str().expect("openid").to_string();
    assert_eq!(openid, server.openid_for("zoe"));
    assert_eq!(
        server.session_key(&openid).as_deref(),
        v["session_key"].as_str()
    );
    assert_eq!(
        post_json(&server, "/mock/login", &json!({"js_code": ""})).await["errcode"],
        268490002
    );

    let v = post_json(
        &server,
        "/mock/pay",
        &json!({"openid": openid, "out_trade_no": "coin_http_001", "mode": "coin", "quantity": 30, "price": 10, "attach": "x", "env": 1}),
    )
    .await;
    assert_eq!(v["errcode"], 0, "{v}");
    assert_eq!(v["order"]["status"], 2);
    assert_eq!(v["order"]["left_fee"], 300);
    assert!(v["delivery"].is_null(), "no push target");
    let again = post_json(
        &server,
        "/mock/pay",
        &json!({"openid": openid, "out_trade_no": "coin_http_001", "mode": "coin", "quantity": 30, "env": 1}),
    )
    .await;
    assert_eq!(again["errcode"], 268490004, "{again}");
    let bad = post_json(
        &server,
        "/mock/pay",
        &json!({"openid": openid, "out_trade_no": "x", "mode": "cash", "quantity": 1}),
    )
    .await;
    assert_eq!(bad["errcode"], 268490002, "{bad}");

    let b = get_json(&server, &format!("/mock/balance?openid={openid}&env=1")).await;
    assert_eq!(
        (b["balance"].as_i64(), b["saved"].as_i64()),
        (Some(30), Some(30)),
        "{b}"
    );
    assert_eq!(server.balance(&openid, Env::Sandbox).balance, 30);
    let b = get_json(&server, &format!("/mock/balance?openid={openid}")).await;
    assert_eq!(b["balance"], 0);
    assert_eq!(
        get_json(&server, "/mock/balance?openid=x&env=9").await["errcode"],
        268490002
    );

    let o = get_json(&server, "/mock/order?order_id=coin_http_001&env=1").await;
    assert_eq!(o["order"]["quantity"], 30);
    assert_eq!(
        get_json(&server, "/mock/order?order_id=coin_http_001").await["errcode"],
        268490002
    );

    let v = post_json(&server, "/mock/push_target", &json!({"url": "ftp://x"})).await;
    assert_eq!(v["errcode"], 268490002);
    let v = post_json(
        &server,
        "/mock/push_target",
        &json!({"url": "http://127.0.0.1:9/cb", "format": "xml"}),
    )
    .await;
    assert_eq!(v["errcode"], 0);
    let v = post_json(&server, "/mock/push_target", &json!({"url": null})).await;
    assert_eq!(v["errcode"], 0);
    let v = get_json(&server, "/mock/pushes").await;
    assert_eq!(v["pushes"], json!([]));

    // Library and HTTP see the same ledger.
    let out = server
        .pay(Payment::coin(&openid, "coin_lib_0001", 5))
        .await
        .expect("pay");
    assert!(out.delivery.is_none());
    assert_eq!(server.balance(&openid, Env::Production).balance, 5);
}
