//! Every kind of tampering is caught: raw requests signed by hand, then altered.

mod common;

use common::{Raw, errcode, post_json, raw_token, start};
use serde_json::{Value, json};
use xpay_mock::errcodes;

fn balance_body(openid: &str, env: u8) -> Value {
    json!({"openid": openid, "env": env, "user_ip": "127.0.0.1"})
}

#[tokio::test]
async fn correctly_signed_requests_pass_and_every_tampering_fails() {
    let server = start().await;
    let c = server.credentials().clone();
    let token = raw_token(&server).await;
    let (openid, sk) = server.login("alice");

    // Control: correct in both envs.
    for env in [0u8, 1] {
        let key = if env == 0 {
            &c.app_key
        } else {
            &c.sandbox_app_key
        };
        let (status, v) = Raw::new(
            "query_user_balance",
            &token,
            &balance_body(&openid, env),
            key,
        )
        .with_session_key(&sk)
        .send(&server)
        .await;
        assert_eq!((status, errcode(&v)), (200, 0), "env {env}: {v}");
        assert_eq!(v["balance"], 0);
    }

    // The body changed after signing.
    let mut raw = Raw::new(
        "query_user_balance",
        &token,
        &balance_body(&openid, 0),
        &c.app_key,
    )
    .with_session_key(&sk);
    raw.sent_body = serde_json::to_vec(&json!({"openid": openid, "env": 0, "user_ip": "10.0.0.1"}))
        .expect("body");
    let (_, v) = raw.send(&server).await;
    assert_eq!(errcode(&v), errcodes::SIGNATURE_ERROR, "{v}");
    assert!(
        v["errmsg"].as_str().is_some_and(|m| m.contains("pay_sig")),
        "{v}"
    );

    // Same JSON, different bytes (a space): still tampering, signatures are over bytes.
    let mut raw = Raw::new(
        "query_user_balance",
        &token,
        &balance_body(&openid, 0),
        &c.app_key,
    )
    .with_session_key(&sk);
    raw.sent_body =
        format!(r#"{{"openid": "{openid}","env":0,"user_ip":"127.0.0.1"}}"#).into_bytes();
    assert_eq!(
        errcode(&raw.send(&server).await.1),
        errcodes::SIGNATURE_ERROR
    );

    // A wrong AppKey.
    let (_, v) = Raw::new(
        "query_user_balance",
        &token,
        &balance_body(&openid, 0),
        "not-the-app-key",
    )
    .with_session_key(&sk)
    .send(&server)
    .await;
    assert_eq!(errcode(&v), errcodes::SIGNATURE_ERROR, "{v}");

    // A sandbox body signed with the production key, and the other way round.
    let (_, v) = Raw::new(
        "query_user_balance",
        &token,
        &balance_body(&openid, 1),
        &c.app_key,
    )
    .with_session_key(&sk)
    .send(&server)
    .await;
    assert_eq!(errcode(&v), errcodes::SIGNATURE_ERROR, "{v}");
    let (_, v) = Raw::new(
        "query_user_balance",
        &token,
        &balance_body(&openid, 0),
        &c.sandbox_app_key,
    )
    .with_session_key(&sk)
    .send(&server)
    .await;
    assert_eq!(errcode(&v), errcodes::SIGNATURE_ERROR, "{v}");

    // A wrong session key.
    let (_, v) = Raw::new(
        "query_user_balance",
        &token,
        &balance_body(&openid, 0),
        &c.app_key,
    )
    .with_session_key("AAAAAAAAAAAAAAAAAAAAAA==")
    .send(&server)
    .await;
    assert_eq!(errcode(&v), errcodes::SIGNATURE_ERROR, "{v}");
    assert!(
        v["errmsg"]
            .as_str()
            .is_some_and(|m| m.contains("signature")),
        "{v}"
    );

    // A stale session key after a re-login; the new one works.
    let (openid2, new_sk) = server.login("alice");
    assert_eq!(openid2, openid, "the same code logs the same user in");
    let (_, v) = Raw::new(
        "query_user_balance",
        &token,
        &balance_body(&openid, 0),
        &c.app_key,
    )
    .with_session_key(&sk)
    .send(&server)
    .await;
    // A stale key is answered as WeChat answers it (reference §6a): session_key expired.
    assert_eq!(errcode(&v), errcodes::SESSION_KEY_MISSING, "stale key: {v}");
    let (_, v) = Raw::new(
        "query_user_balance",
        &token,
        &balance_body(&openid, 0),
        &c.app_key,
    )
    .with_session_key(&new_sk)
    .send(&server)
    .await;
    assert_eq!(errcode(&v), 0, "{v}");

    // The user signature missing on a pay+user action.
    let (_, v) = Raw::new(
        "query_user_balance",
        &token,
        &balance_body(&openid, 0),
        &c.app_key,
    )
    .send(&server)
    .await;
    assert_eq!(errcode(&v), errcodes::SIGNATURE_ERROR, "{v}");
    assert!(
        v["errmsg"]
            .as_str()
            .is_some_and(|m| m.contains("signature missing")),
        "{v}"
    );

    // pay_sig missing.
    let mut raw = Raw::new(
        "query_user_balance",
        &token,
        &balance_body(&openid, 0),
        &c.app_key,
    )
    .with_session_key(&new_sk);
    raw.app_key = None;
    assert_eq!(
        errcode(&raw.send(&server).await.1),
        errcodes::SIGNATURE_ERROR
    );

    // An openid that never logged in.
    let stranger = server.openid_for("never-logged-in");
    let (_, v) = Raw::new(
        "query_user_balance",
        &token,
        &balance_body(&stranger, 0),
        &c.app_key,
    )
    .with_session_key(&new_sk)
    .send(&server)
    .await;
    assert_eq!(errcode(&v), errcodes::SESSION_KEY_MISSING, "{v}");

    // Bad, missing and expired tokens.
    let (_, v) = Raw::new(
        "query_user_balance",
        "not-a-token",
        &balance_body(&openid, 0),
        &c.app_key,
    )
    .with_session_key(&new_sk)
    .send(&server)
    .await;
    assert_eq!(errcode(&v), errcodes::TOKEN_INVALID, "{v}");
    let mut raw = Raw::new(
        "query_user_balance",
        &token,
        &balance_body(&openid, 0),
        &c.app_key,
    )
    .with_session_key(&new_sk);
    raw.token = None;
    assert_eq!(errcode(&raw.send(&server).await.1), errcodes::TOKEN_MISSING);
    server.expire_token();
    let (_, v) = Raw::new(
        "query_user_balance",
        &token,
        &balance_body(&openid, 0),
        &c.app_key,
    )
    .with_session_key(&new_sk)
    .send(&server)
    .await;
    assert_eq!(errcode(&v), errcodes::TOKEN_EXPIRED, "{v}");
}

#[tokio::test]
async fn actions_without_env_are_signed_with_the_production_key() {
    let server = start().await;
    let c = server.credentials().clone();
    let token = raw_token(&server).await;
    let body = json!({"begin_ds": 20240101, "end_ds": 20240131});
    let (_, v) = Raw::new("download_bill", &token, &body, &c.app_key)
        .send(&server)
        .await;
    assert_eq!(errcode(&v), 0, "{v}");
    let (_, v) = Raw::new("download_bill", &token, &body, &c.sandbox_app_key)
        .send(&server)
        .await;
    assert_eq!(errcode(&v), errcodes::SIGNATURE_ERROR, "{v}");
}

#[tokio::test]
async fn field_errors_name_the_field() {
    let server = start().await;
    let c = server.credentials().clone();
    let token = raw_token(&server).await;
    let cases = [
        (
            "present_currency",
            json!({"openid": "o1", "env": 0, "order_id": "g1"}),
            "amount",
        ),
        (
            "present_currency",
            json!({"openid": "o1", "env": 0, "order_id": "g1", "amount": "10"}),
            "amount",
        ),
        (
            "present_currency",
            json!({"openid": "o1", "env": 0, "order_id": "g1", "amount": 10, "extra": 1}),
            "extra",
        ),
        (
            "present_currency",
            json!({"openid": "o1", "env": 0, "order_id": "g1", "amount": 0}),
            "amount",
        ),
        (
            "present_currency",
            json!({"openid": "o1", "env": 0, "order_id": "g1", "amount": 5, "access_token": "x"}),
            "access_token",
        ),
        (
            "present_currency",
            json!({"openid": "o1", "env": 7, "order_id": "g1", "amount": 5}),
            "env",
        ),
        ("query_order", json!({"openid": "o1", "env": 0}), "order_id"),
        (
            "query_order",
            json!({"openid": "o1", "env": 0, "order_id": "a", "wx_order_id": "b"}),
            "wx_order_id",
        ),
        (
            "query_order",
            json!({"openid": "o1", "env": 0, "order_id": "no_such_order"}),
            "order_id",
        ),
        (
            "refund_order",
            json!({"openid": "o1", "env": 0, "order_id": "abc", "refund_order_id": "short", "left_fee": 1, "refund_fee": 1, "refund_reason": "1", "req_from": "1"}),
            "refund_order_id",
        ),
        (
            "start_upload_goods",
            json!({"env": 0, "upload_item": [{"id": "a b", "name": "n", "price": 1, "remark": "r", "item_url": "u"}]}),
            "upload_item[0].id",
        ),
        (
            "currency_pay",
            json!({"openid": "o1", "env": 0, "user_ip": "1", "amount": 1, "order_id": "p", "payitem": "not json", "remark": ""}),
            "payitem",
        ),
    ];
    for (action, body, field) in cases {
        let key = if body["env"] == 1 {
            &c.sandbox_app_key
        } else {
            &c.app_key
        };
        let mut raw = Raw::new(action, &token, &body, key);
        if action == "currency_pay" {
            raw = raw.with_session_key("any");
        }
        let (status, v) = raw.send(&server).await;
        assert_eq!(status, 200);
        assert_eq!(errcode(&v), errcodes::INVALID_FIELD, "{action} {body}: {v}");
        let msg = v["errmsg"].as_str().unwrap_or_default();
        assert!(msg.contains(&format!("`{field}`")), "{action}: {msg}");
    }

    // Not JSON at all, and not an object.
    for bad in [&b"{not json"[..], b"[1,2]", b""] {
        let mut raw = Raw::new("query_biz_balance", &token, &json!({}), &c.app_key);
        raw.signed_body = bad.to_vec();
        raw.sent_body = bad.to_vec();
        let (_, v) = raw.send(&server).await;
        assert_eq!(errcode(&v), errcodes::INVALID_FIELD, "{v}");
    }
}

#[tokio::test]
async fn unknown_actions_and_paths_and_oversized_bodies() {
    let server = start().await;
    let c = server.credentials().clone();
    let token = raw_token(&server).await;
    let (status, v) = Raw::new("no_such_action", &token, &json!({}), &c.app_key)
        .send(&server)
        .await;
    assert_eq!((status, errcode(&v)), (200, errcodes::INVALID_URL), "{v}");
    // Aliases are names for clients, not paths.
    let (_, v) = Raw::new("currency_present", &token, &json!({}), &c.app_key)
        .send(&server)
        .await;
    assert_eq!(errcode(&v), errcodes::INVALID_URL, "{v}");

    let resp = common::http()
        .get(format!("{}/nowhere", server.base_url()))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 404);

    let mut raw = Raw::new("query_biz_balance", &token, &json!({}), &c.app_key);
    raw.sent_body = vec![b' '; xpay_mock::DEFAULT_MAX_BODY_BYTES + 1];
    let (status, _) = raw.send(&server).await;
    assert_eq!(status, 413);
    // The server is still fine.
    let (_, v) = Raw::new("query_biz_balance", &token, &json!({"env": 0}), &c.app_key)
        .send(&server)
        .await;
    assert_eq!(errcode(&v), 0, "{v}");
}

#[tokio::test]
async fn token_and_login_endpoints_check_the_app() {
    let server = start().await;
    let c = server.credentials().clone();
    let v = post_json(
        &server,
        "/cgi-bin/stable_token",
        &json!({"grant_type": "client_credential", "appid": "wx_other", "secret": c.app_secret}),
    )
    .await;
    assert_eq!(errcode(&v), errcodes::INVALID_APPID, "{v}");
    let v = post_json(
        &server,
        "/cgi-bin/stable_token",
        &json!({"grant_type": "client_credential", "appid": c.app_id, "secret": "wrong"}),
    )
    .await;
    assert_eq!(errcode(&v), errcodes::INVALID_APPSECRET, "{v}");
    let v = post_json(
        &server,
        "/cgi-bin/stable_token",
        &json!({"grant_type": "x", "appid": c.app_id, "secret": c.app_secret}),
    )
    .await;
    assert_eq!(errcode(&v), errcodes::INVALID_GRANT_TYPE, "{v}");
    let v = post_json(&server, "/cgi-bin/stable_token", &json!([1])).await;
    assert_eq!(errcode(&v), errcodes::DATA_FORMAT_ERROR, "{v}");

    let t1 = raw_token(&server).await;
    assert_eq!(raw_token(&server).await, t1, "stable tokens are reused");
    let v = post_json(
        &server,
        "/cgi-bin/stable_token",
        &json!({"grant_type": "client_credential", "appid": c.app_id, "secret": c.app_secret}),
    )
    .await;
    assert_eq!(v["access_token"], t1.as_str());
    assert!(
        v["expires_in"]
            .as_u64()
            .is_some_and(|e| e > 7000 && e <= 7200),
        "{v}"
    );

    let q = |appid: &str, secret: &str| {
        format!("/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={secret}")
    };
    let v = common::get_json(&server, &q(&c.app_id, &c.app_secret)).await;
    assert_eq!(v["expires_in"], 7200);
    let classic = v["access_token"].as_str().unwrap_or_default().to_string();
    assert_ne!(classic, t1);
    assert_eq!(
        errcode(&common::get_json(&server, &q("wx_bad", &c.app_secret)).await),
        errcodes::INVALID_APPID
    );
    assert_eq!(
        errcode(&common::get_json(&server, &q(&c.app_id, "bad")).await),
        errcodes::INVALID_APPSECRET
    );

    let login_url = |code: &str, secret: &str| {
        format!(
            "/sns/jscode2session?appid={}&secret={secret}&js_code={code}&grant_type=authorization_code",
            c.app_id
        )
    };
    let v1 = common::get_json(&server, &login_url("code1", &c.app_secret)).await;
    let v2 = common::get_json(&server, &login_url("code1", &c.app_secret)).await;
    assert_eq!(v1["openid"], v2["openid"]);
    assert_ne!(v1["session_key"], v2["session_key"]);
    let sk = v2["session_key"].as_str().unwrap_or_default();
    assert_eq!(sk.len(), 24, "base64 of 16 bytes");
    assert_eq!(
        server
            .session_key(v1["openid"].as_str().unwrap_or_default())
            .as_deref(),
        Some(sk)
    );
    assert_eq!(
        errcode(&common::get_json(&server, &login_url("code1", "bad")).await),
        errcodes::INVALID_APPSECRET
    );
    assert_eq!(
        errcode(&common::get_json(&server, &login_url("", &c.app_secret)).await),
        errcodes::INVALID_CODE
    );

    // The real client logs in through the same endpoint.
    let client = server.client();
    let l = client.code2session("code1").await.expect("code2session");
    assert_eq!(l.openid, v1["openid"].as_str().unwrap_or_default());
    let (openid, _) = common::login(&server, "code1");
    assert_eq!(openid, l.openid);
}
