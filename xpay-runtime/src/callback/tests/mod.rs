//! Tests of the callback layer against the official and wechatpy vectors, round trips, every
//! failure, property tests and redaction.

mod failures;
mod props;
mod redaction;
mod roundtrip;
mod vectors;

use serde_json::Value;

/// The real spec's tables and events, generated into this crate as the `xpay` crate generates
/// them, so these tests notice every change of the spec. The invocation is a test fixture in
/// `tests/data/`, beside the vectors: the runtime's sources name no spec.
pub(super) mod api {
    #![allow(dead_code, clippy::all)]
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/real_spec_api.rs"
    ));
}

use super::{CallbackConfig, Decoder, EncodingAesKey, SealParams};
use crate::CallbackToken;

/// The token of the wechatpy vectors.
const TOKEN: &str = "xpay_token_demo";
/// The EncodingAESKey of the wechatpy vectors.
const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
/// The appid of the wechatpy vectors.
const APP_ID: &str = "wx1234567890abcdef";

/// `shared/vectors/vectors.json`, copied into the crate.
const VECTORS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/vectors.json"
));

/// The `push` vectors.
fn push_vectors() -> Vec<Value> {
    let all: Value = serde_json::from_str(VECTORS).expect("vectors.json parses");
    all["push"].as_array().expect("push vectors").clone()
}

/// The push vector of this kind.
fn vector(kind: &str) -> Value {
    push_vectors()
        .into_iter()
        .find(|v| v["kind"] == kind)
        .unwrap_or_else(|| panic!("no push vector {kind}"))
}

/// A string field of a vector.
fn s<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("vector field {field}"))
}

fn token(t: &str) -> CallbackToken {
    CallbackToken::new(t).expect("token")
}

fn key(k: &str) -> EncodingAesKey {
    EncodingAesKey::new(k).expect("key")
}

/// Settings of the wechatpy vectors: token, key and appid.
fn config() -> CallbackConfig {
    CallbackConfig::new(token(TOKEN))
        .with_aes_key(key(KEY))
        .with_app_id(APP_ID)
}

fn decoder(config: CallbackConfig) -> Decoder {
    Decoder::new(config, &api::SPEC)
}

/// Fixed sealing parameters.
fn params(ts: &str) -> SealParams {
    SealParams {
        timestamp: ts.into(),
        nonce: "nonce42".into(),
        random: *b"0123456789abcdef",
    }
}
