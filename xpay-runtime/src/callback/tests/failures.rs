//! Every failure: each input that must be refused, and the error that names why.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::callback::crypto::encrypt_raw;
use crate::callback::format::{Scalar, render_fields};
use crate::callback::{
    CallbackError, DecodedPush, Format, PushQuery, SignatureKind, encrypt, encrypt_push,
    read_body_limited, render_message, sign_plain_push, signature,
};

const TS: &str = "1732700000";
const NONCE: &str = "n1";

/// A safe-mode push around any `Encrypt` value, correctly signed.
fn signed_with_encrypt(encrypt: &str) -> (PushQuery, String) {
    let q = PushQuery {
        timestamp: Some(TS.into()),
        nonce: Some(NONCE.into()),
        encrypt_type: Some("aes".into()),
        msg_signature: Some(signature(&[TOKEN, TS, NONCE, encrypt])),
        ..PushQuery::default()
    };
    let body = render_fields(
        Format::Json,
        &[
            ("ToUserName", Scalar::Str("gh")),
            ("Encrypt", Scalar::Str(encrypt)),
        ],
    );
    (q, body)
}

fn decode_encrypt(encrypt: &str) -> Result<DecodedPush, CallbackError> {
    let (q, body) = signed_with_encrypt(encrypt);
    decoder(config()).decode(&q, body.as_bytes())
}

/// A plaintext frame with a chosen declared length and tail, not padded.
fn frame(declared: u32, rest: &[u8]) -> Vec<u8> {
    let mut data = vec![7u8; 16];
    data.extend_from_slice(&declared.to_be_bytes());
    data.extend_from_slice(rest);
    data
}

/// Encrypts exactly these bytes (a multiple of 16) with the test key.
fn raw(data: &[u8]) -> String {
    assert_eq!(data.len() % 16, 0, "test data must be whole blocks");
    encrypt_raw(&key(KEY), data).expect("encrypts")
}

fn good_push() -> (PushQuery, String) {
    let message = render_message(
        &json!({"ToUserName": "gh", "MsgType": "event", "Event": "x", "CreateTime": 1}),
        Format::Json,
    )
    .expect("renders");
    let pushed = encrypt_push(
        &token(TOKEN),
        &key(KEY),
        APP_ID,
        "gh",
        &message,
        Format::Json,
        &params(TS),
    )
    .expect("encrypts");
    (pushed.query, pushed.body)
}

#[test]
fn the_good_push_decodes() {
    let (q, body) = good_push();
    assert!(decoder(config()).decode(&q, body.as_bytes()).is_ok());
}

#[test]
fn wrong_msg_signature() {
    let (mut q, body) = good_push();
    q.msg_signature = Some("0".repeat(40));
    let err = decoder(config()).decode(&q, body.as_bytes());
    assert_eq!(
        err,
        Err(CallbackError::SignatureMismatch(SignatureKind::Msg))
    );
    let shown = err.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(shown.contains("msg_signature"), "{shown}");

    // Signed with another token.
    let other = decoder(
        CallbackConfig::new(token("another_token"))
            .with_aes_key(key(KEY))
            .with_app_id(APP_ID),
    );
    let (q, body) = good_push();
    assert_eq!(
        other.decode(&q, body.as_bytes()),
        Err(CallbackError::SignatureMismatch(SignatureKind::Msg))
    );
}

#[test]
fn tampered_encrypt_fails_the_signature() {
    let (q, body) = good_push();
    let tampered = body.replacen("\"Encrypt\":\"", "\"Encrypt\":\"A", 1);
    assert_eq!(
        decoder(config()).decode(&q, tampered.as_bytes()),
        Err(CallbackError::SignatureMismatch(SignatureKind::Msg))
    );
}

#[test]
fn wrong_plain_signature() {
    let d = decoder(CallbackConfig::new(token(TOKEN)));
    let mut pushed = sign_plain_push(&token(TOKEN), "{\"a\":1}", Format::Json, &params(TS));
    assert!(d.decode(&pushed.query, pushed.body.as_bytes()).is_ok());
    pushed.query.signature = Some(signature(&["other", TS, NONCE]));
    let err = d.decode(&pushed.query, pushed.body.as_bytes());
    assert_eq!(
        err,
        Err(CallbackError::SignatureMismatch(SignatureKind::Plain))
    );
    let shown = err.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        shown.contains("`signature` of the plain-mode push"),
        "{shown}"
    );
}

#[test]
fn another_apps_appid() {
    let message = "{\"Event\":\"x\"}";
    let pushed = encrypt_push(
        &token(TOKEN),
        &key(KEY),
        "wx_someone_else",
        "gh",
        message,
        Format::Xml,
        &params(TS),
    )
    .expect("encrypts");
    let err = decoder(config()).decode(&pushed.query, pushed.body.as_bytes());
    assert_eq!(
        err,
        Err(CallbackError::AppIdMismatch {
            expected: APP_ID.into(),
            got: "wx_someone_else".into()
        })
    );
    let shown = err.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        shown.contains(APP_ID) && shown.contains("wx_someone_else"),
        "{shown}"
    );

    // A long tail is shown only in part.
    let long = "w".repeat(300);
    let pushed = encrypt_push(
        &token(TOKEN),
        &key(KEY),
        &long,
        "gh",
        message,
        Format::Json,
        &params(TS),
    )
    .expect("encrypts");
    match decoder(config()).decode(&pushed.query, pushed.body.as_bytes()) {
        Err(CallbackError::AppIdMismatch { got, .. }) => {
            assert_eq!(got, format!("{}…", "w".repeat(64)));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn truncated_ciphertext() {
    let good = encrypt(&key(KEY), APP_ID, b"{\"a\":1}", [1; 16]).expect("encrypts");
    let bytes =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &good).expect("base64");
    let cut = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bytes[..40]);
    assert_eq!(
        decode_encrypt(&cut),
        Err(CallbackError::CiphertextLength { len: 40 })
    );
    // Cut at a block boundary: the padding or the framing no longer holds.
    let cut = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bytes[..16]);
    assert!(decode_encrypt(&cut).is_err());
}

#[test]
fn empty_ciphertext() {
    assert_eq!(decode_encrypt(""), Err(CallbackError::EmptyCiphertext));
}

#[test]
fn bad_base64() {
    assert!(matches!(
        decode_encrypt("not*base64!"),
        Err(CallbackError::Base64(_))
    ));
    assert!(matches!(
        decode_encrypt("QUJD="),
        Err(CallbackError::Base64(_))
    ));
}

#[test]
fn bad_padding() {
    let body = frame(3, b"abcwx1234567890abcdef"); // 16 + 4 + 3 + 18 = 41 bytes
    let mut pad0 = body.clone();
    pad0.resize(48, 0);
    assert!(matches!(
        decode_encrypt(&raw(&pad0)),
        Err(CallbackError::BadPadding(m)) if m.contains("pad length 0")
    ));

    let mut pad33 = body.clone();
    pad33.resize(64, 33);
    assert!(matches!(
        decode_encrypt(&raw(&pad33)),
        Err(CallbackError::BadPadding(m)) if m.contains("pad length 33")
    ));

    let mut mixed = body.clone();
    mixed.resize(48, 7);
    mixed[46] = 6;
    assert!(matches!(
        decode_encrypt(&raw(&mixed)),
        Err(CallbackError::BadPadding(m)) if m.contains("not all 7")
    ));

    // Padding longer than 16 bytes is valid with WeChat's 32-byte blocks (a 16-byte PKCS#7
    // unpadder would refuse it), and exactly that much is stripped.
    let mut ok = frame(2, b"{}");
    ok.extend_from_slice(APP_ID.as_bytes()); // 40 bytes
    ok.resize(64, 24);
    let pushed = decode_encrypt(&raw(&ok)).expect("decodes");
    assert_eq!(pushed.message, json!({}));
    assert_eq!(pushed.app_id.as_deref(), Some(APP_ID));
}

#[test]
fn plaintext_too_short_and_length_out_of_range() {
    let mut short = vec![1u8; 16];
    short.resize(32, 16);
    assert_eq!(
        decode_encrypt(&raw(&short)),
        Err(CallbackError::PlaintextTooShort { len: 16 })
    );

    let mut long = frame(1000, b"{}");
    long.resize(32, 10);
    assert_eq!(
        decode_encrypt(&raw(&long)),
        Err(CallbackError::MessageLength {
            declared: 1000,
            available: 2
        })
    );
}

#[test]
fn not_utf8() {
    let k = key(KEY);
    let bad_msg = encrypt(&k, APP_ID, b"{\"a\":\"\xff\"}", [0; 16]).expect("encrypts");
    assert_eq!(
        decode_encrypt(&bad_msg),
        Err(CallbackError::NotUtf8("the decrypted message"))
    );

    let d = decoder(CallbackConfig::new(token(TOKEN)).with_aes_key(key(KEY)));
    let mut frame_bad_app = frame(2, b"{}\xff\xfe");
    frame_bad_app.resize(32, 8);
    let (q, body) = signed_with_encrypt(&raw(&frame_bad_app));
    assert_eq!(
        d.decode(&q, body.as_bytes()),
        Err(CallbackError::NotUtf8("the decrypted appid"))
    );

    let plain = decoder(CallbackConfig::new(token(TOKEN)));
    let pushed = sign_plain_push(&token(TOKEN), "", Format::Json, &params(TS));
    assert_eq!(
        plain.decode(&pushed.query, b"{\"a\":\"\xff\"}"),
        Err(CallbackError::NotUtf8("the body"))
    );
}

#[test]
fn malformed_messages() {
    let k = key(KEY);
    for (message, format) in [
        ("{\"a\":", Format::Json),
        ("[1,2]", Format::Json),
        ("{\"a\":1}x", Format::Json),
        ("<xml><a></xml>", Format::Xml),
        ("<xml>&nope;</xml>", Format::Xml),
    ] {
        let enc = encrypt(&k, APP_ID, message.as_bytes(), [0; 16]).expect("encrypts");
        let result = decode_encrypt(&enc);
        match result {
            Err(CallbackError::Malformed {
                format: f,
                what: "message",
                ..
            }) if f == format => {}
            Err(CallbackError::UnrecognizedFormat("message")) if message.starts_with('[') => {}
            other => panic!("{message}: {other:?}"),
        }
    }
    let enc = encrypt(&k, APP_ID, b"hello", [0; 16]).expect("encrypts");
    assert_eq!(
        decode_encrypt(&enc),
        Err(CallbackError::UnrecognizedFormat("message"))
    );
}

#[test]
fn xml_values_that_do_not_fit_their_type() {
    // Kept as they came, as a JSON message would carry them: typing decides, and a known event
    // of the wrong shape reaches the handler as `Event::Malformed` rather than failing here.
    let d = decoder(CallbackConfig::new(token(TOKEN)));
    let pushed = sign_plain_push(&token(TOKEN), "", Format::Xml, &params(TS));
    let body = "<xml><Event><![CDATA[xpay_coin_pay_notify]]></Event><CoinInfo><Quantity>ten</Quantity></CoinInfo></xml>";
    let decoded = d.decode(&pushed.query, body.as_bytes()).expect("decoded");
    assert_eq!(decoded.message["CoinInfo"]["Quantity"], "ten");
}

#[test]
fn empty_body() {
    let d = decoder(config());
    let (q, _) = good_push();
    assert_eq!(d.decode(&q, b""), Err(CallbackError::EmptyBody));
    assert_eq!(d.decode(&q, b" \r\n"), Err(CallbackError::EmptyBody));
}

#[test]
fn oversized_body() {
    let d = decoder(config().with_max_body_bytes(100));
    let (q, body) = good_push();
    assert!(body.len() > 100);
    let err = d.decode(&q, body.as_bytes());
    assert_eq!(err, Err(CallbackError::BodyTooLarge { limit: 100 }));
    let shown = err.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        shown.contains("100-byte limit") && shown.contains("stopped reading"),
        "{shown}"
    );

    // The default limit is 64 KiB, checked before anything else (even the query).
    let big = vec![b' '; 64 * 1024 + 1];
    assert_eq!(
        decoder(config()).decode(&PushQuery::default(), &big),
        Err(CallbackError::BodyTooLarge { limit: 65536 })
    );
}

#[test]
fn reading_stops_at_the_limit() {
    // An endless body: reading must stop after limit + 1 bytes.
    let endless = std::io::repeat(b'x');
    assert_eq!(
        read_body_limited(endless, 1024),
        Err(CallbackError::BodyTooLarge { limit: 1024 })
    );
    assert_eq!(read_body_limited(&b"abc"[..], 3), Ok(b"abc".to_vec()));
}

#[test]
fn missing_encrypt() {
    let d = decoder(config());
    let (q, _) = good_push();
    for body in [
        "{\"ToUserName\":\"gh\"}",
        "<xml><ToUserName><![CDATA[gh]]></ToUserName></xml>",
    ] {
        assert_eq!(
            d.decode(&q, body.as_bytes()),
            Err(CallbackError::MissingField {
                field: "Encrypt",
                what: "envelope"
            })
        );
    }
}

#[test]
fn missing_query_parameters() {
    let d = decoder(config());
    let (q, body) = good_push();
    for (name, strip) in [
        (
            "timestamp",
            (|q: &mut PushQuery| q.timestamp = None) as fn(&mut PushQuery),
        ),
        ("nonce", |q: &mut PushQuery| q.nonce = None),
        ("msg_signature", |q: &mut PushQuery| q.msg_signature = None),
    ] {
        let mut q = q.clone();
        strip(&mut q);
        assert_eq!(
            d.decode(&q, body.as_bytes()),
            Err(CallbackError::MissingQueryParameter(name))
        );
    }
    let plain = PushQuery {
        timestamp: Some(TS.into()),
        nonce: Some(NONCE.into()),
        ..PushQuery::default()
    };
    // With a key, a plain query is refused before anything else; without one, it needs its
    // signature.
    assert_eq!(
        d.decode(&plain, b"{}"),
        Err(CallbackError::PlainModeRefused)
    );
    assert_eq!(
        decoder(CallbackConfig::new(token(TOKEN))).decode(&plain, b"{}"),
        Err(CallbackError::MissingQueryParameter("signature"))
    );
    let mut odd = q;
    odd.encrypt_type = Some("des".into());
    assert_eq!(
        d.decode(&odd, body.as_bytes()),
        Err(CallbackError::UnsupportedEncryptType("des".into()))
    );
}

#[test]
fn safe_mode_body_with_a_plain_query() {
    let (q, body) = good_push();
    let plain = PushQuery {
        signature: Some(signature(&[TOKEN, TS, "nonce42"])),
        timestamp: q.timestamp,
        nonce: q.nonce,
        ..PushQuery::default()
    };
    assert_eq!(
        decoder(config()).decode(&plain, body.as_bytes()),
        Err(CallbackError::PlainModeRefused)
    );
    // Without a key (plain mode only), an envelope under a plain query is not a message.
    assert_eq!(
        decoder(CallbackConfig::new(token(TOKEN))).decode(&plain, body.as_bytes()),
        Err(CallbackError::MissingQueryParameter("msg_signature"))
    );
}

#[test]
fn stale_timestamp() {
    let d = decoder(config().with_max_age(Duration::from_secs(300)));
    let (q, body) = good_push();
    let ts: i64 = TS.parse().expect("ts");
    assert!(d.decode_at(&q, body.as_bytes(), ts + 300).is_ok());
    assert!(d.decode_at(&q, body.as_bytes(), ts - 300).is_ok());
    let err = d.decode_at(&q, body.as_bytes(), ts + 1000);
    assert_eq!(
        err,
        Err(CallbackError::StaleTimestamp {
            timestamp: ts,
            skew_secs: 1000,
            max_age_secs: 300
        })
    );
    let shown = err.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(shown.contains("300 s window"), "{shown}");
    // Against the real clock, a 2024 timestamp is stale.
    assert!(matches!(
        d.decode(&q, body.as_bytes()),
        Err(CallbackError::StaleTimestamp { .. })
    ));
    // Without a window, it is not checked.
    assert!(decoder(config()).decode(&q, body.as_bytes()).is_ok());

    let mut bad = q;
    bad.timestamp = Some("yesterday".into());
    assert_eq!(
        d.decode(&bad, body.as_bytes()),
        Err(CallbackError::InvalidTimestamp("yesterday".into()))
    );
}

#[test]
fn safe_mode_without_a_key() {
    let d = decoder(CallbackConfig::new(token(TOKEN)).with_app_id(APP_ID));
    let (q, body) = good_push();
    let err = d.decode(&q, body.as_bytes());
    assert_eq!(err, Err(CallbackError::NoAesKey));
}

#[test]
fn invalid_encoding_aes_keys() {
    let secret_ish = "Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9";
    for bad in [
        &secret_ish[..42],
        &secret_ish[..44],
        "Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9=",
        "Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Z-_",
        "",
    ] {
        match EncodingAesKey::new(bad) {
            Err(
                e @ crate::Error::InvalidSetting {
                    setting: crate::Setting::EncodingAesKey,
                    ..
                },
            ) => {
                let shown = e.to_string();
                assert!(shown.contains("EncodingAESKey"), "{shown}");
                if !bad.is_empty() {
                    assert!(!shown.contains(bad), "{shown}");
                    assert!(!shown.contains(&bad[..8]), "{shown}");
                }
                assert!(!format!("{e:?}").contains(&secret_ish[..8]));
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
    let err = EncodingAesKey::new("x".repeat(10)).err();
    assert!(err.is_some_and(|e| e.to_string().contains("43 characters")));
}

/// What each failure is answered with: 401 when verification failed, 400 when the body could
/// not be read far enough to verify (nothing vouches for it), 413 when too large, and 500 only
/// for a verified push this version cannot read (so that WeChat retries it).
#[test]
fn each_failure_gets_the_status_that_says_whose_it_is() {
    let status = |r: Result<DecodedPush, CallbackError>| r.map_err(|e| e.http_status()).err();
    let safe = decoder(config());
    let (q, good) = good_push();
    // Unverifiable: garbage, an empty body, an envelope without Encrypt, non-UTF-8 bytes.
    for body in [
        &b"hello"[..],
        b"",
        b"{\"x\":1}",
        b"<xml><a>",
        b"{\"Encrypt\":\"\xff\"}",
    ] {
        assert_eq!(status(safe.decode(&q, body)), Some(400), "{body:?}");
    }
    // An encryption WeChat does not use, with no signature at all.
    let odd = PushQuery {
        encrypt_type: Some("rsa".into()),
        ..PushQuery::default()
    };
    assert_eq!(status(safe.decode(&odd, b"hello")), Some(400));
    // A forgery: a well-formed envelope whose signature does not match.
    let forged = good.replace("Encrypt\":\"", "Encrypt\":\"A");
    assert_eq!(status(safe.decode(&q, forged.as_bytes())), Some(401));
    assert_eq!(
        status(safe.decode(&q, "x".repeat(70_000).as_bytes())),
        Some(413)
    );

    let plain = decoder(CallbackConfig::new(token(TOKEN)));
    let pushed = sign_plain_push(&token(TOKEN), "", Format::Json, &params(TS));
    // Verified, but unreadable: WeChat's (as far as anyone can tell), so 500 and a retry.
    assert_eq!(status(plain.decode(&pushed.query, b"hello")), Some(500));
    assert_eq!(
        status(plain.decode(&pushed.query, b"{\"a\":\"\xff\"}")),
        Some(500)
    );
    // The same bodies under a wrong signature: a forgery, checked before the body is read.
    let mut wrong = pushed.query.clone();
    wrong.signature = Some("0".repeat(40));
    assert_eq!(status(plain.decode(&wrong, b"hello")), Some(401));
    assert_eq!(status(plain.decode(&wrong, b"{\"a\":\"\xff\"}")), Some(401));
}
