//! Signing overhead against raw HMAC on the same bytes, and the token cache's hot path.
//!
//! `cargo bench -p xpay --bench signing`

use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;
use xpay::api::GoodsPaymentOrder;
use xpay::signing::{pay_sig, user_signature};
use xpay::token::{FixedTokenSource, TokenManager};
use xpay::{AccessToken, AppKey, Client, SessionKey};

const PATH: &str = "/xpay/currency_pay";
const BODY: &[u8] = br#"{"openid":"o-test_1","env":1,"user_ip":"10.0.0.1","amount":30,"order_id":"ord_0001","payitem":"[{\"productid\":\"sword\",\"unit_price\":30,\"quantity\":1}]","remark":"sword"}"#;

/// The floor: raw HMAC-SHA256, hex-encoded at once into a 64-byte buffer (the fastest use of
/// the `hex` crate; `hex::encode` goes char by char and costs about a fifth more).
fn raw_hex(key: &[u8], parts: &[&[u8]]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    for p in parts {
        mac.update(p);
    }
    let mut out = vec![0u8; 64];
    hex::encode_to_slice(mac.finalize().into_bytes(), &mut out).expect("64 hex digits");
    String::from_utf8(out).expect("hex is ASCII")
}

fn server_signing(c: &mut Criterion) {
    let key = AppKey::new("sandbox-app-key-xyz").unwrap();
    let sk = SessionKey::new("9hAb/NEYUlkaMBEsmFgzig==").unwrap();
    let mut g = c.benchmark_group("server_signing");
    g.bench_function("xpay pay_sig+signature", |b| {
        b.iter(|| {
            let a = pay_sig(&key, black_box(PATH), black_box(BODY));
            let s = user_signature(&sk, black_box(BODY));
            (a, s)
        })
    });
    g.bench_function("baseline raw hmac+sha2", |b| {
        b.iter(|| {
            let a = raw_hex(
                b"sandbox-app-key-xyz",
                &[black_box(PATH).as_bytes(), b"&", black_box(BODY)],
            );
            let s = raw_hex(b"9hAb/NEYUlkaMBEsmFgzig==", &[black_box(BODY)]);
            (a, s)
        })
    });
    g.finish();
}

fn payment(c: &mut Criterion) {
    let client = Client::builder()
        .offer_id("1450000000")
        .app_key("12345")
        .build()
        .unwrap();
    let sk = SessionKey::new("9hAb/NEYUlkaMBEsmFgzig==").unwrap();
    let order = GoodsPaymentOrder::new(1, "testproductId", 10, "trade_20261128_0001")
        .with_attach("testdata");
    let sign_data = client.payment_params(&order, None).unwrap().sign_data;
    let mut g = c.benchmark_group("sign_payment");
    g.bench_function(
        "xpay payment_params (check + signData + paySig + signature)",
        |b| b.iter(|| client.payment_params(black_box(&order), Some(&sk)).unwrap()),
    );
    g.bench_function(
        "baseline hand-written: serde_json signData + raw hmac",
        |b| {
            #[derive(serde::Serialize)]
            #[serde(rename_all = "camelCase")]
            struct SignData<'a> {
                offer_id: &'a str,
                buy_quantity: i64,
                env: u8,
                currency_type: &'a str,
                product_id: &'a str,
                goods_price: i64,
                out_trade_no: &'a str,
                attach: &'a str,
            }
            b.iter(|| {
                let data = serde_json::to_string(&SignData {
                    offer_id: "1450000000",
                    buy_quantity: black_box(1),
                    env: 0,
                    currency_type: "CNY",
                    product_id: "testproductId",
                    goods_price: 10,
                    out_trade_no: "trade_20261128_0001",
                    attach: "testdata",
                })
                .unwrap();
                let p = raw_hex(b"12345", &[b"requestVirtualPayment&", data.as_bytes()]);
                let s = raw_hex(b"9hAb/NEYUlkaMBEsmFgzig==", &[data.as_bytes()]);
                (data, p, s)
            })
        },
    );
    g.bench_function("baseline raw hmac of the same signData", |b| {
        b.iter(|| {
            let p = raw_hex(
                b"12345",
                &[b"requestVirtualPayment&", black_box(sign_data.as_bytes())],
            );
            let s = raw_hex(
                b"9hAb/NEYUlkaMBEsmFgzig==",
                &[black_box(sign_data.as_bytes())],
            );
            (p, s)
        })
    });
    g.finish();
}

fn token_cache(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let manager = TokenManager::new(
        FixedTokenSource::new("wx", AccessToken::new("ACCESS_TOKEN_0123456789").unwrap())
            .with_expires_in(Duration::from_secs(7200)),
    );
    rt.block_on(manager.get()).unwrap();
    let baseline: Arc<tokio::sync::RwLock<AccessToken>> = Arc::new(tokio::sync::RwLock::new(
        AccessToken::new("ACCESS_TOKEN_0123456789").unwrap(),
    ));
    let mut g = c.benchmark_group("token_cache_hit");
    g.bench_function("xpay TokenManager::get", |b| {
        b.to_async(&rt)
            .iter(|| async { manager.get().await.unwrap() })
    });
    g.bench_function("baseline RwLock<AccessToken> read+clone", |b| {
        b.to_async(&rt)
            .iter(|| async { baseline.read().await.clone() })
    });
    g.bench_function("xpay TokenManager::get x1000 concurrent", |b| {
        b.to_async(&rt).iter(|| async {
            let tasks: Vec<_> = (0..1000)
                .map(|_| {
                    let m = manager.clone();
                    tokio::spawn(async move { m.get().await.unwrap() })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        })
    });
    g.bench_function("baseline RwLock read+clone x1000 concurrent", |b| {
        b.to_async(&rt).iter(|| async {
            let tasks: Vec<_> = (0..1000)
                .map(|_| {
                    let l = baseline.clone();
                    tokio::spawn(async move { l.read().await.clone() })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        })
    });
    g.finish();
}

criterion_group!(benches, server_signing, payment, token_cache);
criterion_main!(benches);
