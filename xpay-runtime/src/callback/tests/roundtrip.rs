//! Round trips: pushes built with the sending side and decoded, and replies in every mode.

use serde_json::{Value, json};

use super::*;
use crate::callback::{
    CallbackError, DecodedPush, FAILURE_ERRCODE, FAILURE_STATUS, Format, PushQuery, Reply,
    ReplyBody, ReplyMode, decrypt, encrypt_push, render_message, sign_plain_push,
    sign_url_verification, signature,
};

fn goods_event() -> Value {
    json!({
        "ToUserName": "gh_abc",
        "FromUserName": "o_official",
        "CreateTime": 1732700100,
        "MsgType": "event",
        "Event": "xpay_goods_deliver_notify",
        "OpenId": "o-user-2",
        "OutTradeNo": "trade_002",
        "Env": 0,
        "WeChatPayInfo": {"MchOrderNo": "m", "TransactionId": "0042000000000000000001", "PaidTime": 5},
        "GoodsInfo": {"ProductId": "p]]>1", "Quantity": 3, "OrigPrice": 100, "ActualPrice": 90, "Attach": "<&>\n中文"},
        "TeamInfo": {"ActivityId": "a", "TeamId": "t", "TeamType": 1, "TeamAction": 2},
        "Unknown": "kept"
    })
}

fn decode_signed(d: &Decoder, q: &PushQuery, body: &str) -> Result<DecodedPush, CallbackError> {
    d.decode(&PushQuery::parse(&q.to_query_string()), body.as_bytes())
}

#[test]
fn encrypted_pushes_in_every_combination() {
    let d = decoder(config());
    let event = goods_event();
    for plaintext in [Format::Json, Format::Xml] {
        for envelope in [Format::Json, Format::Xml] {
            let message = render_message(&event, plaintext).expect("renders");
            let pushed = encrypt_push(
                &token(TOKEN),
                &key(KEY),
                APP_ID,
                "gh_abc",
                &message,
                envelope,
                &SealParams::fresh(),
            )
            .expect("encrypts");
            let push = decode_signed(&d, &pushed.query, &pushed.body).expect("decodes");
            assert_eq!(push.message, event, "{plaintext} in {envelope}");
            assert_eq!(push.format, plaintext);
            assert_eq!(push.envelope_format, envelope);
            assert!(push.encrypted);
            assert_eq!(push.event.as_deref(), Some("xpay_goods_deliver_notify"));
            assert_eq!(push.app_id.as_deref(), Some(APP_ID));
            assert_eq!(pushed.format, envelope);
        }
    }
}

#[test]
fn plain_pushes_json_and_xml() {
    let d = decoder(CallbackConfig::new(token(TOKEN)));
    let event = goods_event();
    for format in [Format::Json, Format::Xml] {
        let message = render_message(&event, format).expect("renders");
        let pushed = sign_plain_push(&token(TOKEN), &message, format, &SealParams::fresh());
        let push = decode_signed(&d, &pushed.query, &pushed.body).expect("decodes");
        assert_eq!(push.message, event);
        assert!(!push.encrypted);
        assert_eq!(push.app_id, None);
        assert_eq!(push.format, format);
    }
}

#[test]
fn url_verification_round_trip() {
    let d = decoder(CallbackConfig::new(token(TOKEN)));
    let q = sign_url_verification(&token(TOKEN), "echo 1&2", &params("1700000000"));
    let parsed = PushQuery::parse(&q.to_query_string());
    assert_eq!(d.verify_url(&parsed), Ok("echo 1&2"));
}

fn encrypted_push(plaintext: Format, envelope: Format) -> DecodedPush {
    let message = render_message(&goods_event(), plaintext).expect("renders");
    let pushed = encrypt_push(
        &token(TOKEN),
        &key(KEY),
        APP_ID,
        "gh_abc",
        &message,
        envelope,
        &SealParams::fresh(),
    )
    .expect("encrypts");
    decode_signed(&decoder(config()), &pushed.query, &pushed.body).expect("decodes")
}

/// Decodes an encrypted reply as if it were a push: checks its MsgSignature and decrypts it.
fn open_reply(reply: &ReplyBody, envelope: Format) -> DecodedPush {
    let text = reply.text();
    let (ts, nonce, sig) = match envelope {
        Format::Json => {
            let v: Value = serde_json::from_str(text).expect("json reply");
            let obj = v.as_object().expect("object");
            let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
            assert_eq!(keys.len(), 4, "{keys:?}");
            assert!(v["TimeStamp"].is_number());
            (
                v["TimeStamp"].to_string(),
                v["Nonce"].as_str().expect("Nonce").to_string(),
                v["MsgSignature"].as_str().expect("sig").to_string(),
            )
        }
        Format::Xml => {
            let grab = |tag: &str| {
                let open = format!("<{tag}>");
                let start = text.find(&open).expect("tag") + open.len();
                let end = text.find(&format!("</{tag}>")).expect("end tag");
                text[start..end]
                    .trim_start_matches("<![CDATA[")
                    .trim_end_matches("]]>")
                    .to_string()
            };
            (grab("TimeStamp"), grab("Nonce"), grab("MsgSignature"))
        }
    };
    let q = PushQuery {
        timestamp: Some(ts),
        nonce: Some(nonce),
        encrypt_type: Some("aes".into()),
        msg_signature: Some(sig),
        ..PushQuery::default()
    };
    decoder(config())
        .decode(&q, &reply.body)
        .expect("the encrypted reply decodes like a push")
}

#[test]
fn encrypted_replies_round_trip() {
    let d = decoder(config().with_reply_mode(ReplyMode::Encrypted));
    for plaintext in [Format::Json, Format::Xml] {
        for envelope in [Format::Json, Format::Xml] {
            let push = encrypted_push(plaintext, envelope);
            let reply = d.reply(&push, &Reply::Success).expect("replies");
            assert_eq!(reply.status, 200);
            assert_eq!(reply.content_type, envelope.content_type());
            let opened = open_reply(&reply, envelope);
            assert_eq!(opened.app_id.as_deref(), Some(APP_ID));
            let expected = match plaintext {
                Format::Json => json!({"ErrCode": 0, "ErrMsg": "success"}),
                // Unknown to the spec, so XML values stay text.
                Format::Xml => json!({"ErrCode": "0", "ErrMsg": "success"}),
            };
            assert_eq!(opened.message, expected, "{plaintext} in {envelope}");
        }
    }
}

#[test]
fn encrypted_custom_and_failure_replies() {
    let d = decoder(config().with_reply_mode(ReplyMode::Encrypted));
    let push = encrypted_push(Format::Json, Format::Xml);
    let custom = json!({"result_code": 0, "result_info": "ok", "evidence": "e"});
    let reply = d
        .reply(&push, &Reply::Custom(custom.clone()))
        .expect("replies");
    assert_eq!(reply.status, 200);
    assert_eq!(open_reply(&reply, Format::Xml).message, custom);

    let failed = d
        .reply(&push, &Reply::Failure("db down".into()))
        .expect("replies");
    assert_eq!(failed.status, FAILURE_STATUS);
    assert_eq!(
        open_reply(&failed, Format::Xml).message,
        json!({"ErrCode": FAILURE_ERRCODE, "ErrMsg": "db down"})
    );
}

#[test]
fn encrypted_reply_is_deterministic_with_fixed_params() {
    let d = decoder(config().with_reply_mode(ReplyMode::Encrypted));
    let push = encrypted_push(Format::Json, Format::Json);
    let p = params("1732700000");
    let a = d.reply_with(&push, &Reply::Success, &p).expect("replies");
    let b = d.reply_with(&push, &Reply::Success, &p).expect("replies");
    assert_eq!(a, b);
    let v: Value = serde_json::from_slice(&a.body).expect("json");
    assert_eq!(v["TimeStamp"], 1732700000);
    assert_eq!(v["Nonce"], "nonce42");
    let encrypt = v["Encrypt"].as_str().expect("Encrypt");
    assert_eq!(
        v["MsgSignature"],
        signature(&[TOKEN, "1732700000", "nonce42", encrypt])
    );
    let plain = decrypt(&key(KEY), encrypt).expect("decrypts");
    assert_eq!(plain.random, *b"0123456789abcdef");
    assert_eq!(plain.message, br#"{"ErrCode":0,"ErrMsg":"success"}"#);
}

#[test]
fn standard_replies_are_exact() {
    let d = decoder(config());
    let json_push = encrypted_push(Format::Json, Format::Json);
    let xml_push = encrypted_push(Format::Xml, Format::Xml);

    let ok = d.reply(&json_push, &Reply::Success).expect("replies");
    assert_eq!(ok.text(), r#"{"ErrCode":0,"ErrMsg":"success"}"#);
    assert_eq!(ok.status, 200);
    assert_eq!(ok.content_type, "application/json");

    let ok = d.reply(&xml_push, &Reply::Success).expect("replies");
    assert_eq!(
        ok.text(),
        "<xml><ErrCode>0</ErrCode><ErrMsg><![CDATA[success]]></ErrMsg></xml>"
    );
    assert_eq!(ok.content_type, "text/xml; charset=utf-8");

    let failed = d
        .reply(&json_push, &Reply::Failure("try \"later\"".into()))
        .expect("replies");
    assert_eq!(failed.status, FAILURE_STATUS);
    assert_eq!(failed.text(), r#"{"ErrCode":1,"ErrMsg":"try \"later\""}"#);

    let failed = d
        .reply(&xml_push, &Reply::Failure("x]]>y".into()))
        .expect("replies");
    assert_eq!(
        failed.text(),
        "<xml><ErrCode>1</ErrCode><ErrMsg><![CDATA[x]]]]><![CDATA[>y]]></ErrMsg></xml>"
    );
    assert_eq!(
        ReplyBody::failure(Format::Json, "bad signature").text(),
        r#"{"ErrCode":1,"ErrMsg":"bad signature"}"#
    );
    assert_eq!(
        ReplyBody::failure(Format::Xml, "bad").status,
        FAILURE_STATUS
    );
}

#[test]
fn standard_reply_to_a_mixed_push_uses_the_envelope_format() {
    let d = decoder(config());
    let push = encrypted_push(Format::Json, Format::Xml);
    let ok = d.reply(&push, &Reply::Success).expect("replies");
    assert!(ok.text().starts_with("<xml><ErrCode>0</ErrCode>"));
}

#[test]
fn custom_replies_in_the_push_format() {
    let d = decoder(config());
    let custom = json!({"result_code": 1, "result_info": "no", "evidence": "e&1"});
    let reply = d
        .reply(
            &encrypted_push(Format::Json, Format::Json),
            &Reply::Custom(custom.clone()),
        )
        .expect("replies");
    assert_eq!(
        serde_json::from_slice::<Value>(&reply.body).ok(),
        Some(custom.clone())
    );
    let reply = d
        .reply(
            &encrypted_push(Format::Xml, Format::Xml),
            &Reply::Custom(custom.clone()),
        )
        .expect("replies");
    let text = reply.text();
    assert!(
        text.starts_with("<xml><") && text.ends_with("></xml>"),
        "{text}"
    );
    for part in [
        "<evidence><![CDATA[e&1]]></evidence>",
        "<result_code>1</result_code>",
        "<result_info><![CDATA[no]]></result_info>",
    ] {
        assert!(text.contains(part), "{text}");
    }
    assert_eq!(text.len(), "<xml></xml>".len() + 105);
    let bad = d.reply(
        &encrypted_push(Format::Xml, Format::Xml),
        &Reply::Custom(json!("not an object")),
    );
    assert!(matches!(
        bad,
        Err(CallbackError::InvalidReply {
            format: Format::Xml,
            ..
        })
    ));
}

#[test]
fn plain_success_mode() {
    let d = decoder(config().with_reply_mode(ReplyMode::PlainSuccess));
    let push = encrypted_push(Format::Xml, Format::Xml);
    let ok = d.reply(&push, &Reply::Success).expect("replies");
    assert_eq!(ok.text(), "success");
    assert_eq!(ok.content_type, "text/plain; charset=utf-8");
    let failed = d
        .reply(&push, &Reply::Failure(String::new()))
        .expect("replies");
    assert_eq!((failed.status, failed.text()), (FAILURE_STATUS, "fail"));
    let custom = d
        .reply(&push, &Reply::Custom(json!({"a": "b"})))
        .expect("replies");
    assert_eq!(custom.text(), "<xml><a><![CDATA[b]]></a></xml>");
}

#[test]
fn encrypted_mode_answers_plain_pushes_in_standard_form() {
    // Plain pushes reach only a receiver without a key.
    let d = decoder(CallbackConfig::new(token(TOKEN)).with_reply_mode(ReplyMode::Encrypted));
    let message = render_message(&goods_event(), Format::Json).expect("renders");
    let pushed = sign_plain_push(&token(TOKEN), &message, Format::Json, &SealParams::fresh());
    let push = decode_signed(&d, &pushed.query, &pushed.body).expect("decodes");
    let ok = d.reply(&push, &Reply::Success).expect("replies");
    assert_eq!(ok.text(), r#"{"ErrCode":0,"ErrMsg":"success"}"#);
}

#[test]
fn encrypted_reply_needs_a_key() {
    let d = decoder(CallbackConfig::new(token(TOKEN)).with_reply_mode(ReplyMode::Encrypted));
    let push = DecodedPush {
        format: Format::Json,
        envelope_format: Format::Json,
        encrypted: true,
        message: json!({}),
        event: None,
        app_id: Some(APP_ID.into()),
    };
    assert_eq!(
        d.reply(&push, &Reply::Success),
        Err(CallbackError::NoAesKey)
    );
}

#[test]
fn module_doc_example_runs() {
    // The same steps as the module docs, on a real push.
    let message = render_message(&goods_event(), Format::Xml).expect("renders");
    let pushed = encrypt_push(
        &token("token"),
        &key(KEY),
        APP_ID,
        "gh_abc",
        &message,
        Format::Xml,
        &SealParams::fresh(),
    )
    .expect("encrypts");
    let raw_query = pushed.query.to_query_string();
    let run = || -> Result<ReplyBody, crate::Error> {
        let config = CallbackConfig::new(CallbackToken::new("token")?)
            .with_aes_key(EncodingAesKey::new(KEY)?)
            .with_app_id(APP_ID);
        let decoder = Decoder::new(config, &api::SPEC);
        let query = PushQuery::parse(&raw_query);
        let push = decoder.decode(&query, pushed.body.as_bytes())?;
        assert_eq!(push.event.as_deref(), Some("xpay_goods_deliver_notify"));
        Ok(decoder.reply(&push, &Reply::Success)?)
    };
    assert_eq!(run().map(|r| r.status).ok(), Some(200));
}
