//! A fake WeChat for the Redis tests: it hands out access tokens (stable or classic), counts
//! every fetch, and answers `/xpay/query_order` with 40001 unless the token is the current one.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Json;
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use xpay::api::{OrderRef, QueryOrderRequest};
use xpay::redis::RedisStore;
use xpay::token::TokenMode;
use xpay::{Client, RetryPolicy};

pub const APP_ID: &str = "wxredis0000000001";
pub const APP_SECRET: &str = "the-app-secret-never-stored";
pub const APP_KEY: &str = "the-app-key-never-stored";

/// A running fake WeChat; stops when dropped.
pub struct FakeWeChat {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

#[derive(Default)]
struct Shared {
    /// The one token WeChat accepts now.
    current: Mutex<Option<String>>,
    issued: AtomicUsize,
    stable_fetches: AtomicUsize,
    classic_fetches: AtomicUsize,
    served: AtomicUsize,
    rejected: AtomicUsize,
    fetch_delay: Duration,
    /// The `expires_in` answered; 0 means the default, 7200.
    expires_in: std::sync::atomic::AtomicU64,
}

impl Shared {
    fn new_token(&self) -> String {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        format!("ACCESS-TOKEN-{n}-{:016x}", rand::random::<u64>())
    }

    fn answer(&self, token: String) -> Json<Value> {
        let expires_in = match self.expires_in.load(Ordering::SeqCst) {
            0 => 7200,
            secs => secs,
        };
        Json(json!({ "access_token": token, "expires_in": expires_in }))
    }
}

/// `POST /cgi-bin/stable_token`: the current token, issuing one when there is none. Like
/// WeChat's stable token, fetching does not invalidate the token others hold.
async fn stable_token(State(shared): State<Arc<Shared>>) -> Json<Value> {
    tokio::time::sleep(shared.fetch_delay).await;
    shared.stable_fetches.fetch_add(1, Ordering::SeqCst);
    let mut current = shared.current.lock().expect("lock");
    let token = current.get_or_insert_with(|| shared.new_token()).clone();
    shared.answer(token)
}

/// `GET /cgi-bin/token`: a new token that invalidates the previous one at once (WeChat waits
/// 5 minutes; this is stricter).
async fn classic_token(State(shared): State<Arc<Shared>>) -> Json<Value> {
    tokio::time::sleep(shared.fetch_delay).await;
    shared.classic_fetches.fetch_add(1, Ordering::SeqCst);
    let token = shared.new_token();
    *shared.current.lock().expect("lock") = Some(token.clone());
    shared.answer(token)
}

/// `POST /xpay/query_order`: an order for the current token, 40001 for any other.
async fn query_order(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    let current = shared.current.lock().expect("lock").clone();
    let valid = query
        .get("access_token")
        .is_some_and(|token| current.as_ref() == Some(token));
    if !valid {
        shared.rejected.fetch_add(1, Ordering::SeqCst);
        return Json(
            json!({ "errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest" }),
        );
    }
    shared.served.fetch_add(1, Ordering::SeqCst);
    Json(json!({
        "errcode": 0,
        "errmsg": "ok",
        "order": { "order_id": "order-1", "status": 2, "order_fee": 100 }
    }))
}

impl FakeWeChat {
    /// Starts the fake; every token fetch takes `fetch_delay` (to widen race windows).
    pub async fn start(fetch_delay: Duration) -> Self {
        let shared = Arc::new(Shared {
            fetch_delay,
            ..Default::default()
        });
        let app = Router::new()
            .route("/cgi-bin/stable_token", post(stable_token))
            .route("/cgi-bin/token", get(classic_token))
            .route("/xpay/query_order", post(query_order))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake WeChat");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake WeChat");
        });
        FakeWeChat {
            url,
            shared,
            server,
        }
    }

    /// Answers `expires_in: secs` from now on.
    pub fn set_expires_in(&self, secs: u64) {
        self.shared.expires_in.store(secs, Ordering::SeqCst);
    }

    /// Token fetches so far, stable and classic.
    pub fn fetches(&self) -> usize {
        self.shared.stable_fetches.load(Ordering::SeqCst)
            + self.shared.classic_fetches.load(Ordering::SeqCst)
    }

    /// Classic (`/cgi-bin/token`) fetches so far.
    pub fn classic_fetches(&self) -> usize {
        self.shared.classic_fetches.load(Ordering::SeqCst)
    }

    /// query_order calls answered with an order.
    pub fn served(&self) -> usize {
        self.shared.served.load(Ordering::SeqCst)
    }

    /// query_order calls answered with 40001.
    pub fn rejected(&self) -> usize {
        self.shared.rejected.load(Ordering::SeqCst)
    }

    /// The token WeChat accepts now.
    pub fn current(&self) -> Option<String> {
        self.shared.current.lock().expect("lock").clone()
    }

    /// Makes the current token invalid (as when WeChat drops it); the next fetch issues another.
    pub fn revoke(&self) {
        *self.shared.current.lock().expect("lock") = None;
    }

    /// A client of this fake (one "instance"), keeping tokens in `store`.
    pub fn client(&self, store: RedisStore, mode: TokenMode) -> Client {
        self.builder(store, mode).build().expect("client")
    }

    /// The builder of [`client`](Self::client), for tests that change more.
    pub fn builder(&self, store: RedisStore, mode: TokenMode) -> xpay::ClientBuilder {
        Client::builder()
            .app_id(APP_ID)
            .app_secret(APP_SECRET)
            .app_key(APP_KEY)
            .base_url(&self.url)
            .token_store(store)
            .token_mode(mode)
            .retry(RetryPolicy::NONE)
    }
}

impl Drop for FakeWeChat {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The store key the clients use.
pub fn store_key(mode: TokenMode) -> String {
    xpay::token::store_key(APP_ID, mode.as_str())
}

/// One `query_order` call.
pub async fn query(client: &Client) -> xpay::Result<()> {
    let request = QueryOrderRequest::new("o-user-1", OrderRef::order_id("order-1"));
    client.send(request).await.map(|_| ())
}

/// `calls` concurrent `query_order` calls spread over `clients`; their results.
pub async fn query_concurrently(clients: &[Client], calls: usize) -> Vec<xpay::Result<()>> {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..calls {
        let client = clients[i % clients.len()].clone();
        tasks.spawn(async move { query(&client).await });
    }
    let mut results = Vec::with_capacity(calls);
    while let Some(result) = tasks.join_next().await {
        results.push(result.expect("task"));
    }
    results
}

/// `n` stores, each with its own Redis connection (one per simulated instance).
pub async fn stores(url: &str, n: usize) -> Vec<RedisStore> {
    let mut stores = Vec::with_capacity(n);
    for _ in 0..n {
        stores.push(RedisStore::connect(url).await.expect("connect to redis"));
    }
    stores
}
