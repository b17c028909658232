//! # xpay-example-shop
//!
//! A small shop backend for a WeChat mini program or mini game that sells through virtual
//! payment (小程序虚拟支付), built on xpay-rs and axum. It is documentation that runs: copy it,
//! then replace the in-memory [`Store`] with your database.
//!
//! The flow:
//!
//! ```text
//! mini program                      this shop                          WeChat
//! ────────────                      ─────────                          ──────
//! wx.login() → code ──POST /login──▶ code2session(code) ─────────────▶ /sns/jscode2session
//!              ◀── {openid} ──────── keeps the session key (server-side only)
//! ──POST /orders {openid, product_id}▶ price from the catalog, new outTradeNo,
//!              ◀── {mode, signData, ─ order stored as pending, signed with the
//!                  paySig, signature}  AppKey and the user's latest session key
//! wx.requestVirtualPayment(params) ─────────────────────────────────▶ user pays
//!                                   POST /wechat/push ◀──────────────── delivery push
//!                                   verified, decrypted, deduplicated,  (retried until
//!                                   item granted, answered success ───▶  acknowledged)
//! ──GET /orders/{outTradeNo}────────▶ {status: "delivered", …}
//! ```
//!
//! | endpoint | what |
//! |---|---|
//! | `POST /login` `{code}` | `code2session`; answers `{openid}` |
//! | `POST /orders` `{openid, product_id}` | 201 with the `wx.requestVirtualPayment` parameters; `Location: /orders/{outTradeNo}` |
//! | `GET /orders/{out_trade_no}` | the [`Order`] |
//! | `GET /wechat/push` | WeChat's URL verification (echostr) |
//! | `POST /wechat/push` | WeChat's message pushes: deliveries, token purchases, refunds |
//!
//! Refunds are started by [`Shop::refund`] (call it from your customer-service tool; it is not
//! an HTTP endpoint here because it needs your admin authentication).
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod catalog;
pub mod config;
pub mod error;
pub mod store;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::Rng as _;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};
use xpay::Client;
use xpay::api::{Event, OrderRef, QueryOrderRequest, RefundOrderRequest, RefundReason, ReqFrom};
use xpay::callback::axum::PushRouter;
use xpay::callback::dedup::{Dedup, MemoryDedupStore};
use xpay::callback::{Decoder, Push, Reply};

pub use catalog::{Catalog, Product, ProductKind};
pub use config::{Config, ConfigError};
pub use error::ShopError;
pub use store::{Applied, Order, OrderStatus, PushError, Store};

/// The shop's shared state: the xpay [`Client`], the push [`Decoder`], the [`Catalog`] and
/// the [`Store`]. Cheap to clone (one `Arc`); every clone sees the same store.
///
/// The store is a `Mutex<Store>` in memory, so orders and logins vanish on restart and are not
/// shared between instances. **A real app uses a database** instead: orders keyed by
/// `out_trade_no`, session keys in a table or Redis, and a table of handled pushes with a
/// unique key on `(event, dedup_key)`, written in the same transaction as the delivery — see
/// [`store`] for the mapping.
#[derive(Clone)]
pub struct Shop {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    decoder: Decoder,
    dedup: Dedup,
    catalog: Catalog,
    store: Mutex<Store>,
}

impl std::fmt::Debug for Shop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shop")
            .field("client", &self.inner.client)
            .field("catalog", &self.inner.catalog)
            .finish_non_exhaustive()
    }
}

impl Shop {
    /// A shop with the demo catalog ([`Catalog::default`]) and an empty store.
    pub fn new(client: Client, decoder: Decoder) -> Shop {
        Shop::with_catalog(client, decoder, Catalog::default())
    }

    /// A shop selling `catalog`, handling each push once in this process
    /// ([`MemoryDedupStore`]).
    pub fn with_catalog(client: Client, decoder: Decoder, catalog: Catalog) -> Shop {
        Shop::assemble(
            client,
            decoder,
            Dedup::new(MemoryDedupStore::new()),
            catalog,
        )
    }

    fn assemble(client: Client, decoder: Decoder, dedup: Dedup, catalog: Catalog) -> Shop {
        Shop {
            inner: Arc::new(Inner {
                client,
                decoder,
                dedup,
                catalog,
                store: Mutex::new(Store::default()),
            }),
        }
    }

    /// A shop built from a loaded [`Config`]: with `XPAY_REDIS_URL`, every instance shares
    /// one push dedup store and one record of seen push queries in Redis.
    pub fn from_config(config: Config) -> Shop {
        Shop::assemble(
            config.client,
            config.decoder,
            config.dedup,
            Catalog::default(),
        )
    }

    /// The xpay client.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// What the shop sells.
    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    /// An order by its `out_trade_no`.
    pub fn order(&self, out_trade_no: &str) -> Option<Order> {
        self.store().orders.get(out_trade_no).cloned()
    }

    /// What a user owns: product id → count.
    pub fn inventory(&self, openid: &str) -> BTreeMap<String, i64> {
        self.store().inventory(openid)
    }

    /// The store, locked. Never held across an `.await`. A panic while it was held cannot
    /// leave it half-written (every change is made after its checks), so a poisoned lock is
    /// simply taken over.
    fn store(&self) -> MutexGuard<'_, Store> {
        self.inner
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies one verified push. Called by the `/wechat/push` router for every push that
    /// passed signature checks and decryption; an `Err` answers HTTP 500 so WeChat retries.
    ///
    /// Every push that moves money carries a dedup key (`push.event.dedup_key()`:
    /// `OutTradeNo` for payments, `MchRefundId` for refunds). WeChat delivers a push until it
    /// is acknowledged — up to 15 retries over about a day — and may deliver it again even
    /// after an acknowledgement that got lost, so the same push arriving twice must change
    /// nothing the second time, and still be answered success.
    pub fn handle_push(&self, push: &Push) -> Result<Reply, PushError> {
        let event = &push.event;
        if let Event::Malformed { name, error, .. } = event {
            // Perhaps a paid order that this build cannot read (WeChat changed a field's type):
            // never acknowledged unread. An error, so that an alert fires; WeChat retries.
            let e = PushError::Malformed {
                event: name.clone(),
                error: error.clone(),
            };
            tracing::error!(error = %e, "push not applied; WeChat will retry");
            return Err(e);
        }
        let Some(key) = event.dedup_key() else {
            // Events without a key (subscription signing results, events newer than this
            // build's spec) carry nothing this shop acts on: acknowledge them. A real app would
            // look at an unknown event's name before letting it go.
            tracing::info!(event = event.name(), "push acknowledged, nothing to do");
            return Ok(Reply::Success);
        };
        let mut store = self.store();
        let applied = store.apply_once(event.name(), &key, |store| match event {
            Event::GoodsDeliver(e) => store.deliver_goods(e),
            Event::CoinPay(e) => store.coins_paid(e),
            Event::Refund(e) => store.refund_finished(e),
            // Complaints, failed subscription debits, …: a real app alerts someone here.
            // (This shop sells no subscriptions, so `SubscribeIosRefundQuery`, which needs a
            // custom reply, never comes.)
            _ => Ok(()),
        });
        drop(store);
        match applied {
            Ok(Applied::Done) => {
                tracing::info!(event = event.name(), key = %key, "push applied");
            }
            Ok(Applied::Duplicate) => {
                tracing::info!(event = event.name(), key = %key, "push already applied; acknowledged again");
            }
            Err(e) => {
                tracing::error!(error = %e, "push not applied; WeChat will retry");
                return Err(e);
            }
        }
        Ok(Reply::Success)
    }

    /// Refunds a delivered order in full: asks WeChat what is left to refund (`query_order`),
    /// then starts the refund (`refund_order`). The result arrives later as an
    /// `xpay_refund_notify` push, which moves the order to [`OrderStatus::Refunded`].
    ///
    /// The refund id is derived from the order id, so calling this twice (a double click, a
    /// retry after a timeout) never refunds twice: WeChat answers the second call with
    /// errcode 268490004 ([`xpay::Error::Duplicate`]), taken here as "already started".
    pub async fn refund(
        &self,
        out_trade_no: &str,
        reason: RefundReason,
    ) -> Result<Order, ShopError> {
        let order = self
            .order(out_trade_no)
            .ok_or_else(|| ShopError::UnknownOrder(out_trade_no.to_string()))?;
        if !matches!(
            order.status,
            OrderStatus::Delivered | OrderStatus::Refunding | OrderStatus::RefundFailed
        ) {
            return Err(ShopError::Conflict(format!(
                "order {out_trade_no} is {:?}; only delivered orders are refunded",
                order.status
            )));
        }
        let client = self.client();
        // `left_fee` must be exactly what WeChat has left on the order (errcode 268490016
        // otherwise), so ask instead of computing it.
        let queried = client
            .send(QueryOrderRequest::new(
                order.openid.clone(),
                OrderRef::order_id(out_trade_no.to_string()),
            ))
            .await
            .map_err(ShopError::from_xpay)?;
        let left_fee = queried.order.and_then(|o| o.left_fee).unwrap_or(0);
        if left_fee <= 0 {
            return Err(ShopError::Conflict(format!(
                "order {out_trade_no} has nothing left to refund"
            )));
        }
        let refund_id = refund_id_for(out_trade_no);
        let started = client
            .send(RefundOrderRequest::new(
                order.openid.clone(),
                OrderRef::order_id(out_trade_no.to_string()),
                refund_id.clone(),
                left_fee,
                left_fee,
                reason,
                ReqFrom::CustomerService,
            ))
            .await;
        match started {
            Ok(_) | Err(xpay::Error::Duplicate { .. }) => {}
            Err(e) => return Err(ShopError::from_xpay(e)),
        }
        let mut store = self.store();
        let order = store
            .orders
            .get_mut(out_trade_no)
            .ok_or_else(|| ShopError::UnknownOrder(out_trade_no.to_string()))?;
        // The refund push may already have arrived (and set Refunded): only move forward.
        if matches!(
            order.status,
            OrderStatus::Delivered | OrderStatus::RefundFailed
        ) {
            order.status = OrderStatus::Refunding;
            order.refund_id = Some(refund_id);
        }
        Ok(order.clone())
    }
}

/// The shop's HTTP API, with WeChat's message push nested at `/wechat/push`.
///
/// Point MP → 开发 → 开发管理 → 消息推送 at `https://your.domain/wechat/push` (and, with
/// `xpay mock`, `POST /mock/push_target` at `http://127.0.0.1:3000/wechat/push`).
pub fn app(state: Shop) -> Router {
    let push_shop = state.clone();
    // The router verifies every push (signature or msg_signature, constant time), decrypts
    // safe-mode pushes, checks the app id, types the event and only then calls the closure.
    // Forged pushes get 401 and never reach it. With the dedup store the closure runs once per
    // push (per dedup key), on its own task, even when WeChat retries or delivers a push to two
    // instances at once; `Store::apply_once` stays as the database's own guarantee.
    let push = PushRouter::new(state.inner.decoder.clone(), move |push: Push| {
        let shop = push_shop.clone();
        async move { shop.handle_push(&push) }
    })
    .dedup(state.inner.dedup.clone())
    .into_router();
    Router::new()
        .route("/login", post(login))
        .route("/orders", post(create_order))
        .route("/orders/{out_trade_no}", get(order_status))
        .with_state(state)
        .nest("/wechat/push", push)
}

/// `POST /login`: the code from `wx.login()`.
#[derive(Debug, Clone, Deserialize)]
pub struct LoginRequest {
    /// The login code (valid once, for five minutes).
    pub code: String,
}

/// The answer to `POST /login`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginResponse {
    /// The user's openid in this mini program.
    pub openid: String,
}

/// `POST /login`: exchanges the code for the openid and session key with `code2session`.
///
/// The session key stays here. It is the user's signing key: with it anyone could sign
/// payments and balance queries as that user, and decrypt the user's encrypted data. It never
/// goes to the client, and the client never needs it. Each login gives a new key and makes
/// the older ones invalid for signing, so the latest one replaces what is stored.
///
/// A real app answers with its own session token (a cookie or a JWT) and later identifies the
/// user by it; this example answers the openid and takes it back in `POST /orders` to stay
/// short. Do not trust a client-sent openid in production.
async fn login(
    State(shop): State<Shop>,
    Json(req): Json<LoginRequest>,
) -> Result<Json<LoginResponse>, ShopError> {
    if req.code.is_empty() {
        return Err(ShopError::BadRequest("code is empty".into()));
    }
    let login = match shop.client().code2session(&req.code).await {
        Ok(login) => login,
        // 40029 (invalid code), 40163 (code already used), 45011 (rate limit), …
        Err(e @ xpay::Error::WeChat { .. }) => {
            tracing::warn!(error = %e, "login code refused");
            return Err(ShopError::LoginRefused);
        }
        Err(e) => return Err(ShopError::from_xpay(e)),
    };
    shop.store()
        .sessions
        .insert(login.openid.clone(), login.session_key);
    Ok(Json(LoginResponse {
        openid: login.openid,
    }))
}

/// `POST /orders`: what the user wants to buy.
#[derive(Debug, Clone, Deserialize)]
pub struct CreateOrderRequest {
    /// The buyer (see the note on [`LoginRequest`]'s handler about trusting it).
    pub openid: String,
    /// A product id from the catalog.
    pub product_id: String,
}

/// `POST /orders`: creates a pending order and answers exactly the parameters of
/// `wx.requestVirtualPayment` — `{"mode","signData","paySig","signature"}` — with status 201
/// and `Location: /orders/{outTradeNo}`. The mini program passes them on unchanged:
///
/// ```js
/// const params = (await post('/orders', { openid, product_id: 'sword_01' })).data
/// wx.requestVirtualPayment({ ...params, success() { /* poll GET /orders/… */ } })
/// ```
///
/// `outTradeNo` is inside `signData` (`JSON.parse(params.signData).outTradeNo`) and in the
/// `Location` header. Payment success in the mini program is not proof of payment: the order
/// is delivered only when WeChat's push arrives here.
async fn create_order(
    State(shop): State<Shop>,
    Json(req): Json<CreateOrderRequest>,
) -> Result<Response, ShopError> {
    let product = shop
        .catalog()
        .get(&req.product_id)
        .ok_or_else(|| ShopError::UnknownProduct(req.product_id.clone()))?;
    // The user signature must use the session key of the user's *latest* login.
    let session_key = shop
        .store()
        .sessions
        .get(&req.openid)
        .cloned()
        .ok_or(ShopError::NotLoggedIn)?;

    let out_trade_no = new_out_trade_no();
    let order = product.payment_order(&out_trade_no);
    let client = shop.client();
    // Signed with the AppKey of the env written into signData (the client's, XPAY_ENV).
    let params = client
        .payment_params(&order, Some(&session_key))
        .map_err(ShopError::from_xpay)?;

    // Store the order before handing out the parameters: the delivery push can only come
    // after the user pays, but it must find the order when it does.
    shop.store().orders.insert(
        out_trade_no.clone(),
        Order::pending(&out_trade_no, &req.openid, &product.id, product.kind),
    );
    tracing::info!(out_trade_no = %out_trade_no, product = %product.id, "order created");
    let location = format!("/orders/{out_trade_no}");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(params),
    )
        .into_response())
}

/// `GET /orders/{out_trade_no}`: the order and its status, for the mini program to poll after
/// `wx.requestVirtualPayment` succeeds. (A real app also checks that the order belongs to
/// the caller.)
async fn order_status(
    State(shop): State<Shop>,
    Path(out_trade_no): Path<String>,
) -> Result<Json<Order>, ShopError> {
    shop.order(&out_trade_no)
        .map(Json)
        .ok_or(ShopError::UnknownOrder(out_trade_no))
}

/// A fresh `outTradeNo`: `od` + the time in milliseconds (hex) + 12 random letters and digits,
/// 25 characters in all. WeChat's rules: 8–32 characters of `[0-9A-Za-z_-|*@]`, not starting
/// with `_`, and never reused (a repeat is refused even after a failed payment), so every
/// order gets a new one.
pub fn new_out_trade_no() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let random: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(12)
        .map(char::from)
        .collect();
    format!("od{millis:011x}{random}")
}

/// The refund id of an order's full refund: `rf` + its `outTradeNo`, so that retrying a
/// refund reuses the id and WeChat deduplicates it. (Refund ids allow only
/// `[0-9A-Za-z_-]`, 8–32 characters; the shop's order ids fit with room to spare.)
pub fn refund_id_for(out_trade_no: &str) -> String {
    format!("rf{out_trade_no}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_trade_nos_follow_wechat_rules_and_differ() {
        let a = new_out_trade_no();
        let b = new_out_trade_no();
        assert_ne!(a, b);
        for id in [&a, &b] {
            assert_eq!(id.len(), 25, "{id}");
            assert!(id.bytes().all(|c| c.is_ascii_alphanumeric()), "{id}");
            let refund = refund_id_for(id);
            assert!((8..=32).contains(&refund.len()), "{refund}");
        }
    }
}
