//! A walk through the shop against xpay-mock, the fake WeChat, all in this process:
//! log in → create an order → check its signatures independently → the mock pays it →
//! the delivery push reaches the shop → the order is delivered → a duplicate push changes
//! nothing → a refund → the refund push → the order is refunded.
//!
//! The shop is configured exactly as `main` configures it: from the `XPAY_*` lines the mock
//! prints.

use std::collections::HashMap;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use xpay::Env;
use xpay::api::RefundReason;
use xpay::callback::{SealParams, sign_url_verification};
use xpay_example_shop::{Config, OrderStatus, Shop, ShopError, app};
use xpay_mock::{MockConfig, MockServer, Payment, PushTarget};

/// The mock, the shop (kept to look inside its store) and the shop's base URL.
struct World {
    mock: MockServer,
    shop: Shop,
    url: String,
    http: reqwest::Client,
}

/// Starts the shop on a free port, configured from the mock's env lines, then points the
/// mock's pushes at the shop's `/wechat/push`.
async fn world() -> World {
    let mock = MockServer::start(MockConfig::default())
        .await
        .expect("mock starts");
    let vars: HashMap<String, String> = mock
        .env_lines()
        .iter()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let config = Config::from_lookup(|name| vars.get(name).cloned()).expect("config loads");
    let shop = Shop::from_config(config);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let router = app(shop.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });

    mock.set_push_target(Some(PushTarget::json(format!("{url}/wechat/push"))));
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("http client");
    World {
        mock,
        shop,
        url,
        http,
    }
}

impl World {
    async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("request")
    }

    /// `POST /login` with a `wx.login` code: the openid.
    async fn login(&self, code: &str) -> String {
        let resp = self.post("/login", json!({ "code": code })).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let body: Value = resp.json().await.expect("json");
        body["openid"].as_str().expect("openid").to_string()
    }

    /// `POST /orders`: (outTradeNo from `Location`, the payment parameters).
    async fn order(&self, openid: &str, product_id: &str) -> (String, Value) {
        let resp = self
            .post(
                "/orders",
                json!({ "openid": openid, "product_id": product_id }),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("Location header")
            .to_string();
        let out_trade_no = location
            .strip_prefix("/orders/")
            .expect("Location is /orders/…")
            .to_string();
        (out_trade_no, resp.json().await.expect("json"))
    }

    async fn status(&self, out_trade_no: &str) -> String {
        let resp = self.get(&format!("/orders/{out_trade_no}")).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let order: Value = resp.json().await.expect("json");
        order["status"].as_str().expect("status").to_string()
    }

    /// Polls `GET /orders/{id}` until the status is `want` (refund pushes come in the
    /// background).
    async fn wait_for(&self, out_trade_no: &str, want: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let status = self.status(out_trade_no).await;
            if status == want {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "order {out_trade_no} still {status}, not {want}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// `hex(HMAC-SHA256(key, message))`, computed here without xpay-rs.
fn hmac_hex(key: &str, message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn buy_an_item_get_it_delivered_once_and_refund_it() {
    let w = world().await;
    let creds = w.mock.credentials().clone();

    // 1. Log in. The mini program sends its wx.login code; the shop calls code2session
    //    (against the mock) and keeps the session key. The mock gives every code a fixed
    //    openid.
    let openid = w.login("code-of-alice").await;
    assert_eq!(openid, w.mock.openid_for("code-of-alice"));

    // 2. Create an order for the sword. The answer is exactly wx.requestVirtualPayment's
    //    parameters.
    let (out_trade_no, params) = w.order(&openid, "sword_01").await;
    let mut keys: Vec<&str> = params
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["mode", "paySig", "signData", "signature"]);
    assert_eq!(params["mode"], "short_series_goods");

    // signData is a JSON *string*, passed on unchanged; what is in it:
    let sign_data = params["signData"].as_str().expect("signData is a string");
    let data: Value = serde_json::from_str(sign_data).expect("signData is JSON");
    assert_eq!(data["offerId"], creds.offer_id.as_str());
    assert_eq!(data["productId"], "sword_01");
    assert_eq!(data["goodsPrice"], 600);
    assert_eq!(data["buyQuantity"], 1);
    assert_eq!(data["env"], 0);
    assert_eq!(data["currencyType"], "CNY");
    assert_eq!(data["outTradeNo"], out_trade_no.as_str());
    assert!((8..=32).contains(&out_trade_no.len()));

    // paySig: HMAC-SHA256 with the AppKey over "requestVirtualPayment&" + signData.
    assert_eq!(
        params["paySig"],
        hmac_hex(
            &creds.app_key,
            &format!("requestVirtualPayment&{sign_data}")
        )
    );
    // signature: HMAC-SHA256 with the user's session key over signData. The mock knows
    // the key it issued; the client never saw it.
    let session_key = w.mock.session_key(&openid).expect("alice logged in");
    assert_eq!(params["signature"], hmac_hex(&session_key, sign_data));

    assert_eq!(w.status(&out_trade_no).await, "pending");

    // 3. The user pays. The mock plays WeChat: it records the payment and pushes
    //    xpay_goods_deliver_notify (encrypted, signed) to the shop's /wechat/push, and
    //    waits until the push is acknowledged.
    let paid = w
        .mock
        .pay(Payment::goods(&openid, &out_trade_no, "sword_01", 600, 1))
        .await
        .expect("the mock takes the payment");
    let delivery = paid.delivery.expect("a push target is set");
    assert!(delivery.delivered, "{delivery:?}");
    assert_eq!(delivery.attempts, 1, "acknowledged at once");
    assert_eq!(delivery.event, "xpay_goods_deliver_notify");
    assert_eq!(paid.order.status, 4, "WeChat's order is delivered (4)");

    // 4. The order is delivered and the sword granted.
    assert_eq!(w.status(&out_trade_no).await, "delivered");
    let expected_inventory = [("sword_01".to_string(), 1)].into_iter().collect();
    assert_eq!(w.shop.inventory(&openid), expected_inventory);
    let order = w.shop.order(&out_trade_no).expect("order");
    assert!(order.transaction_id.is_some_and(|t| !t.is_empty()));

    // 5. WeChat delivers the same push again (a retry after a lost acknowledgement). The
    //    shop recognises its dedup key (OutTradeNo), changes nothing, and still answers
    //    success so that WeChat stops.
    let again = w
        .mock
        .push_event(&delivery.event, delivery.message.clone())
        .await
        .expect("pushed");
    assert!(again.delivered, "a duplicate is acknowledged: {again:?}");
    assert_eq!(
        w.shop.inventory(&openid),
        expected_inventory,
        "not granted twice"
    );
    assert_eq!(w.status(&out_trade_no).await, "delivered");

    // 6. Customer service refunds it. The shop asks WeChat for left_fee (query_order) and
    //    calls refund_order; WeChat then pushes xpay_refund_notify.
    let refunding = w
        .shop
        .refund(&out_trade_no, RefundReason::UserChoice)
        .await
        .expect("refund starts");
    assert!(
        matches!(
            refunding.status,
            OrderStatus::Refunding | OrderStatus::Refunded
        ),
        "{refunding:?}"
    );
    w.wait_for(&out_trade_no, "refunded").await;
    let order = w.shop.order(&out_trade_no).expect("order");
    assert_eq!(order.refund_fee, Some(600));
    assert_eq!(
        order.refund_id.as_deref(),
        Some(format!("rf{out_trade_no}").as_str())
    );
    let wechat_order = w
        .mock
        .order(Env::Production, &out_trade_no)
        .expect("the mock has it");
    assert_eq!((wechat_order.status, wechat_order.left_fee), (5, 0));

    // 7. The refund push, delivered twice, is applied once (dedup key: MchRefundId).
    let refund_push = w
        .mock
        .pushes()
        .into_iter()
        .find(|d| d.event == "xpay_refund_notify")
        .expect("the refund push was sent");
    assert!(refund_push.delivered);
    let again = w
        .mock
        .push_event(&refund_push.event, refund_push.message.clone())
        .await
        .expect("pushed");
    assert!(again.delivered);
    assert_eq!(w.status(&out_trade_no).await, "refunded");

    // 8. A second refund is refused by the shop before it reaches WeChat.
    let second = w.shop.refund(&out_trade_no, RefundReason::UserChoice).await;
    assert!(matches!(second, Err(ShopError::Conflict(_))), "{second:?}");
}

#[tokio::test]
async fn a_token_pack_is_credited_by_wechat() {
    let w = world().await;
    let openid = w.login("code-of-bob").await;
    let (out_trade_no, params) = w.order(&openid, "coins_60").await;
    assert_eq!(params["mode"], "short_series_coin");
    let data: Value =
        serde_json::from_str(params["signData"].as_str().expect("string")).expect("JSON");
    assert_eq!(data["buyQuantity"], 60);
    assert!(data.get("productId").is_none() && data.get("goodsPrice").is_none());

    let paid = w
        .mock
        .pay(Payment::coin(&openid, &out_trade_no, 60))
        .await
        .expect("paid");
    assert!(paid.delivery.is_some_and(|d| d.delivered));
    assert_eq!(w.status(&out_trade_no).await, "delivered");
    // WeChat keeps the token balance; the shop grants nothing itself.
    assert_eq!(w.mock.balance(&openid, Env::Production).saved, 60);
    assert!(w.shop.inventory(&openid).is_empty());
}

#[tokio::test]
async fn orders_are_signed_with_the_latest_session_key() {
    let w = world().await;
    let openid = w.login("code-of-carol").await;
    let first_key = w.mock.session_key(&openid).expect("key");
    // Logging in again issues a new session key and retires the old one.
    assert_eq!(w.login("code-of-carol").await, openid);
    let latest_key = w.mock.session_key(&openid).expect("key");
    assert_ne!(first_key, latest_key);

    let (_, params) = w.order(&openid, "sword_01").await;
    let sign_data = params["signData"].as_str().expect("string");
    assert_eq!(params["signature"], hmac_hex(&latest_key, sign_data));
}

#[tokio::test]
async fn a_push_the_shop_cannot_apply_is_not_acknowledged() {
    let w = world().await;
    let openid = w.login("code-of-dave").await;
    // WeChat reports a payment for an order this shop never created (another system's, or
    // lost data). The shop answers HTTP 500, so WeChat keeps retrying instead of the
    // delivery being silently dropped; the mock's quick schedule tries 4 times.
    let paid = w
        .mock
        .pay(Payment::goods(
            &openid,
            "not_our_order_01",
            "sword_01",
            600,
            1,
        ))
        .await
        .expect("paid");
    let delivery = paid.delivery.expect("pushed");
    assert!(!delivery.delivered, "{delivery:?}");
    assert_eq!(delivery.attempts, 4);
    assert_eq!(delivery.last_status, Some(500));
    assert_eq!(
        paid.order.status, 2,
        "WeChat's order stays paid, not delivered"
    );
}

#[tokio::test]
async fn a_delivery_push_the_shop_cannot_trust_is_never_acknowledged() {
    let w = world().await;
    let openid = w.login("code-of-erin").await;
    // Goods deliveries for real orders, but with a Quantity that is not a number (as if
    // WeChat changed the field's type: it arrives as `Event::Malformed`), or that is not what
    // the order bought. Either may be a paid order, so it is not acknowledged; WeChat keeps
    // retrying, and nothing is delivered by guesswork.
    for quantity in [json!("one"), json!(5)] {
        let (out_trade_no, _) = w.order(&openid, "sword_01").await;
        let delivery = w
            .mock
            .push_event(
                "xpay_goods_deliver_notify",
                json!({"OpenId": openid, "OutTradeNo": out_trade_no, "Env": 0,
                       "GoodsInfo": {"ProductId": "sword_01", "Quantity": quantity,
                                     "OrigPrice": 600, "ActualPrice": 600}}),
            )
            .await
            .expect("pushed");
        assert!(!delivery.delivered, "{quantity}: {delivery:?}");
        assert_eq!(delivery.last_status, Some(500), "{quantity}");
        assert_eq!(w.status(&out_trade_no).await, "pending", "{quantity}");
    }
    assert!(w.shop.inventory(&openid).is_empty());
}

#[tokio::test]
async fn bad_requests_and_forged_pushes_are_refused() {
    let w = world().await;

    // Orders need a login first, and a product from the catalog.
    let resp = w
        .post(
            "/orders",
            json!({ "openid": "o-never-logged-in", "product_id": "sword_01" }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let openid = w.login("code-of-erin").await;
    let resp = w
        .post(
            "/orders",
            json!({ "openid": openid, "product_id": "dragon_01" }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"], "no product \"dragon_01\"");

    assert_eq!(
        w.get("/orders/no_such_order_1").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        w.post("/login", json!({ "code": "" })).await.status(),
        StatusCode::BAD_REQUEST
    );

    // A push without a valid signature never reaches the shop's handler.
    let forged = w
        .http
        .post(format!(
            "{}/wechat/push?signature=00&timestamp=1&nonce=1",
            w.url
        ))
        .body(r#"{"Event":"xpay_goods_deliver_notify","OutTradeNo":"x"}"#)
        .send()
        .await
        .expect("request");
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);

    // Saving the push URL in the MP console sends a signed GET with an echostr; the shop
    // answers it back.
    let token =
        xpay::CallbackToken::new(w.mock.credentials().callback_token.clone()).expect("token");
    let query = sign_url_verification(&token, "echo-1234", &SealParams::fresh());
    let resp = w
        .get(&format!("/wechat/push?{}", query.to_query_string()))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.text().await.expect("text"), "echo-1234");
}
