//! `xpay callback decode|verify-url`: message pushes checked and opened by
//! [`xpay::callback::Decoder`] with the built-in spec's tables.
//!
//! The flags are the push's query parameters and go to the decoder as a [`PushQuery`], so the
//! rules (which signature a mode needs, `encrypt_type` values, the freshness window, the appid
//! check) read the same here as from Rust. The body is read through
//! [`read_body_limited`] with the decoder's limit, so an oversized body stops being read at
//! the limit. Messages never carry the Token or the EncodingAESKey: the runtime's errors
//! leave them out, and the few reworded here only add the flag or variable to use.

use crate::cli::{CallbackCommand, CallbackDecodeArgs, CallbackVerifyUrlArgs};
use crate::config;
use crate::error::Failure;
use crate::output;
use std::fs::File;
use std::io;
use std::path::Path;
use std::time::Duration;
use xpay::Setting;
use xpay::api::SPEC;
use xpay::callback::{CallbackError, Decoder, PushQuery, read_body_limited};

/// Runs a `callback` subcommand.
pub fn run(cmd: CallbackCommand) -> Result<(), Failure> {
    match cmd {
        CallbackCommand::Decode(args) => decode(args),
        CallbackCommand::VerifyUrl(args) => verify_url(args),
    }
}

/// Checks the URL verification's signature and prints the echostr verbatim (one with control
/// characters is refused).
fn verify_url(args: CallbackVerifyUrlArgs) -> Result<(), Failure> {
    let decoder = Decoder::new(config::callback_token_config(&args.token)?, &SPEC);
    let query = PushQuery {
        signature: Some(args.signature),
        timestamp: Some(args.timestamp),
        nonce: Some(args.nonce),
        echostr: Some(args.echostr),
        ..PushQuery::default()
    };
    let echostr = decoder.verify_url(&query).map_err(failure)?;
    // Verbatim, but never control characters: the signature does not cover the echostr, and
    // WeChat's is plain text, so one that would drive a terminal is refused instead.
    let escaped = xpay::escape_controls(echostr);
    if escaped != echostr {
        return Err(Failure::msg(format!(
            "the echostr holds control characters (`{escaped}`); WeChat's never does, and the signature does not cover it, so it is not printed"
        )));
    }
    output::line(echostr.as_bytes())
}

/// Verifies, decrypts and types a pushed body; prints its message as one JSON document.
fn decode(args: CallbackDecodeArgs) -> Result<(), Failure> {
    let mut config = config::callback_config(
        &args.token,
        args.encoding_aes_key.as_deref(),
        args.app_id.as_deref(),
    )?;
    if let Some(secs) = args.max_age {
        config = config.with_max_age(Duration::from_secs(secs));
    }
    let decoder = Decoder::new(config, &SPEC);
    let body = read_body(args.file.as_deref(), decoder.config().max_body_bytes())?;
    let query = PushQuery {
        signature: args.signature,
        timestamp: args.timestamp,
        nonce: args.nonce,
        encrypt_type: args.encrypt_type,
        msg_signature: args.msg_signature,
        ..PushQuery::default()
    };
    let push = decoder.decode(&query, &body).map_err(failure)?;
    let json = serde_json::to_string(&push.message)
        .map_err(|e| Failure::msg(format_args!("cannot serialize the message: {e}")))?;
    output::json(&json)
}

/// The body: FILE, or stdin when it is absent or `-`; at most `limit` bytes are accepted and
/// no more than `limit + 1` are read.
fn read_body(file: Option<&Path>, limit: usize) -> Result<Vec<u8>, Failure> {
    match file {
        Some(path) if path.as_os_str() != "-" => {
            let shown = path.display();
            let f = File::open(path)
                .map_err(|e| Failure::msg(format_args!("cannot read {shown}: {e}")))?;
            read_body_limited(f, limit).map_err(|e| Failure::msg(format_args!("{shown}: {e}")))
        }
        _ => read_body_limited(io::stdin().lock(), limit)
            .map_err(|e| Failure::msg(format_args!("stdin: {e}"))),
    }
}

/// A callback error as one line, naming the flag or variable that would fix it where there is
/// one.
fn failure(e: CallbackError) -> Failure {
    match e {
        CallbackError::MissingQueryParameter(name) => Failure::msg(format_args!(
            "missing --{}: the push's `{name}` query parameter is needed to verify it",
            name.replace('_', "-")
        )),
        CallbackError::NoAesKey => Failure::msg(format_args!(
            "{e}: set {} (消息加密密钥, MP → 开发管理 → 消息推送)",
            config::var(Setting::EncodingAesKey)
        )),
        CallbackError::AppIdMismatch { expected, got } => Failure::msg(format_args!(
            "appid mismatch: the push is for `{}`, not `{}` (--app-id / {})",
            xpay::escape_controls(&got),
            xpay::escape_controls(&expected),
            config::var(Setting::AppId)
        )),
        // The signature held, so the push is WeChat's: a key that cannot open it is the wrong one.
        CallbackError::BadPadding(_)
        | CallbackError::PlaintextTooShort { .. }
        | CallbackError::MessageLength { .. } => Failure::msg(format_args!(
            "{e} (is {} the push's EncodingAESKey?)",
            config::var(Setting::EncodingAesKey)
        )),
        other => Failure::msg(other),
    }
}
