//! `xpay explain CODE` (the spec's errcode and client-code tables, no settings needed) and
//! `xpay check-session` against the fake WeChat: a current key is `valid`, a replaced one
//! `stale` (a result, exit 0), and the session key never appears in what is printed.

mod common;

use common::{temp_file, xpay};
use serde_json::Value;
use xpay_mock::{MockConfig, MockServer};

fn rows(code: &str) -> Vec<Value> {
    let out = xpay(&["explain", code], &[]).json();
    out.as_array().expect("an array of rows").clone()
}

#[test]
fn explain_a_server_errcode_with_its_fix() {
    let rows = rows("268490004");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["code"], 268490004);
    assert_eq!(rows[0]["kind"], "server");
    assert!(rows[0]["meaning"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(rows[0]["fix"].as_str().is_some_and(|m| !m.is_empty()));
}

#[test]
fn explain_a_client_code_from_the_mini_program() {
    let rows = rows("-15006");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["kind"], "client");
    // A code in both tables gets both rows.
    let both = self::rows("-1");
    let kinds: Vec<&str> = both.iter().filter_map(|r| r["kind"].as_str()).collect();
    assert_eq!(kinds, ["server", "client"]);
}

#[test]
fn explain_an_unknown_code_is_a_one_line_error() {
    xpay(&["explain", "424242"], &[]).fails_with(&["424242"], &[]);
    xpay(&["explain", "not-a-number"], &[]).fails();
}

#[test]
fn explain_with_a_spec_file_uses_its_tables() {
    let spec = temp_file(
        "explain_spec.yaml",
        "version: 1\nactions: []\nerrors:\n  - { code: 777, name: custom, message: a code of our own, fix: do the other thing }\n",
    );
    let path = spec.to_str().expect("utf-8 path");
    let rows = xpay(&["explain", "777", "--spec", path], &[]).json();
    assert_eq!(rows[0]["fix"], "do the other thing");
    xpay(&["explain", "268490004", "--spec", path], &[]).fails_with(&["268490004"], &[]);
    let broken = temp_file("explain_broken.yaml", "version: 1\nactions: 3\n");
    xpay(
        &["explain", "1", "--spec", broken.to_str().expect("utf-8")],
        &[],
    )
    .fails_with(&["spec check"], &[]);
}

#[test]
fn check_session_tells_valid_from_stale_and_prints_no_key() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mock = rt
        .block_on(MockServer::start(MockConfig::default()))
        .expect("mock");
    let vars: Vec<(String, String)> = mock
        .env_lines()
        .iter()
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.into(), v.into())))
        .collect();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (&**k, &**v)).collect();
    let check = |openid: &str, key: &str| {
        xpay(
            &["check-session", "--openid", openid, "--session-key", key],
            &vars,
        )
    };

    let (openid, old_key) = mock.login("code-1");
    let out = check(&openid, &old_key);
    assert_eq!(
        out.json(),
        serde_json::json!({"openid": openid, "session": "valid"})
    );
    assert!(!out.stdout.contains(&old_key));

    // The user logs in again: the stored key is no longer the current one.
    let (again, new_key) = mock.login("code-1");
    assert_eq!(again, openid);
    assert_ne!(new_key, old_key);
    let out = check(&openid, &old_key);
    assert_eq!(out.json()["session"], "stale");
    assert!(!out.stdout.contains(&old_key));
    assert_eq!(check(&openid, &new_key).json()["session"], "valid");

    // A key that is not a session key at all is refused before anything is sent.
    check(&openid, "").fails();
    rt.block_on(mock.shutdown());
}
