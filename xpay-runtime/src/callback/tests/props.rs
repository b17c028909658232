//! Property tests: no input makes decoding panic, and what the sending side builds decodes
//! back to the same message.

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::callback::format::{Scalar, render_fields};
use crate::callback::{
    CallbackError, Format, PushQuery, encrypt, encrypt_push, render_message, sign_plain_push,
    signature,
};

const TS: &str = "1732700000";
const NONCE: &str = "n1";

fn query_strings() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "((signature|timestamp|nonce|echostr|encrypt_type|msg_signature|openid|x)=[a-z0-9%+&=]{0,12}&?){0,7}",
        "signature=[0-9a-f]{40}&timestamp=[0-9]{1,12}&nonce=[0-9]{1,10}(&encrypt_type=(aes|raw|x))?(&msg_signature=[0-9a-f]{0,40})?",
    ]
}

/// XML-ish text: tags, CDATA, references and text in any order.
fn xmlish() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            "<(xml|Event|CreateTime|CoinInfo|GoodsInfo|Quantity|Env|A)>",
            "</(xml|Event|CreateTime|CoinInfo|GoodsInfo|Quantity|Env|A)>",
            "<[A-Za-z]{1,3}/>",
            "<!\\[CDATA\\[[^\\]]{0,6}\\]\\]>",
            "&(amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-z]{1,4});",
            "(xpay_coin_pay_notify|xpay_goods_deliver_notify|[0-9]{1,20}|-?[a-z ]{0,5})",
            "<\\?xml version=\"1.0\"\\?>|<!--[a-z]{0,3}-->|[<>&/\"'=]",
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

fn plain_decoder() -> Decoder {
    decoder(CallbackConfig::new(token(TOKEN)))
}

/// A plain-mode goods delivery whose `Attach` is `attach`.
fn goods_body(attach: &str) -> String {
    render_message(
        &json!({"MsgType": "event", "Event": "xpay_goods_deliver_notify", "GoodsInfo": {"Attach": attach}}),
        Format::Json,
    )
    .unwrap_or_default()
}

fn signed_plain_query() -> PushQuery {
    sign_plain_push(&token(TOKEN), "", Format::Json, &params(TS)).query
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_and_queries_never_panic(
        raw in query_strings(),
        body in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let q = PushQuery::parse(&raw);
        let d = decoder(config());
        let _ = d.decode(&q, &body);
        let _ = d.verify_url(&q);
        let _ = plain_decoder().decode(&q, &body);
    }

    #[test]
    fn signed_plain_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = plain_decoder().decode(&signed_plain_query(), &body);
    }

    #[test]
    fn signed_xmlish_bodies_never_panic(body in xmlish()) {
        let _ = plain_decoder().decode(&signed_plain_query(), body.as_bytes());
        let wrapped = format!("<xml><Event>xpay_coin_pay_notify</Event>{body}</xml>");
        let _ = plain_decoder().decode(&signed_plain_query(), wrapped.as_bytes());
    }

    #[test]
    fn signed_arbitrary_encrypt_never_panics(encrypt in "[A-Za-z0-9+/=]{0,200}|.{0,50}") {
        let q = PushQuery {
            timestamp: Some(TS.into()),
            nonce: Some(NONCE.into()),
            encrypt_type: Some("aes".into()),
            msg_signature: Some(signature(&[TOKEN, TS, NONCE, &encrypt])),
            ..PushQuery::default()
        };
        let body = render_fields(
            Format::Xml,
            &[("ToUserName", Scalar::Str("gh")), ("Encrypt", Scalar::Str(&encrypt))],
        );
        let _ = decoder(config()).decode(&q, body.as_bytes());
    }

    #[test]
    fn encrypted_arbitrary_plaintexts_never_panic(
        message in proptest::collection::vec(any::<u8>(), 0..256),
        xml in xmlish(),
        app_id in "wx1234567890abcdef|.{0,20}",
    ) {
        let d = decoder(CallbackConfig::new(token(TOKEN)).with_aes_key(key(KEY)));
        for m in [message.as_slice(), xml.as_bytes()] {
            let enc = encrypt(&key(KEY), &app_id, m, [3; 16]);
            prop_assert!(enc.is_ok());
            let enc = enc.unwrap_or_default();
            let q = PushQuery {
                timestamp: Some(TS.into()),
                nonce: Some(NONCE.into()),
                encrypt_type: Some("aes".into()),
                msg_signature: Some(signature(&[TOKEN, TS, NONCE, &enc])),
                ..PushQuery::default()
            };
            let body = render_fields(Format::Json, &[("Encrypt", Scalar::Str(&enc))]);
            let _ = d.decode(&q, body.as_bytes());
        }
    }

    #[test]
    fn any_strings_round_trip(
        attach in "[^\r]{0,40}",
        product in "[^\r]{0,20}",
        transaction in "[0-9]{1,30}",
        quantity in any::<i64>(),
        plaintext_xml in any::<bool>(),
        envelope_xml in any::<bool>(),
    ) {
        let event = json!({
            "Event": "xpay_goods_deliver_notify",
            "CreateTime": 1,
            "WeChatPayInfo": {"TransactionId": transaction},
            "GoodsInfo": {"ProductId": product, "Quantity": quantity, "Attach": attach},
        });
        let fmt = |xml: bool| if xml { Format::Xml } else { Format::Json };
        let message = render_message(&event, fmt(plaintext_xml));
        prop_assert!(message.is_ok());
        let pushed = encrypt_push(
            &token(TOKEN),
            &key(KEY),
            APP_ID,
            "gh",
            &message.unwrap_or_default(),
            fmt(envelope_xml),
            &params(TS),
        );
        prop_assert!(pushed.is_ok());
        let Ok(pushed) = pushed else { return Ok(()) };
        let push = decoder(config()).decode(&pushed.query, pushed.body.as_bytes());
        prop_assert_eq!(push.map(|p| p.message), Ok(event));
    }

    /// The plain-mode downgrade: any safe-mode push, its query stripped of `encrypt_type` and
    /// `msg_signature` but keeping a valid `signature`, with any body (the envelope, the
    /// plaintext, anything), is refused by a receiver that has the key.
    #[test]
    fn plain_downgrades_of_safe_pushes_are_refused(
        quantity in any::<i64>(),
        xml in any::<bool>(),
        strip_type in any::<bool>(),
        other in proptest::collection::vec(any::<u8>(), 1..256),
    ) {
        let message = render_message(
            &json!({"MsgType": "event", "Event": "xpay_goods_deliver_notify", "GoodsInfo": {"Quantity": quantity}}),
            if xml { Format::Xml } else { Format::Json },
        ).unwrap_or_default();
        let pushed = encrypt_push(&token(TOKEN), &key(KEY), APP_ID, "gh", &message, Format::Json, &params(TS));
        prop_assert!(pushed.is_ok());
        let Ok(pushed) = pushed else { return Ok(()) };
        let mut q = pushed.query.clone();
        q.msg_signature = None;
        q.encrypt_type = if strip_type { None } else { Some("raw".into()) };
        q.signature = Some(signature(&[TOKEN, TS, q.nonce.as_deref().unwrap_or_default()]));
        let d = decoder(config());
        for body in [pushed.body.as_bytes(), message.as_bytes(), other.as_slice()] {
            let refused = d.decode(&q, body);
            prop_assert!(matches!(
                refused,
                Err(CallbackError::PlainModeRefused | CallbackError::EmptyBody)
            ), "{:?}", refused);
        }
    }

    /// The replay: once a plain-mode query came with a body, any other body under it is
    /// refused, while the same body passes again.
    #[test]
    fn replayed_plain_queries_pass_only_with_their_first_body(
        first in "[a-z0-9 ]{0,40}",
        other in "[a-z0-9 ]{0,40}",
    ) {
        prop_assume!(first != other);
        let rt = tokio::runtime::Builder::new_current_thread().build();
        prop_assert!(rt.is_ok());
        let Ok(rt) = rt else { return Ok(()) };
        let d = plain_decoder();
        let body = goods_body;
        let pushed = sign_plain_push(&token(TOKEN), &body(&first), Format::Json, &params(TS));
        rt.block_on(async {
            prop_assert!(d.receive(&pushed.query, pushed.body.as_bytes()).await.is_ok());
            prop_assert!(d.receive(&pushed.query, pushed.body.as_bytes()).await.is_ok());
            let replayed = d.receive(&pushed.query, body(&other).as_bytes()).await;
            prop_assert!(matches!(replayed, Err(CallbackError::Replayed { .. })), "{:?}", replayed);
            Ok(())
        })?;
    }

    /// Every spelling of a captured plain query that still verifies is the same query: the
    /// signature's case and surrounding spaces (verification ignores them), and characters
    /// moved between `timestamp` and `nonce` (WeChat signs their sorted concatenation, so
    /// `1732700000` + `nonce42` and `1732700000no` + `nce42` carry one signature). A forged
    /// body under any of them is a replay; the first body is still a retry.
    #[test]
    fn a_respelled_plain_query_is_still_a_replay(
        split in 0usize..7,
        upper: bool,
        pad in "[ \t]{0,3}",
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().build();
        prop_assert!(rt.is_ok());
        let Ok(rt) = rt else { return Ok(()) };
        let d = plain_decoder();
        let body = goods_body;
        let pushed = sign_plain_push(&token(TOKEN), &body("first"), Format::Json, &params(TS));
        let mut respelled = pushed.query.clone();
        let nonce = respelled.nonce.clone().unwrap_or_default();
        prop_assert_eq!(nonce.as_str(), "nonce42");
        respelled.timestamp = Some(format!("{TS}{}", &nonce[..split]));
        respelled.nonce = Some(nonce[split..].to_string());
        let signature = respelled.signature.clone().unwrap_or_default();
        let signature = if upper { signature.to_ascii_uppercase() } else { signature };
        respelled.signature = Some(format!("{pad}{signature}{pad}"));
        rt.block_on(async {
            prop_assert!(d.receive(&pushed.query, pushed.body.as_bytes()).await.is_ok());
            // The respelled query verifies: only the seen-query check stands in the way.
            prop_assert!(d.decode(&respelled, body("forged").as_bytes()).is_ok());
            let forged = d.receive(&respelled, body("forged").as_bytes()).await;
            prop_assert!(matches!(forged, Err(CallbackError::Replayed { .. })), "{:?}", forged);
            prop_assert!(d.receive(&respelled, pushed.body.as_bytes()).await.is_ok());
            Ok(())
        })?;
    }
}
