//! Every `push` vector of `vectors.json`: URL verification, msg_signature, decryption to the
//! exact plaintext, the appid, and typed values.

use serde_json::{Value, json};

use super::*;
use crate::callback::{
    CallbackError, Format, PushQuery, SignatureKind, decrypt, encrypt, encrypt_push, signature,
};

fn query(v: &Value) -> PushQuery {
    PushQuery {
        timestamp: Some(s(v, "timestamp").into()),
        nonce: Some(s(v, "nonce").into()),
        encrypt_type: Some("aes".into()),
        msg_signature: Some(s(v, "msg_signature").into()),
        ..PushQuery::default()
    }
}

fn vector_decoder(v: &Value) -> Decoder {
    decoder(
        CallbackConfig::new(token(s(v, "token")))
            .with_aes_key(key(s(v, "encoding_aes_key")))
            .with_app_id(s(v, "app_id")),
    )
}

/// `Encrypt` of a vector's body, JSON or XML.
fn encrypt_of(v: &Value) -> String {
    let body = s(v, "body");
    if body.starts_with('{') {
        let env: Value = serde_json::from_str(body).expect("json envelope");
        env["Encrypt"].as_str().expect("Encrypt").to_string()
    } else {
        let start = body.find("<Encrypt><![CDATA[").expect("Encrypt") + 18;
        let end = body.find("]]></Encrypt>").expect("Encrypt end");
        body[start..end].to_string()
    }
}

#[test]
fn all_push_vectors_are_covered() {
    let kinds: Vec<String> = push_vectors()
        .iter()
        .map(|v| s(v, "kind").to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "url_verification",
            "safe_mode_json",
            "safe_mode_coin_pay_json",
            "safe_mode_goods_deliver_xml",
            "safe_mode_refund_json_in_xml_envelope"
        ]
    );
}

#[test]
fn url_verification() {
    let v = vector("url_verification");
    let d = decoder(CallbackConfig::new(token(s(&v, "token"))));
    assert_eq!(
        signature(&[s(&v, "token"), s(&v, "timestamp"), s(&v, "nonce")]),
        s(&v, "signature")
    );
    let raw = format!(
        "signature={}&timestamp={}&nonce={}&echostr={}",
        s(&v, "signature"),
        s(&v, "timestamp"),
        s(&v, "nonce"),
        s(&v, "echostr")
    );
    let q = PushQuery::parse(&raw);
    assert_eq!(d.verify_url(&q), Ok(s(&v, "echostr")));

    let other = decoder(CallbackConfig::new(token("BBBBB")));
    assert_eq!(
        other.verify_url(&q),
        Err(CallbackError::SignatureMismatch(SignatureKind::Url))
    );
    let mut tampered = q.clone();
    tampered.nonce = Some("1514711493".into());
    assert_eq!(
        d.verify_url(&tampered),
        Err(CallbackError::SignatureMismatch(SignatureKind::Url))
    );
    let mut no_echo = q;
    no_echo.echostr = None;
    assert_eq!(
        d.verify_url(&no_echo),
        Err(CallbackError::MissingQueryParameter("echostr"))
    );
}

#[test]
fn msg_signatures_match() {
    for v in push_vectors()
        .iter()
        .filter(|v| v["kind"] != "url_verification")
    {
        let encrypt = encrypt_of(v);
        assert_eq!(
            signature(&[s(v, "token"), s(v, "timestamp"), s(v, "nonce"), &encrypt]),
            s(v, "msg_signature"),
            "{}",
            s(v, "kind")
        );
    }
}

#[test]
fn decrypts_to_exactly_the_plaintext() {
    for v in push_vectors()
        .iter()
        .filter(|v| v["kind"] != "url_verification")
    {
        let plain = decrypt(&key(s(v, "encoding_aes_key")), &encrypt_of(v)).expect("decrypts");
        assert_eq!(
            String::from_utf8(plain.message).as_deref(),
            Ok(s(v, "plaintext")),
            "{}",
            s(v, "kind")
        );
        assert_eq!(plain.app_id, s(v, "app_id").as_bytes(), "{}", s(v, "kind"));
    }
}

#[test]
fn official_vector_pads_19_bytes_to_a_32_byte_block() {
    let v = vector("safe_mode_json");
    let encrypt = encrypt_of(&v);
    let ciphertext_len = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        encrypt.as_bytes(),
    )
    .expect("base64")
    .len();
    let framed = 20 + s(&v, "plaintext").len() + s(&v, "app_id").len();
    assert_eq!(ciphertext_len - framed, 19);
    assert_eq!(ciphertext_len % 32, 0);
}

#[test]
fn re_encryption_reproduces_the_vectors() {
    // wechatpy drew these with a fixed random prefix: encrypting again with the same prefix
    // must give the very same ciphertext and msg_signature.
    for v in push_vectors()
        .iter()
        .filter(|v| v["kind"] != "url_verification")
    {
        let k = key(s(v, "encoding_aes_key"));
        let plain = decrypt(&k, &encrypt_of(v)).expect("decrypts");
        let again = encrypt(
            &k,
            s(v, "app_id"),
            s(v, "plaintext").as_bytes(),
            plain.random,
        );
        assert_eq!(
            again.as_deref(),
            Ok(encrypt_of(v).as_str()),
            "{}",
            s(v, "kind")
        );

        let envelope = if s(v, "body").starts_with('<') {
            Format::Xml
        } else {
            Format::Json
        };
        let pushed = encrypt_push(
            &token(s(v, "token")),
            &k,
            s(v, "app_id"),
            "gh_abc",
            s(v, "plaintext"),
            envelope,
            &SealParams {
                timestamp: s(v, "timestamp").into(),
                nonce: s(v, "nonce").into(),
                random: plain.random,
            },
        )
        .expect("encrypts");
        assert_eq!(
            pushed.query.msg_signature.as_deref(),
            Some(s(v, "msg_signature"))
        );
        if envelope == Format::Xml {
            assert_eq!(pushed.body, s(v, "body"), "{}", s(v, "kind"));
        }
    }
}

#[test]
fn official_json_vector_decodes() {
    let v = vector("safe_mode_json");
    let push = vector_decoder(&v)
        .decode(&query(&v), s(&v, "body").as_bytes())
        .expect("decodes");
    let expected: Value = serde_json::from_str(s(&v, "plaintext")).expect("plaintext json");
    assert_eq!(push.message, expected);
    assert_eq!(push.event.as_deref(), Some("debug_demo"));
    assert_eq!(push.format, Format::Json);
    assert_eq!(push.envelope_format, Format::Json);
    assert!(push.encrypted);
    assert_eq!(push.app_id.as_deref(), Some("wxba5fad812f8e6fb9"));
}

#[test]
fn coin_pay_json_vector_decodes() {
    let v = vector("safe_mode_coin_pay_json");
    let push = vector_decoder(&v)
        .decode(&query(&v), s(&v, "body").as_bytes())
        .expect("decodes");
    let expected: Value = serde_json::from_str(s(&v, "plaintext")).expect("plaintext json");
    assert_eq!(push.message, expected);
    assert_eq!(push.event.as_deref(), Some("xpay_coin_pay_notify"));
    assert_eq!(push.message["CoinInfo"]["Attach"], "用户自定义");
    assert_eq!(push.message["WeChatPayInfo"]["TransactionId"], "4200000001");
    assert_eq!(push.app_id.as_deref(), Some(APP_ID));
}

#[test]
fn goods_deliver_xml_vector_is_typed() {
    let v = vector("safe_mode_goods_deliver_xml");
    let push = vector_decoder(&v)
        .decode(&query(&v), s(&v, "body").as_bytes())
        .expect("decodes");
    assert_eq!(push.format, Format::Xml);
    assert_eq!(push.envelope_format, Format::Xml);
    assert_eq!(push.event.as_deref(), Some("xpay_goods_deliver_notify"));
    assert_eq!(
        push.message,
        json!({
            "ToUserName": "gh_abc",
            "FromUserName": "o_official",
            "CreateTime": 1732700100,
            "MsgType": "event",
            "Event": "xpay_goods_deliver_notify",
            "OpenId": "o-user-2",
            "OutTradeNo": "trade_002",
            "Env": 1,
            "WeChatPayInfo": {
                "MchOrderNo": "mch_002",
                "TransactionId": "4200000002",
                "PaidTime": 1732700101
            },
            "GoodsInfo": {
                "ProductId": "sword_01",
                "Quantity": 2,
                "OrigPrice": 100,
                "ActualPrice": 90,
                "Attach": "a&b<c>"
            }
        })
    );
    assert!(push.message["GoodsInfo"]["Quantity"].is_number());
    assert!(push.message["WeChatPayInfo"]["TransactionId"].is_string());
}

#[test]
fn refund_json_in_xml_envelope_decodes() {
    let v = vector("safe_mode_refund_json_in_xml_envelope");
    let push = vector_decoder(&v)
        .decode(&query(&v), s(&v, "body").as_bytes())
        .expect("decodes");
    let expected: Value = serde_json::from_str(s(&v, "plaintext")).expect("plaintext json");
    assert_eq!(push.message, expected);
    assert_eq!(push.format, Format::Json);
    assert_eq!(push.envelope_format, Format::Xml);
    assert_eq!(push.message["RetMsg"], "");
    assert_eq!(push.event.as_deref(), Some("xpay_refund_notify"));
}

#[test]
fn vectors_decode_without_an_appid_check_and_query_parsing() {
    for v in push_vectors()
        .iter()
        .filter(|v| v["kind"] != "url_verification")
    {
        let d = decoder(
            CallbackConfig::new(token(s(v, "token"))).with_aes_key(key(s(v, "encoding_aes_key"))),
        );
        let raw = format!(
            "?signature=x&timestamp={}&nonce={}&encrypt_type=aes&msg_signature={}&openid=o1",
            s(v, "timestamp"),
            s(v, "nonce"),
            s(v, "msg_signature")
        );
        let push = d.decode(&PushQuery::parse(&raw), s(v, "body").as_bytes());
        assert_eq!(
            push.map(|p| p.app_id),
            Ok(Some(s(v, "app_id").to_string())),
            "{}",
            s(v, "kind")
        );
    }
}

#[test]
fn vectors_reject_another_apps_appid() {
    let v = vector("safe_mode_coin_pay_json");
    let d = decoder(
        CallbackConfig::new(token(TOKEN))
            .with_aes_key(key(KEY))
            .with_app_id("wx_other_app"),
    );
    assert_eq!(
        d.decode(&query(&v), s(&v, "body").as_bytes()),
        Err(CallbackError::AppIdMismatch {
            expected: "wx_other_app".into(),
            got: APP_ID.into()
        })
    );
}
