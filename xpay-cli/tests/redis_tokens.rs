//! Several `xpay call` processes at once, sharing one Redis: exactly one token fetch, in stable
//! and in classic mode (where an independent fetch would knock the others' tokens out).
//!
//! Needs `redis-server`; without it the tests print a notice and skip, unless
//! `XPAY_REQUIRE_REDIS=1` (as in CI), which makes a missing server a failure.

use std::process::{Command, Output};
use xpay_mock::{MockConfig, MockServer};
use xpay_test_support::RedisServer;

async fn twelve_processes_share_one_token(mode: &str) {
    let Some(redis) = RedisServer::start(&format!("redis_twelve_processes_{mode}")) else {
        return;
    };
    let mock = MockServer::start(MockConfig::default())
        .await
        .expect("mock");
    let mut env: Vec<(String, String)> = mock
        .env_lines()
        .iter()
        .filter_map(|l| {
            l.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect();
    env.push(("XPAY_REDIS_URL".into(), redis.url()));
    env.push(("XPAY_TOKEN_MODE".into(), mode.into()));
    let children: Vec<_> = (0..12)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_xpay"))
                .env_clear()
                .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .args(["call", "query_biz_balance"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn xpay")
        })
        .collect();
    let outputs: Vec<Output> = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|c| c.wait_with_output().expect("wait"))
            .collect()
    })
    .await
    .expect("join");
    for o in &outputs {
        assert!(
            o.status.success(),
            "{mode}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json answer");
        assert_eq!(v["errcode"], 0);
    }
    assert_eq!(
        mock.token_fetches(),
        1,
        "{mode}: twelve processes, one token fetch"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_twelve_processes_one_fetch_stable() {
    twelve_processes_share_one_token("stable").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_twelve_processes_one_fetch_classic() {
    twelve_processes_share_one_token("classic").await;
}

#[test]
fn redis_unreachable_is_one_line_and_exit_1() {
    let out = Command::new(env!("CARGO_BIN_EXE_xpay"))
        .env_clear()
        .env("XPAY_APP_ID", "wx")
        .env("XPAY_APP_SECRET", "secret-value")
        .env("XPAY_APP_KEY", "k")
        .env("XPAY_BASE_URL", "http://127.0.0.1:9")
        .env("XPAY_REDIS_URL", "redis://:hunter2@127.0.0.1:9")
        .args(["call", "query_biz_balance"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("XPAY_REDIS_URL"), "{err}");
    assert!(!err.contains("hunter2"), "the password is redacted: {err}");
}
