//! The one-pass typed decoding of pushes against the general path (parse every field, then
//! type), over generated pushes: every event of the built-in spec, each field absent, of its
//! type, a digit string, empty, of another shape, or unknown; `Event` early (as WeChat writes
//! it) or late; JSON and XML; plain and safe mode. Both paths must give the same envelope and
//! event, or the same error: the fast path may only be faster.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use xpay::CallbackToken;
use xpay::api::{Envelope, Event, SPEC};
use xpay::callback::{
    CallbackConfig, CallbackError, Decoder, EncodingAesKey, Format, PushQuery, SealParams,
    encrypt_push, sign_plain_push,
};
use xpay::meta::{FieldMeta, TypeMeta};

const TOKEN: &str = "paths-token";
const AES: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const APP: &str = "wx1234567890abcdef";

fn scalar_string(rng: &mut StdRng) -> Value {
    match rng.random_range(0..6) {
        0 => json!(""),
        1 => json!(rng.random_range(0..100_000).to_string()),
        2 => json!(rng.random_range(0..1000)),
        _ => {
            let len = rng.random_range(1..10);
            json!(
                (0..len)
                    .map(|_| rng.random_range(b'a'..=b'z') as char)
                    .collect::<String>()
            )
        }
    }
}

fn value_for(ty: &TypeMeta, rng: &mut StdRng, depth: usize) -> Value {
    match ty {
        TypeMeta::Int | TypeMeta::Env | TypeMeta::IntEnum(..) => match rng.random_range(0..10) {
            0 => json!(""),
            1 => json!(rng.random_range(0..3).to_string()),
            2 => json!(" 7 "),
            3 => json!("x1"),
            4 => json!(1.5),
            5 => json!(true),
            6 => Value::Null,
            7 => json!(-3),
            8 => match ty {
                TypeMeta::IntEnum(_, values) if !values.is_empty() => {
                    json!(values[rng.random_range(0..values.len())])
                }
                _ => json!(i64::MAX),
            },
            _ => json!(rng.random_range(0..2)),
        },
        TypeMeta::Bool => {
            let options = [
                json!(true),
                json!(false),
                json!(0),
                json!(1),
                json!("1"),
                json!("true"),
                json!("TRUE"),
                json!("yes"),
                json!(""),
            ];
            options[rng.random_range(0..options.len())].clone()
        }
        TypeMeta::StrEnum(_, values) if !values.is_empty() && rng.random_bool(0.5) => {
            json!(values[rng.random_range(0..values.len())])
        }
        TypeMeta::String | TypeMeta::StrEnum(..) | TypeMeta::Json(_) => scalar_string(rng),
        TypeMeta::Object(_, fields) => match rng.random_range(0..8) {
            0 => json!(""),
            1 => json!("not an object"),
            _ if depth > 3 => json!({}),
            _ => Value::Object(fields_for(fields, rng, depth + 1).into_iter().collect()),
        },
        TypeMeta::List(item) => {
            let n = rng.random_range(0..3);
            Value::Array((0..n).map(|_| value_for(item, rng, depth + 1)).collect())
        }
    }
}

fn fields_for(fields: &[FieldMeta], rng: &mut StdRng, depth: usize) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = Vec::new();
    for f in fields {
        if rng.random_bool(0.7) {
            out.push((f.name.to_string(), value_for(f.ty, rng, depth)));
        }
    }
    if rng.random_bool(0.2) {
        out.push(("ZzUnknown".into(), json!({"Deep": "x"})));
    }
    out
}

/// A message in a chosen key order: the envelope first (as WeChat writes it), or `Event` late.
fn message(rng: &mut StdRng) -> Vec<(String, Value)> {
    let event = &SPEC.events[rng.random_range(0..SPEC.events.len())];
    let name = if rng.random_bool(0.05) {
        "xpay_not_in_the_spec"
    } else {
        event.name
    };
    let mut envelope = vec![
        ("ToUserName".to_string(), json!("gh_abc")),
        ("FromUserName".to_string(), json!("o_official")),
        ("CreateTime".to_string(), value_for(&TypeMeta::Int, rng, 0)),
        ("MsgType".to_string(), json!("event")),
    ];
    let body = fields_for(event.fields, rng, 0);
    let event_entry = ("Event".to_string(), json!(name));
    let mut all = Vec::new();
    if rng.random_bool(0.8) {
        all.append(&mut envelope);
        all.push(event_entry);
        all.extend(body);
    } else {
        all.extend(body);
        all.push(event_entry);
        all.append(&mut envelope);
    }
    if rng.random_bool(0.03) {
        all.push(("Event".into(), json!("xpay_refund_notify")));
    }
    all
}

fn json_text(entries: &[(String, Value)]) -> String {
    let parts: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), v))
        .collect();
    format!("{{{}}}", parts.join(","))
}

/// An XML element for `value`, written one of the ways WeChat's XML or any XML writer may
/// write it: CDATA (whole or split), escaped text with entity and character references,
/// bare text, `<A/>` or `<A></A>` for nothing, with whitespace, line breaks or comments
/// between elements. Both paths must read every way alike.
fn xml_value(out: &mut String, name: &str, value: &Value, rng: &mut StdRng) {
    match rng.random_range(0..6) {
        0 => out.push_str("\n  "),
        1 => out.push_str("<!-- c -->"),
        2 => out.push_str("\r\n"),
        _ => {}
    }
    match value {
        Value::Array(items) => {
            for item in items {
                xml_value(out, name, item, rng);
            }
        }
        Value::Object(map) => {
            out.push_str(&format!("<{name}>"));
            for (k, v) in map {
                xml_value(out, k, v, rng);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::String(s) => {
            let body = match rng.random_range(0..4) {
                0 => format!("<![CDATA[{s}]]>"),
                1 => {
                    let mid = s
                        .char_indices()
                        .nth(s.chars().count() / 2)
                        .map_or(0, |(i, _)| i);
                    format!("<![CDATA[{}]]><![CDATA[{}]]>", &s[..mid], &s[mid..])
                }
                2 => s
                    .chars()
                    .map(|c| match c {
                        'a' => "&#97;".to_string(),
                        'b' => "&#x62;".to_string(),
                        '&' => "&amp;".to_string(),
                        '<' => "&lt;".to_string(),
                        '>' => "&gt;".to_string(),
                        '\'' => "&apos;".to_string(),
                        '"' => "&quot;".to_string(),
                        c => c.to_string(),
                    })
                    .collect(),
                _ if s.contains(['&', '<', ']']) => format!("<![CDATA[{s}]]>"),
                _ => s.clone(),
            };
            out.push_str(&format!("<{name}>{body}</{name}>"));
        }
        Value::Null if rng.random_bool(0.5) => out.push_str(&format!("<{name}/>")),
        Value::Null => out.push_str(&format!("<{name}></{name}>")),
        other if rng.random_bool(0.3) => {
            out.push_str(&format!("<{name}><![CDATA[{other}]]></{name}>"));
        }
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

fn xml_text(entries: &[(String, Value)], rng: &mut StdRng) -> String {
    let mut out = String::from("<xml>");
    for (k, v) in entries {
        xml_value(&mut out, k, v, rng);
    }
    if rng.random_bool(0.3) {
        out.push('\n');
    }
    out.push_str("</xml>");
    out
}

type Typed = Result<(Envelope, Event), CallbackError>;

fn both_paths(decoder: &Decoder, q: &PushQuery, body: &[u8]) -> (Typed, Typed) {
    let fast = decoder
        .decode_typed::<Event>(q, body)
        .map(|p| (p.envelope, p.event));
    let general = decoder
        .decode(q, body)
        .and_then(Decoder::type_push::<Event>)
        .map(|p| (p.envelope, p.event));
    (fast, general)
}

/// One generated push through both paths; whether the one pass read it.
fn differential(seed: u64) -> bool {
    let mut rng = StdRng::seed_from_u64(seed);
    let (xml, safe, xml_envelope) = (
        rng.random_bool(0.5),
        rng.random_bool(0.5),
        rng.random_bool(0.5),
    );
    let entries = message(&mut rng);
    let text = if xml {
        xml_text(&entries, &mut rng)
    } else {
        json_text(&entries)
    };
    let token = CallbackToken::new(TOKEN).unwrap();
    let (decoder, pushed) = if safe {
        let key = EncodingAesKey::new(AES).unwrap();
        let d = Decoder::new(
            CallbackConfig::new(token.clone())
                .with_aes_key(key.clone())
                .with_app_id(APP),
            &SPEC,
        );
        let envelope = if xml_envelope {
            Format::Xml
        } else {
            Format::Json
        };
        let p = encrypt_push(
            &token,
            &key,
            APP,
            "gh_abc",
            &text,
            envelope,
            &SealParams::fresh(),
        )
        .unwrap();
        (d, p)
    } else {
        let format = if xml { Format::Xml } else { Format::Json };
        let d = Decoder::new(CallbackConfig::new(token.clone()), &SPEC);
        (
            d,
            sign_plain_push(&token, &text, format, &SealParams::fresh()),
        )
    };
    let (fast, general) = both_paths(&decoder, &pushed.query, pushed.body.as_bytes());
    assert_eq!(fast, general, "seed {seed}: {text}");
    decoder
        .decode_typed::<Event>(&pushed.query, pushed.body.as_bytes())
        .is_ok_and(|p| p.raw.__read_in_one_pass())
}

#[test]
fn the_one_pass_reads_every_push_as_the_general_path_does() {
    let cases = 3000;
    let one_pass = (0..cases).filter(|&seed| differential(seed)).count() as u64;
    eprintln!("{one_pass} of {cases} generated pushes read in one pass");
    // Both paths are exercised: the one pass on the pushes it can read, the general path on
    // the rest (odd values, `Event` late, unknown events).
    assert!(one_pass * 10 >= cases, "{one_pass} of {cases} in one pass");
    assert!(
        one_pass * 10 <= cases * 9,
        "{one_pass} of {cases} in one pass"
    );
}

/// Pushes as WeChat writes them (envelope first, every value of its documented type, some as
/// digit strings): both paths agree, and the one pass reads nearly all of them itself.
#[test]
fn well_formed_pushes_take_the_one_pass() {
    let token = CallbackToken::new(TOKEN).unwrap();
    let key = EncodingAesKey::new(AES).unwrap();
    let decoder = Decoder::new(
        CallbackConfig::new(token.clone())
            .with_aes_key(key.clone())
            .with_app_id(APP),
        &SPEC,
    );
    let mut one_pass = 0;
    let cases = 400;
    for seed in 0..cases {
        let mut rng = StdRng::seed_from_u64(seed);
        let event = &SPEC.events[rng.random_range(0..SPEC.events.len())];
        let mut entries = vec![
            ("ToUserName".to_string(), json!("gh_abc")),
            ("FromUserName".to_string(), json!("o_official")),
            ("CreateTime".to_string(), json!(1732700000)),
            ("MsgType".to_string(), json!("event")),
            ("Event".to_string(), json!(event.name)),
        ];
        entries.extend(clean_fields(event.fields, &mut rng));
        let xml = seed % 2 == 0;
        let text = if xml {
            xml_text(&entries, &mut rng)
        } else {
            json_text(&entries)
        };
        let pushed = encrypt_push(
            &token,
            &key,
            APP,
            "gh_abc",
            &text,
            Format::Json,
            &SealParams::fresh(),
        )
        .unwrap();
        let (fast, general) = both_paths(&decoder, &pushed.query, pushed.body.as_bytes());
        assert_eq!(fast, general, "{text}");
        let push = decoder
            .decode_typed::<Event>(&pushed.query, pushed.body.as_bytes())
            .unwrap();
        if push.raw.__read_in_one_pass() {
            one_pass += 1;
        }
    }
    assert!(
        one_pass * 10 >= cases * 9,
        "{one_pass} of {cases} in one pass"
    );
}

fn clean_fields(fields: &[FieldMeta], rng: &mut StdRng) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for f in fields {
        if !rng.random_bool(0.8) {
            continue;
        }
        let v = match f.ty {
            TypeMeta::Int | TypeMeta::Env => {
                if rng.random_bool(0.3) {
                    json!("1")
                } else {
                    json!(rng.random_range(0..2))
                }
            }
            TypeMeta::IntEnum(_, values) if !values.is_empty() => json!(values[0]),
            TypeMeta::IntEnum(..) => json!(1),
            TypeMeta::Bool => json!(rng.random_bool(0.5)),
            TypeMeta::StrEnum(_, values) if !values.is_empty() => json!(values[0]),
            TypeMeta::Object(_, inner) => {
                Value::Object(clean_fields(inner, rng).into_iter().collect())
            }
            TypeMeta::List(_) => continue,
            _ => json!(format!("v{}", rng.random_range(0..1000))),
        };
        out.push((f.name.to_string(), v));
    }
    out
}

/// The one pass is taken for what WeChat sends (the hot path), not only the general path.
#[test]
fn a_wechat_ordered_push_is_read_in_one_pass() {
    let text = r#"{"ToUserName":"gh_abc","FromUserName":"o_official","CreateTime":1732700000,"MsgType":"event","Event":"xpay_coin_pay_notify","OpenId":"o-user-1","OutTradeNo":"trade_1","Env":"0","CoinInfo":{"Quantity":60,"Attach":""}}"#;
    let token = CallbackToken::new(TOKEN).unwrap();
    let decoder = Decoder::new(CallbackConfig::new(token.clone()), &SPEC);
    let pushed = sign_plain_push(&token, text, Format::Json, &SealParams::fresh());
    let push = decoder
        .decode_typed::<Event>(&pushed.query, pushed.body.as_bytes())
        .unwrap();
    let Event::CoinPay(e) = &push.event else {
        panic!("{:?}", push.event)
    };
    assert_eq!(e.env, Some(xpay::Env::Production), "a digit string");
    assert!(push.raw.__read_in_one_pass());
    assert_eq!(push.raw.text(), text);
    assert_eq!(push.raw.fields().unwrap()["OutTradeNo"], "trade_1");
}
