//! Settings from flags or `XPAY_*` environment variables, resolved per command into a
//! [`ClientBuilder`] or, for the `callback` commands, a [`CallbackConfig`].
//!
//! A flag wins over its variable; an empty variable counts as unset, but an empty flag is an
//! error naming it (a `--base-url "$UNSET"` must not fall back to the real WeChat). Each
//! command resolves
//! only the settings it uses and passes the rest nowhere, so `sign-payment` never looks at the
//! AppSecret and `call` never needs the offer id. What is missing is reported by the runtime
//! when it is needed, naming the variable to set.

use crate::cli::{ApiArgs, CallbackTokenArg, EnvArg, KeyArgs, OfferArg};
use crate::error::Failure;
use xpay::callback::CallbackConfig;
use xpay::settings::process_env;
use xpay::{Client, ClientBuilder, Env, Setting};

/// The variable of a setting, for messages (the library's table, [`xpay::settings`]).
pub fn var(setting: Setting) -> &'static str {
    setting.env_var().unwrap_or("(no variable)")
}

/// A flag value, as a lookup gives it.
type Flag<'a> = (Setting, Option<String>);

/// A lookup for the library's `from_lookup` readers: each of `flags`' settings from its flag
/// when given (an empty one is an error), else from the environment (the library's
/// [`process_env`]); every other variable unset, so a command reads only its own settings.
fn lookup<'a>(flags: &'a [Flag<'a>]) -> impl Fn(&str) -> Result<Option<String>, String> + 'a {
    move |name: &str| match flags.iter().find(|(s, _)| s.env_var() == Some(name)) {
        Some((_, Some(flag))) if flag.is_empty() => Err("is empty".into()),
        Some((_, Some(flag))) => Ok(Some(flag.clone())),
        Some((_, None)) => process_env(name),
        None => Ok(None),
    }
}

/// The flag that gives a setting.
fn flag_name(setting: Setting) -> &'static str {
    match setting {
        Setting::AppId => "--app-id",
        Setting::AppSecret => "--app-secret",
        Setting::AccessToken => "--access-token",
        Setting::OfferId => "--offer-id",
        Setting::AppKey(Env::Production) => "--app-key",
        Setting::AppKey(Env::Sandbox) => "--sandbox-app-key",
        Setting::BaseUrl => "--base-url",
        Setting::TokenMode => "--token-mode",
        Setting::RedisUrl => "--redis-url",
        Setting::Env => "--env",
        Setting::CallbackToken => "--callback-token",
        Setting::EncodingAesKey => "--encoding-aes-key",
        _ => "a flag",
    }
}

/// Where a setting's value came from, for messages: its flag when one was given, else its
/// variable.
fn source(setting: Setting, flags: &[Flag<'_>]) -> &'static str {
    if flags
        .iter()
        .any(|(s, value)| *s == setting && value.is_some())
    {
        flag_name(setting)
    } else {
        var(setting)
    }
}

/// A setting error, naming the flag when the value came from one (the library names the
/// variable).
fn failure(e: xpay::Error, flags: &[Flag<'_>]) -> Failure {
    if let xpay::Error::InvalidSetting {
        setting, problem, ..
    } = &e
        && source(*setting, flags).starts_with("--")
    {
        return Failure::msg(format_args!("{}: {problem}", flag_name(*setting)));
    }
    Failure::from(e)
}

/// Where the env was configured, when it was: `--env`, or `XPAY_ENV`. `None` when neither
/// is given (the client's default, production, applies).
pub fn env_source(env: &EnvArg) -> Option<&'static str> {
    let flags = [env_flag(env)];
    matches!(lookup(&flags)(var(Setting::Env)), Ok(Some(_))).then(|| source(Setting::Env, &flags))
}

fn flag(setting: Setting, value: Option<&str>) -> Flag<'static> {
    (setting, value.map(str::to_owned))
}

/// `--app-key` and `--sandbox-app-key`.
fn key_flags(keys: &KeyArgs) -> [Flag<'static>; 2] {
    [
        flag(Setting::AppKey(Env::Production), keys.app_key.as_deref()),
        flag(
            Setting::AppKey(Env::Sandbox),
            keys.sandbox_app_key.as_deref(),
        ),
    ]
}

fn env_flag(arg: &EnvArg) -> Flag<'static> {
    (Setting::Env, arg.env.map(|e| e.as_u8().to_string()))
}

/// A client that signs payments: the offer id, the AppKeys and the env, nothing else.
pub fn payment_client(offer: &OfferArg, keys: &KeyArgs, env: &EnvArg) -> Result<Client, Failure> {
    let [production, sandbox] = key_flags(keys);
    let flags = [
        flag(Setting::OfferId, offer.offer_id.as_deref()),
        production,
        sandbox,
        env_flag(env),
    ];
    ClientBuilder::from_lookup(lookup(&flags))
        .build()
        .map_err(|e| failure(e, &flags))
}

/// A client that calls the server API: app id and AppSecret (or a fixed access token), the
/// AppKeys, the env, the base URL, token mode and Redis token store, and the offer id only if
/// one is configured. Async because connecting to Redis is.
pub async fn api_client(
    api: &ApiArgs,
    keys: &KeyArgs,
    offer: &OfferArg,
    env: &EnvArg,
) -> Result<Client, Failure> {
    let [production, sandbox] = key_flags(keys);
    let flags = [
        flag(Setting::AppId, api.app_id.as_deref()),
        flag(Setting::AppSecret, api.app_secret.as_deref()),
        flag(Setting::AccessToken, api.access_token.as_deref()),
        flag(Setting::OfferId, offer.offer_id.as_deref()),
        production,
        sandbox,
        flag(Setting::BaseUrl, api.base_url.as_deref()),
        flag(Setting::TokenMode, api.token_mode.map(|m| m.as_str())),
        flag(Setting::RedisUrl, api.redis_url.as_deref()),
        env_flag(env),
    ];
    let lookup = lookup(&flags);
    let mut b = ClientBuilder::from_lookup(&lookup);
    let fixed_token = lookup(var(Setting::AccessToken)).ok().flatten().is_some();
    // With a fixed token there is nothing to share (and the user's token must not be written
    // to Redis).
    if let Some(url) = xpay::settings::redis_url(&lookup).map_err(|e| failure(e, &flags))?
        && !fixed_token
    {
        // Strict connect: an unreachable Redis is an error here rather than a private fetch,
        // which in classic mode would invalidate the production instances' token.
        let store = xpay::redis::RedisStore::connect(&url).await.map_err(|e| {
            Failure::msg(format_args!("{}: {e}", source(Setting::RedisUrl, &flags)))
        })?;
        b = b.token_store(store);
    }
    b.build().map_err(|e| failure(e, &flags))
}

/// The settings of the `callback` commands: the Token (required), the EncodingAESKey and the
/// appid to check when they are configured, flags over variables. Neither the Token nor the
/// key ever reaches a message.
pub fn callback_config(
    token: &CallbackTokenArg,
    aes_key: Option<&str>,
    app_id: Option<&str>,
) -> Result<CallbackConfig, Failure> {
    let flags = [
        flag(Setting::CallbackToken, token.callback_token.as_deref()),
        flag(Setting::EncodingAesKey, aes_key),
        flag(Setting::AppId, app_id),
    ];
    CallbackConfig::from_lookup(lookup(&flags)).map_err(|e| failure(e, &flags))
}

/// The settings of `callback verify-url`: the Token alone.
pub fn callback_token_config(token: &CallbackTokenArg) -> Result<CallbackConfig, Failure> {
    let flags = [flag(
        Setting::CallbackToken,
        token.callback_token.as_deref(),
    )];
    CallbackConfig::from_lookup(lookup(&flags)).map_err(|e| failure(e, &flags))
}
