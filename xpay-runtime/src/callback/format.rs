//! JSON and XML documents of a push: format detection, the safe-mode envelope, the message
//! (plaintext or plain-mode body), and writing messages, envelopes and replies.

use serde_json::{Map, Value};

use super::Format;
use super::coerce::coerce_message;
use super::error::CallbackError;
use super::xml::{self, is_valid_name, write_cdata};
use crate::check::json_kind;
use crate::meta::SpecMeta;

/// Finds a document's format from its first significant character (after a UTF-8 BOM and
/// whitespace). `what` names the document in errors.
pub(crate) fn detect(text: &str, what: &'static str) -> Result<Format, CallbackError> {
    match text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .next()
    {
        Some('{') => Ok(Format::Json),
        Some('<') => Ok(Format::Xml),
        None if what == "body" => Err(CallbackError::EmptyBody),
        _ => Err(CallbackError::UnrecognizedFormat(what)),
    }
}

pub(crate) fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// A safe-mode envelope: `{"ToUserName","Encrypt"}` or `<xml><ToUserName/><Encrypt/></xml>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Envelope {
    pub format: Format,
    pub encrypt: String,
}

/// Parses a safe-mode envelope and takes its `Encrypt` out. Other fields (compatible mode sends
/// the plain fields beside it) are ignored: only the encrypted copy is trusted.
pub(crate) fn parse_envelope(body: &str) -> Result<Envelope, CallbackError> {
    const WHAT: &str = super::error::ENVELOPE;
    let missing = CallbackError::MissingField {
        field: "Encrypt",
        what: WHAT,
    };
    match detect(body, WHAT)? {
        Format::Json => {
            // Only `Encrypt` is needed: read it borrowed, skipping the rest, instead of
            // building the whole envelope as a JSON value.
            #[derive(serde::Deserialize)]
            struct JsonEnvelope<'a> {
                #[serde(rename = "Encrypt", borrow, default)]
                encrypt: Option<std::borrow::Cow<'a, str>>,
            }
            match serde_json::from_str::<JsonEnvelope<'_>>(strip_bom(body)) {
                Ok(JsonEnvelope {
                    encrypt: Some(encrypt),
                }) => Ok(Envelope {
                    format: Format::Json,
                    encrypt: encrypt.into_owned(),
                }),
                Ok(JsonEnvelope { encrypt: None }) => Err(missing),
                // Not an object, or `Encrypt` not a string: say which, from the full value.
                Err(e) => match json_object(body, WHAT) {
                    Err(not_an_object) => Err(not_an_object),
                    Ok(object) => match object.get("Encrypt") {
                        // A string after all: serde's own message says what is wrong (a
                        // duplicate `Encrypt`, say).
                        Some(Value::String(_)) | None => {
                            Err(CallbackError::malformed(Format::Json, WHAT, e))
                        }
                        Some(other) => Err(CallbackError::malformed(
                            Format::Json,
                            WHAT,
                            format!("`Encrypt` must be a string, got {}", json_kind(other)),
                        )),
                    },
                },
            }
        }
        Format::Xml => {
            let root = xml::parse(strip_bom(body), WHAT)?;
            if root.children.iter().filter(|c| c.name == "Encrypt").count() > 1 {
                return Err(CallbackError::malformed(
                    Format::Xml,
                    WHAT,
                    "duplicate element `Encrypt`",
                ));
            }
            match root.child("Encrypt") {
                Some(e) if e.children.is_empty() => Ok(Envelope {
                    format: Format::Xml,
                    encrypt: e.text.clone(),
                }),
                Some(_) => Err(CallbackError::malformed(
                    Format::Xml,
                    WHAT,
                    "`Encrypt` must be text, not elements",
                )),
                None => Err(missing),
            }
        }
    }
}

/// Parses a message (a decrypted plaintext or a plain-mode body): JSON as it is, XML typed by
/// the spec. It must be an object.
pub(crate) fn parse_message(
    text: &str,
    spec: &SpecMeta,
) -> Result<(Format, Map<String, Value>), CallbackError> {
    const WHAT: &str = "message";
    match detect(text, WHAT)? {
        Format::Json => Ok((Format::Json, json_object(text, WHAT)?)),
        Format::Xml => {
            let root = xml::parse(strip_bom(text), WHAT)?;
            Ok((Format::Xml, coerce_message(&root, spec)))
        }
    }
}

fn json_object(text: &str, what: &'static str) -> Result<Map<String, Value>, CallbackError> {
    match serde_json::from_str::<Value>(strip_bom(text)) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(CallbackError::malformed(
            Format::Json,
            what,
            format!("expected an object, got {}", json_kind(&other)),
        )),
        Err(e) => Err(CallbackError::malformed(Format::Json, what, e)),
    }
}

/// A scalar in a fixed-order document (replies and envelopes).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scalar<'a> {
    /// Text: a JSON string, XML CDATA.
    Str(&'a str),
    /// An integer: a JSON number, plain XML text.
    Int(i64),
}

/// Writes `{"k":v,…}` or `<xml><k>v</k>…</xml>` with the fields in the given order.
pub(crate) fn render_fields(format: Format, fields: &[(&str, Scalar<'_>)]) -> String {
    let mut out = String::new();
    match format {
        Format::Json => {
            out.push('{');
            for (i, (name, value)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*name).to_string()).to_string());
                out.push(':');
                match value {
                    Scalar::Str(s) => out.push_str(&Value::String((*s).to_string()).to_string()),
                    Scalar::Int(n) => out.push_str(&n.to_string()),
                }
            }
            out.push('}');
        }
        Format::Xml => {
            out.push_str("<xml>");
            for (name, value) in fields {
                out.push('<');
                out.push_str(name);
                out.push('>');
                match value {
                    Scalar::Str(s) => write_cdata(&mut out, s),
                    Scalar::Int(n) => out.push_str(&n.to_string()),
                }
                out.push_str("</");
                out.push_str(name);
                out.push('>');
            }
            out.push_str("</xml>");
        }
    }
    out
}

/// Writes a message (a JSON object) as a JSON or XML document.
///
/// XML is `<xml>…</xml>` with one element per field: strings as CDATA, numbers and booleans as
/// text, `null` as an empty element, objects as nested elements and arrays as repeated
/// elements. Decoding such a document with the spec gives the object back. Fails when the
/// value is not an object, for XML when a name cannot be a tag or arrays nest directly.
pub fn render_message(message: &Value, format: Format) -> Result<String, CallbackError> {
    let Value::Object(map) = message else {
        return Err(CallbackError::InvalidReply {
            format,
            message: format!("a message must be an object, not {}", json_kind(message)),
        });
    };
    // WeChat writes the envelope first (`ToUserName` … `Event`), then the event's fields.
    let first = ENVELOPE_ORDER.iter().filter_map(|k| map.get_key_value(*k));
    let rest = map
        .iter()
        .filter(|(k, _)| !ENVELOPE_ORDER.contains(&k.as_str()));
    let ordered: Vec<(&String, &Value)> = first.chain(rest).collect();
    match format {
        Format::Json => {
            let mut out = String::from("{");
            for (i, (name, value)) in ordered.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(name.clone()).to_string());
                out.push(':');
                out.push_str(&value.to_string());
            }
            out.push('}');
            Ok(out)
        }
        Format::Xml => {
            let mut out = String::from("<xml>");
            write_xml_fields(&mut out, ordered, 0)?;
            out.push_str("</xml>");
            Ok(out)
        }
    }
}

/// The envelope's fields in the order WeChat writes them, ahead of the event's.
const ENVELOPE_ORDER: [&str; 5] = [
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "Event",
];

fn write_xml_fields<'a>(
    out: &mut String,
    map: impl IntoIterator<Item = (&'a String, &'a Value)>,
    depth: usize,
) -> Result<(), CallbackError> {
    if depth >= xml::MAX_DEPTH {
        return Err(xml_error(format!(
            "objects nested deeper than {} levels",
            xml::MAX_DEPTH
        )));
    }
    for (name, value) in map {
        if !is_valid_name(name) {
            return Err(xml_error(format!("`{name}` cannot be an XML tag name")));
        }
        match value {
            Value::Array(items) => {
                for item in items {
                    if item.is_array() {
                        return Err(xml_error(format!(
                            "`{name}` holds an array inside an array, which XML cannot express"
                        )));
                    }
                    write_xml_element(out, name, item, depth)?;
                }
            }
            other => write_xml_element(out, name, other, depth)?,
        }
    }
    Ok(())
}

fn write_xml_element(
    out: &mut String,
    name: &str,
    value: &Value,
    depth: usize,
) -> Result<(), CallbackError> {
    out.push('<');
    out.push_str(name);
    out.push('>');
    match value {
        Value::Null | Value::Array(_) => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_cdata(out, s),
        Value::Object(map) => write_xml_fields(out, map, depth + 1)?,
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
    Ok(())
}

fn xml_error(message: String) -> CallbackError {
    CallbackError::InvalidReply {
        format: Format::Xml,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn detects_formats() {
        assert_eq!(detect("\u{feff} \n{}", "body"), Ok(Format::Json));
        assert_eq!(detect("  <xml/>", "body"), Ok(Format::Xml));
        assert_eq!(detect(" \n", "body"), Err(CallbackError::EmptyBody));
        assert_eq!(
            detect("", "message"),
            Err(CallbackError::UnrecognizedFormat("message"))
        );
        assert_eq!(
            detect("hello", "body"),
            Err(CallbackError::UnrecognizedFormat("body"))
        );
    }

    #[test]
    fn envelopes() {
        assert_eq!(
            parse_envelope(r#"{"ToUserName":"gh","Encrypt":"abc"}"#),
            Ok(Envelope {
                format: Format::Json,
                encrypt: "abc".into()
            })
        );
        assert_eq!(
            parse_envelope(
                "<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[a+b/]]></Encrypt></xml>"
            ),
            Ok(Envelope {
                format: Format::Xml,
                encrypt: "a+b/".into()
            })
        );
        let missing = CallbackError::MissingField {
            field: "Encrypt",
            what: "envelope",
        };
        assert_eq!(
            parse_envelope(r#"{"ToUserName":"gh"}"#),
            Err(missing.clone())
        );
        assert_eq!(parse_envelope("<xml><ToUserName/></xml>"), Err(missing));
        assert!(matches!(
            parse_envelope(r#"{"Encrypt":1}"#),
            Err(CallbackError::Malformed { message, .. }) if message.contains("a number")
        ));
        assert!(matches!(
            parse_envelope("[1]"),
            Err(CallbackError::UnrecognizedFormat("envelope"))
        ));
        assert!(matches!(
            parse_envelope("{\"Encrypt\":"),
            Err(CallbackError::Malformed {
                format: Format::Json,
                what: "envelope",
                ..
            })
        ));
    }

    #[test]
    fn fixed_order_fields() {
        let fields = [
            ("ErrCode", Scalar::Int(0)),
            ("ErrMsg", Scalar::Str("success")),
        ];
        assert_eq!(
            render_fields(Format::Json, &fields),
            r#"{"ErrCode":0,"ErrMsg":"success"}"#
        );
        assert_eq!(
            render_fields(Format::Xml, &fields),
            "<xml><ErrCode>0</ErrCode><ErrMsg><![CDATA[success]]></ErrMsg></xml>"
        );
        assert_eq!(
            render_fields(Format::Json, &[("a\"", Scalar::Str("\n"))]),
            r#"{"a\"":"\n"}"#
        );
    }

    #[test]
    fn messages_as_xml() {
        let v = json!({"A": "x<y", "B": 2, "C": true, "D": null, "E": {"F": [1, 2]}});
        assert_eq!(
            render_message(&v, Format::Xml).as_deref(),
            Ok(
                "<xml><A><![CDATA[x<y]]></A><B>2</B><C>true</C><D></D><E><F>1</F><F>2</F></E></xml>"
            )
        );
        assert!(render_message(&json!([1]), Format::Json).is_err());
        assert!(render_message(&json!({"a b": 1}), Format::Xml).is_err());
        assert!(render_message(&json!({"a": [[1]]}), Format::Xml).is_err());
        assert_eq!(
            render_message(&json!({"a": 1}), Format::Json).as_deref(),
            Ok(r#"{"a":1}"#)
        );
    }
}
