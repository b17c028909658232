//! A [`Hook`] around every request: its headers reach WeChat on each attempt, it sees how each
//! attempt ended, and it cannot change what was signed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde_json::json;
use xpay::api::QueryBizBalanceRequest;
use xpay::hook::{Hook, Request, Response};
use xpay::{Client, RetryPolicy};

#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<(String, u32, Option<u16>)>>,
}

impl Hook for Recorder {
    fn on_request(&self, request: &mut Request<'_>) {
        request.insert_header(
            "x-request-id",
            &format!("{}-{}", request.action, request.attempt),
        );
        request.insert_header("bad header", "ignored");
    }
    fn on_response(&self, response: &Response<'_>) {
        self.seen.lock().unwrap().push((
            response.action.to_string(),
            response.attempt,
            response.status,
        ));
    }
}

#[tokio::test]
async fn a_hook_adds_headers_to_every_attempt_and_sees_each_end() {
    let ids: Arc<Mutex<Vec<String>>> = Arc::default();
    async fn action(
        State(ids): State<Arc<Mutex<Vec<String>>>>,
        headers: HeaderMap,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        let id = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let first = {
            let mut ids = ids.lock().unwrap();
            ids.push(id);
            ids.len() == 1
        };
        if first {
            // A 502: query_biz_balance is safe to retry.
            return axum::http::StatusCode::BAD_GATEWAY.into_response();
        }
        axum::Json(json!({"errcode": 0, "errmsg": "ok"})).into_response()
    }
    let app = Router::new()
        .route("/xpay/query_biz_balance", post(action))
        .route(
            "/sns/jscode2session",
            get(|| async { axum::Json(json!({"errcode": 40029, "errmsg": "invalid code"})) }),
        )
        .with_state(Arc::clone(&ids));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let recorder = Arc::new(Recorder::default());
    let client = Client::builder()
        .app_id("wxhook")
        .app_secret("secret")
        .access_token("TOKEN")
        .app_key("key")
        .base_url(&url)
        .retry(RetryPolicy::default().with_initial_backoff(Duration::from_millis(1)))
        .hook(Arc::clone(&recorder))
        .build()
        .unwrap();
    client
        .send(QueryBizBalanceRequest::new())
        .await
        .expect("retried, then answered");
    let _ = client.code2session("code").await.unwrap_err();
    assert_eq!(
        *ids.lock().unwrap(),
        ["query_biz_balance-1", "query_biz_balance-2"]
    );
    assert_eq!(
        *recorder.seen.lock().unwrap(),
        [
            ("query_biz_balance".to_string(), 1, Some(502)),
            ("query_biz_balance".to_string(), 2, Some(200)),
            ("code2session".to_string(), 1, Some(200)),
        ]
    );
}
