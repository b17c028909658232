//! `xpay call`: any action of the built-in spec, by name or alias, with a JSON body.
//!
//! The body is filled (env from the client), checked against the spec's table, serialized
//! once, signed and sent by [`xpay::Client::call`]; WeChat's answer is printed byte for
//! byte. A non-zero errcode is an error whose message carries the errcode and its meaning.

use crate::cli::CallArgs;
use crate::config;
use crate::error::Failure;
use crate::output;
use serde_json::Value;
use std::io::Read;
use std::path::Path;
use xpay::SessionKey;
use xpay::api::SPEC;

/// Calls the action and prints the response body as WeChat sent it (see [`output::json`]).
pub fn run(args: CallArgs) -> Result<(), Failure> {
    let meta = SPEC.action(&args.action).ok_or_else(|| {
        Failure::msg(format_args!(
            "unknown action `{}`: not an action name or alias of the built-in spec (see `xpay spec list`)",
            args.action
        ))
    })?;
    let body = body(args.json.as_deref(), args.json_file.as_deref())?;
    let session_key = args.session_key.map(SessionKey::new).transpose()?;
    if meta.needs_session_key() && session_key.is_none() {
        return Err(Failure::msg(format_args!(
            "{} is signed with the user's session key (pay+user): pass --session-key with the latest session_key from code2session",
            meta.name
        )));
    }

    let runtime = super::runtime()?;
    let response = runtime.block_on(async {
        let client = config::api_client(&args.api, &args.keys, &args.offer, &args.env).await?;
        // The body's env wins over the client's in the library; here both were said, and a
        // disagreement would move money in the env the user did not mean.
        if let (Some(given), Some(source)) = (
            body.get("env").and_then(Value::as_u64),
            config::env_source(&args.env),
        ) && given != u64::from(client.env().as_u8())
        {
            return Err(Failure::msg(format_args!(
                "the body's env ({given}) disagrees with {source} ({}): give one",
                client.env().as_u8()
            )));
        }
        client
            .call(&xpay::api::SPEC, meta.name, body, session_key.as_ref())
            .await
            .map_err(|e| match e {
                // A session key the action would not use: said of the flag that gave it.
                xpay::Error::InvalidSetting {
                    setting: xpay::Setting::SessionKey,
                    problem,
                    ..
                } => Failure::msg(format_args!("--session-key: {problem}")),
                e => Failure::from(e),
            })
    })?;
    // The body parsed as JSON, so it is UTF-8; printed as sent, but with anything that could
    // drive a terminal written as a `\uXXXX` escape (the same JSON to a parser).
    match std::str::from_utf8(&response.body) {
        Ok(text) => output::json(text),
        Err(_) => output::line(&response.body),
    }
}

/// The request body: `--json`, `--json-file` (`-` is stdin), or `{}`.
fn body(json: Option<&str>, file: Option<&Path>) -> Result<Value, Failure> {
    match (json, file) {
        (Some(text), _) => serde_json::from_str(text)
            .map_err(|e| Failure::msg(format_args!("--json is not valid JSON: {e}"))),
        (None, Some(path)) => {
            let text = read(path).map_err(|e| {
                Failure::msg(format_args!(
                    "cannot read --json-file {}: {e}",
                    path.display()
                ))
            })?;
            serde_json::from_str(&text).map_err(|e| {
                Failure::msg(format_args!(
                    "--json-file {} is not valid JSON: {e}",
                    path.display()
                ))
            })
        }
        (None, None) => Ok(Value::Object(serde_json::Map::new())),
    }
}

/// Reads a file, or stdin for `-`.
fn read(path: &Path) -> std::io::Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().lock().read_to_string(&mut text)?;
        Ok(text)
    } else {
        std::fs::read_to_string(path)
    }
}
