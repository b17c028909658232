//! Neither the token nor the EncodingAESKey ever shows in `Debug` output or error messages.

use super::*;
use crate::callback::{
    CallbackError, Format, PushQuery, ReplyMode, SignatureKind, encrypt_push, signature,
};

/// A token and a key that would be easy to spot in output.
const SECRET_TOKEN: &str = "TOKEN_must_not_leak_7f3a";
const SECRET_KEY: &str = "LEAKxLEAKxLEAKxLEAKxLEAKxLEAKxLEAKxLEAKxLEA";

fn assert_clean(text: &str) {
    assert!(!text.contains(SECRET_TOKEN), "token leaked: {text}");
    assert!(!text.contains(SECRET_KEY), "key leaked: {text}");
    assert!(
        !text.contains("LEAKxLEAK"),
        "part of the key leaked: {text}"
    );
}

fn secret_config() -> CallbackConfig {
    CallbackConfig::new(token(SECRET_TOKEN))
        .with_aes_key(key(SECRET_KEY))
        .with_app_id(APP_ID)
        .with_reply_mode(ReplyMode::Encrypted)
}

#[test]
fn debug_never_shows_secrets() {
    let config = secret_config();
    let shown = format!("{config:?}");
    assert_clean(&shown);
    assert!(shown.contains("REDACTED"), "{shown}");
    assert!(shown.contains(APP_ID), "{shown}");
    let pretty = format!("{config:#?}");
    assert_clean(&pretty);

    let d = decoder(config);
    assert_clean(&format!("{d:?}"));
    assert_clean(&format!("{d:#?}"));

    let k = key(SECRET_KEY);
    assert_eq!(format!("{k:?}"), "EncodingAesKey([REDACTED])");
    assert_eq!(k.expose(), SECRET_KEY, "still usable");
}

#[test]
fn errors_never_show_secrets() {
    let d = decoder(secret_config());
    let t = token(SECRET_TOKEN);
    let k = key(SECRET_KEY);
    let params = params("1732700000");
    let good =
        encrypt_push(&t, &k, APP_ID, "gh", "{\"a\":1}", Format::Json, &params).expect("encrypts");
    let other_app = encrypt_push(&t, &k, "wx_other", "gh", "{\"a\":1}", Format::Xml, &params)
        .expect("encrypts");
    let bad_xml =
        encrypt_push(&t, &k, APP_ID, "gh", "<xml><A>", Format::Xml, &params).expect("encrypts");
    let mut wrong_sig = good.query.clone();
    wrong_sig.msg_signature = Some(signature(&["x", "y"]));
    let plain = PushQuery {
        signature: Some("0".into()),
        timestamp: Some("1".into()),
        nonce: Some("2".into()),
        echostr: Some("e".into()),
        ..PushQuery::default()
    };

    let mut errors: Vec<CallbackError> = vec![
        d.decode(&wrong_sig, good.body.as_bytes()).err(),
        d.decode(&other_app.query, other_app.body.as_bytes()).err(),
        d.decode(&bad_xml.query, bad_xml.body.as_bytes()).err(),
        d.decode(&good.query, b"").err(),
        d.decode(&good.query, b"{\"ToUserName\":\"gh\"}").err(),
        d.decode(&plain, b"<xml/>").err(),
        d.verify_url(&plain).err(),
        d.decode(&PushQuery::default(), b"{}").err(),
        decoder(CallbackConfig::new(token(SECRET_TOKEN)))
            .decode(&good.query, good.body.as_bytes())
            .err(),
    ]
    .into_iter()
    .flatten()
    .collect();
    errors.push(CallbackError::SignatureMismatch(SignatureKind::Url));
    assert_eq!(errors.len(), 10, "every case failed: {errors:?}");
    for e in &errors {
        assert_clean(&e.to_string());
        assert_clean(&format!("{e:?}"));
        let wrapped: crate::Error = e.clone().into();
        assert_clean(&wrapped.to_string());
    }
    for bad in [
        SECRET_KEY[..40].to_string(),
        format!("{}!", &SECRET_KEY[..42]),
    ] {
        let e = EncodingAesKey::new(bad).expect_err("invalid key");
        assert_clean(&e.to_string());
        assert_clean(&format!("{e:?}"));
    }
}
