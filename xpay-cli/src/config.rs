//! Settings from flags or `XPAY_*` environment variables, resolved per command into a
//! [`ClientBuilder`] or, for the `callback` commands, a [`CallbackConfig`].
//!
//! A flag wins over its variable; an empty variable counts as unset. Each command resolves
//! only the settings it uses and passes the rest nowhere, so `sign-payment` never looks at the
//! AppSecret and `call` never needs the offer id. What is missing is reported by the runtime
//! when it is needed, naming the variable to set.

use crate::cli::{ApiArgs, CallbackTokenArg, EnvArg, KeyArgs, OfferArg, parse_env};
use crate::error::Failure;
use std::env::VarError;
use xpay::callback::{CallbackConfig, EncodingAesKey};
use xpay::{CallbackToken, Client, ClientBuilder, Env};

/// The production AppKey.
pub const APP_KEY: &str = "XPAY_APP_KEY";
/// The sandbox AppKey.
pub const SANDBOX_APP_KEY: &str = "XPAY_SANDBOX_APP_KEY";
/// The offer id.
pub const OFFER_ID: &str = "XPAY_OFFER_ID";
/// The mini program's app id.
pub const APP_ID: &str = "XPAY_APP_ID";
/// The AppSecret.
pub const APP_SECRET: &str = "XPAY_APP_SECRET";
/// A fixed access token (fetch none).
pub const ACCESS_TOKEN: &str = "XPAY_ACCESS_TOKEN";
/// The origin replacing `https://api.weixin.qq.com`.
pub const BASE_URL: &str = "XPAY_BASE_URL";
/// `stable` or `classic`.
pub const TOKEN_MODE: &str = "XPAY_TOKEN_MODE";
/// `0` or `1`.
pub const ENV: &str = "XPAY_ENV";
/// Redis, to share the access token between instances.
pub const REDIS_URL: &str = "XPAY_REDIS_URL";
/// The message-push Token (令牌).
pub const CALLBACK_TOKEN: &str = "XPAY_CALLBACK_TOKEN";
/// The message-push EncodingAESKey (消息加密密钥).
pub const ENCODING_AES_KEY: &str = "XPAY_ENCODING_AES_KEY";

/// The flag's value, else the variable's (empty counts as unset).
pub fn setting(flag: Option<&str>, var: &str) -> Result<Option<String>, Failure> {
    if let Some(v) = flag {
        return Ok(Some(v.to_string()));
    }
    match std::env::var(var) {
        Ok(v) if v.is_empty() => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(VarError::NotPresent) => Ok(None),
        Err(VarError::NotUnicode(_)) => Err(Failure::msg(format_args!("{var} is not valid UTF-8"))),
    }
}

/// The env: `--env`, else `XPAY_ENV`, else production.
pub fn env(arg: &EnvArg) -> Result<Env, Failure> {
    if let Some(env) = arg.env {
        return Ok(env);
    }
    match setting(None, ENV)? {
        Some(v) => parse_env(&v).map_err(|e| Failure::msg(format_args!("{ENV}: {e}"))),
        None => Ok(Env::Production),
    }
}

/// A lookup for [`ClientBuilder::from_lookup`]: each of `vars` from its flag when given,
/// else from the environment (empty counts as unset); every other variable unset, so a command
/// reads only its own settings.
fn lookup<'a>(
    vars: &'a [(&'static str, Option<&'a str>)],
) -> impl Fn(&str) -> Result<Option<String>, String> + 'a {
    move |name: &str| match vars.iter().find(|(var, _)| *var == name) {
        Some((var, flag)) => setting(*flag, var).map_err(|f| match f {
            Failure::Message(m) | Failure::Report(m) => m,
            Failure::BrokenPipe => format!("{var} cannot be read"),
        }),
        None => Ok(None),
    }
}

/// A client that signs payments: the offer id and the AppKeys, nothing else.
pub fn payment_client(offer: &OfferArg, keys: &KeyArgs, env: Env) -> Result<Client, Failure> {
    let vars = [
        (OFFER_ID, offer.offer_id.as_deref()),
        (APP_KEY, keys.app_key.as_deref()),
        (SANDBOX_APP_KEY, keys.sandbox_app_key.as_deref()),
    ];
    Ok(ClientBuilder::from_lookup(lookup(&vars)).env(env).build()?)
}

/// A client that calls the server API: app id and AppSecret (or a fixed access token), the
/// AppKeys, the base URL, token mode and Redis token store, and the offer id only if one is
/// configured. Async because connecting to Redis is.
pub async fn api_client(
    api: &ApiArgs,
    keys: &KeyArgs,
    offer: &OfferArg,
    env: Env,
) -> Result<Client, Failure> {
    let mode = api.token_mode.map(|m| m.as_str());
    let vars = [
        (APP_ID, api.app_id.as_deref()),
        (APP_SECRET, api.app_secret.as_deref()),
        (ACCESS_TOKEN, api.access_token.as_deref()),
        (OFFER_ID, offer.offer_id.as_deref()),
        (APP_KEY, keys.app_key.as_deref()),
        (SANDBOX_APP_KEY, keys.sandbox_app_key.as_deref()),
        (BASE_URL, api.base_url.as_deref()),
        (TOKEN_MODE, mode),
    ];
    let mut b = ClientBuilder::from_lookup(lookup(&vars)).env(env);
    let fixed_token = setting(api.access_token.as_deref(), ACCESS_TOKEN)?.is_some();
    // With a fixed token there is nothing to share (and the user's token must not be written
    // to Redis).
    if let Some(url) = setting(api.redis_url.as_deref(), REDIS_URL)?
        && !fixed_token
    {
        // Strict connect: an unreachable Redis is an error here rather than a private fetch,
        // which in classic mode would invalidate the production instances' token.
        let store = xpay::token::RedisStore::connect(&url)
            .await
            .map_err(|e| Failure::msg(format_args!("{REDIS_URL}: {e}")))?;
        b = b.token_store(store);
    }
    Ok(b.build()?)
}

/// The message-push Token: `--callback-token`, else `XPAY_CALLBACK_TOKEN`; required.
pub fn callback_token(arg: &CallbackTokenArg) -> Result<CallbackToken, Failure> {
    let token = setting(arg.callback_token.as_deref(), CALLBACK_TOKEN)?.ok_or_else(|| {
        Failure::msg(format_args!(
            "no message-push Token configured (令牌, MP → 开发管理 → 消息推送; {CALLBACK_TOKEN})"
        ))
    })?;
    Ok(CallbackToken::new(token)?)
}

/// The settings of `callback decode`: the Token (required), the EncodingAESKey and the appid
/// to check when they are configured. Neither the Token nor the key ever reaches a message.
pub fn callback_config(
    token: &CallbackTokenArg,
    aes_key: Option<&str>,
    app_id: Option<&str>,
) -> Result<CallbackConfig, Failure> {
    let mut config = CallbackConfig::new(callback_token(token)?);
    if let Some(key) = setting(aes_key, ENCODING_AES_KEY)? {
        let source = if aes_key.is_some() {
            "--encoding-aes-key"
        } else {
            ENCODING_AES_KEY
        };
        let key =
            EncodingAesKey::new(key).map_err(|e| Failure::msg(format_args!("{source}: {e}")))?;
        config = config.with_aes_key(key);
    }
    if let Some(id) = setting(app_id, APP_ID)? {
        config = config.with_app_id(id);
    }
    Ok(config)
}
