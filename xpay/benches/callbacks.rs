//! Verifying, decrypting and parsing a ~1 KiB coin-pay push, in JSON and XML, against a floor
//! built from the raw primitives on the same input.
//!
//! `cargo bench -p xpay --bench callbacks`

use aes::Aes256;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockModeDecrypt, KeyIvInit};
use criterion::{Criterion, criterion_group, criterion_main};
use serde::Deserialize;
use sha1::{Digest, Sha1};
use std::hint::black_box;
use xpay::CallbackToken;
use xpay::api::Event;
use xpay::callback::{
    CallbackConfig, Decoder, EncodingAesKey, Format, Push, PushQuery, SealParams, encrypt_push,
    render_message,
};

const TOKEN: &str = "xpay_token_demo";
const AES: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const APP: &str = "wx1234567890abcdef";

/// The same fields as the generated event, as a plain struct: the floor's parse target.
#[derive(Deserialize)]
#[allow(dead_code, non_snake_case)]
struct PlainCoinPay {
    ToUserName: String,
    FromUserName: String,
    CreateTime: i64,
    MsgType: String,
    Event: String,
    OpenId: String,
    OutTradeNo: String,
    Env: i64,
    WeChatPayInfo: PlainPayInfo,
    CoinInfo: PlainCoinInfo,
}

#[derive(Deserialize)]
#[allow(dead_code, non_snake_case)]
struct PlainPayInfo {
    MchOrderNo: String,
    TransactionId: String,
    PaidTime: i64,
}

#[derive(Deserialize)]
#[allow(dead_code, non_snake_case)]
struct PlainCoinInfo {
    Quantity: i64,
    OrigPrice: i64,
    ActualPrice: i64,
    Attach: String,
}

fn message() -> serde_json::Value {
    serde_json::json!({
        "ToUserName": "gh_abc", "FromUserName": "o_official", "CreateTime": 1732700000,
        "MsgType": "event", "Event": "xpay_coin_pay_notify", "OpenId": "o-user-1",
        "OutTradeNo": "trade_20241127_001", "Env": 0,
        "WeChatPayInfo": {"MchOrderNo": "mch_001", "TransactionId": "4200000001", "PaidTime": 1732700001},
        "CoinInfo": {"Quantity": 60, "OrigPrice": 600, "ActualPrice": 600,
                     // Padding the attach so the push is about 1 KiB, like a real one with a long attach.
                     "Attach": "x".repeat(300)}
    })
}

fn floor(token: &str, q: &PushQuery, body: &str, key: &[u8; 32], xml: bool) -> usize {
    // The envelope: the Encrypt value (a JSON envelope; the XML floor uses the same one).
    #[derive(Deserialize)]
    #[allow(non_snake_case)]
    struct Env {
        Encrypt: String,
    }
    let env: Env = serde_json::from_str(body).unwrap();
    let mut parts = [
        token,
        q.timestamp.as_deref().unwrap(),
        q.nonce.as_deref().unwrap(),
        env.Encrypt.as_str(),
    ];
    parts.sort_unstable();
    let mut h = Sha1::new();
    for p in parts {
        h.update(p.as_bytes());
    }
    let sig = hex::encode(h.finalize());
    assert_eq!(Some(sig.as_str()), q.msg_signature.as_deref());
    let mut buf = STANDARD.decode(env.Encrypt.as_bytes()).unwrap();
    cbc::Decryptor::<Aes256>::new(key.into(), (&key[..16]).try_into().unwrap())
        .decrypt_padded::<NoPadding>(&mut buf)
        .unwrap();
    let pad = *buf.last().unwrap() as usize;
    let plain = &buf[..buf.len() - pad];
    let len = u32::from_be_bytes(plain[16..20].try_into().unwrap()) as usize;
    let msg = std::str::from_utf8(&plain[20..20 + len]).unwrap();
    assert_eq!(&plain[20 + len..], APP.as_bytes());
    if xml {
        let m: PlainCoinPay = quick_xml::de::from_str(msg).unwrap();
        m.CoinInfo.Quantity as usize
    } else {
        let m: PlainCoinPay = serde_json::from_str(msg).unwrap();
        m.CoinInfo.Quantity as usize
    }
}

fn decode(c: &mut Criterion) {
    let token = CallbackToken::new(TOKEN).unwrap();
    let key = EncodingAesKey::new(AES).unwrap();
    let decoder = Decoder::new(
        CallbackConfig::new(token.clone())
            .with_aes_key(key.clone())
            .with_app_id(APP),
        &xpay::api::SPEC,
    );
    let raw_key: [u8; 32] = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    )
    .decode(format!("{AES}="))
    .unwrap()
    .try_into()
    .unwrap();
    let mut g = c.benchmark_group("callback_decode");
    for (label, format) in [("json", Format::Json), ("xml", Format::Xml)] {
        let text = render_message(&message(), format).unwrap();
        // The envelope is JSON for both, so the comparison is about the plaintext's format.
        let push = encrypt_push(
            &token,
            &key,
            APP,
            "gh_abc",
            &text,
            Format::Json,
            &SealParams::fresh(),
        )
        .unwrap();
        let body = push.body.clone();
        let q = push.query.clone();
        assert!(body.len() > 900, "about 1 KiB: {}", body.len());
        let typed: Push = decoder.decode_typed(&q, body.as_bytes()).unwrap();
        assert!(matches!(typed.event, Event::CoinPay(_)));
        assert!(typed.raw.__read_in_one_pass(), "{label}: read in one pass");
        g.bench_function(format!("xpay decode_typed {label}"), |b| {
            b.iter(|| {
                decoder
                    .decode_typed::<Event>(black_box(&q), black_box(body.as_bytes()))
                    .unwrap()
            })
        });
        let xml = format == Format::Xml;
        g.bench_function(format!("floor primitives {label}"), |b| {
            b.iter(|| floor(TOKEN, black_box(&q), black_box(&body), &raw_key, xml))
        });
    }
    g.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
