//! The command line as clap types: one struct of arguments per command, plus the groups of
//! settings commands share ([`KeyArgs`], [`OfferArg`], [`ApiArgs`], [`EnvArg`],
//! [`CallbackTokenArg`]).
//!
//! Settings are plain strings here and are resolved (flag first, then the `XPAY_*` variable)
//! by [`crate::config`] only when a command needs them, so a command never fails over a
//! setting it does not use. Order rules (mode-specific fields, outTradeNo, buyQuantity ≥ 1)
//! are left to the library: clap only checks that numbers are numbers.
//!
//! Adding a command: an args struct here, a variant of [`Command`], a module in
//! `commands/`, and an arm in `commands::run`.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use xpay::Env;
use xpay::api::PaymentMode;
use xpay::token::TokenMode;

/// `xpay`: WeChat Mini Program virtual payment (小程序虚拟支付) from the command line.
///
/// Settings come from flags or the environment (`XPAY_APP_ID`, `XPAY_APP_SECRET`,
/// `XPAY_OFFER_ID`, `XPAY_APP_KEY`, `XPAY_SANDBOX_APP_KEY`, `XPAY_ENV`, `XPAY_BASE_URL`,
/// `XPAY_ACCESS_TOKEN`, `XPAY_TOKEN_MODE`, `XPAY_REDIS_URL`, `XPAY_CALLBACK_TOKEN`, `XPAY_ENCODING_AES_KEY`); a
/// flag wins over its variable, and each command needs only its own. Errors are one line on
/// stderr and exit 1.
#[derive(Debug, Parser)]
#[command(name = "xpay", version, arg_required_else_help = false)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Every `xpay` command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign a `wx.requestVirtualPayment` order: prints {"mode","signData","paySig"[,"signature"]}.
    ///
    /// Needs the offer id (XPAY_OFFER_ID) and the AppKey of the chosen env (XPAY_APP_KEY, or
    /// XPAY_SANDBOX_APP_KEY with --env 1); never the AppSecret.
    SignPayment(SignPaymentArgs),
    /// Call a WeChat xpay action by name or alias; prints WeChat's answer as it was sent.
    ///
    /// Needs XPAY_APP_ID and XPAY_APP_SECRET (or XPAY_ACCESS_TOKEN) and XPAY_APP_KEY
    /// (XPAY_SANDBOX_APP_KEY when the body's env is 1). A non-zero errcode exits 1 with the
    /// errcode and its meaning on stderr.
    Call(CallArgs),
    /// Check a stored session key before a `pay+user` call: prints {"openid","session":"valid"|"stale"}.
    ///
    /// A stale key (WeChat's 87009) means the user must log in again; the `pay+user` actions
    /// would fail with 268490009. Needs what `call` needs (XPAY_APP_ID and XPAY_APP_SECRET, or
    /// XPAY_ACCESS_TOKEN), but no AppKey.
    CheckSession(CheckSessionArgs),
    /// Explain a code: a server errcode or a code `wx.requestVirtualPayment` /
    /// `wx.requestAppleSubscribeSign` reported, from the spec's tables: prints
    /// [{"code","kind":"server"|"client","name","meaning","fix"}]. Needs no settings.
    Explain(ExplainArgs),
    /// List, check or document an xpay spec (the built-in one or a file).
    #[command(subcommand, arg_required_else_help = false)]
    Spec(SpecCommand),
    /// Message-push callbacks: decode a pushed body, or answer a URL verification.
    ///
    /// Needs the message-push Token (XPAY_CALLBACK_TOKEN); `decode` also the EncodingAESKey
    /// (XPAY_ENCODING_AES_KEY) for safe-mode pushes, and checks the appid when XPAY_APP_ID is set.
    #[command(subcommand, arg_required_else_help = false)]
    Callback(CallbackCommand),
    /// Run a fake WeChat xpay server (xpay-mock) on 127.0.0.1 until interrupted.
    ///
    /// Prints one `XPAY_NAME=value` line per setting (XPAY_APP_ID, XPAY_APP_SECRET,
    /// XPAY_OFFER_ID, XPAY_APP_KEY, XPAY_SANDBOX_APP_KEY, XPAY_CALLBACK_TOKEN,
    /// XPAY_ENCODING_AES_KEY, and last XPAY_BASE_URL), then serves quietly; Ctrl-C (SIGINT) or
    /// SIGTERM stops it. Its control endpoints (`/mock/login`, `/mock/pay`, …) drive it from
    /// outside. Reads no XPAY_* settings: the credentials are fresh test values each run.
    Mock(MockArgs),
    /// The end-to-end tour on an embedded fake WeChat, each step checked; needs no settings.
    ///
    /// Logs a user in, signs a payment, receives and decodes the delivery push, queries the
    /// balance, pays with tokens, cancels, refunds a cash order (and receives its push), and
    /// shows an overdraft's errcode in words. Needs no configuration (XPAY_* settings are ignored) and reaches nothing beyond
    /// 127.0.0.1. Every step checks its result against the fake WeChat's ledger.
    Demo(DemoArgs),
}

/// `xpay sign-payment`.
#[derive(Debug, Args)]
pub struct SignPaymentArgs {
    /// `coin` (代币充值, short_series_coin) or `goods` (道具直购, short_series_goods).
    #[arg(long, value_name = "coin|goods", value_parser = parse_mode)]
    pub mode: PaymentMode,
    /// buyQuantity: tokens to buy (coin) or items (goods); at least 1.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub buy_quantity: i64,
    /// outTradeNo: your order id, single use (8–32 of `0-9A-Za-z_|*@-`, not starting with `_`).
    #[arg(long, value_name = "ID")]
    pub out_trade_no: String,
    /// productId: the item id (required with --mode goods).
    #[arg(long, value_name = "ID")]
    pub product_id: Option<String>,
    /// goodsPrice: the item's price in fen, as configured (required with --mode goods).
    #[arg(long, value_name = "FEN", allow_negative_numbers = true)]
    pub goods_price: Option<i64>,
    /// attach: data echoed back in the delivery push (may be empty).
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub attach: String,
    /// The user's session_key from code2session: adds the user `signature`.
    #[arg(long, value_name = "KEY")]
    pub session_key: Option<String>,
    /// `--env`.
    #[command(flatten)]
    pub env: EnvArg,
    /// `--offer-id`.
    #[command(flatten)]
    pub offer: OfferArg,
    /// `--app-key`, `--sandbox-app-key`.
    #[command(flatten)]
    pub keys: KeyArgs,
}

/// `xpay call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// The action's name or alias (`query_user_balance`, `currency_query_balance`; see `xpay spec list`).
    #[arg(value_name = "ACTION")]
    pub action: String,
    /// The request body as JSON text (default `{}`); fields the client fills (env) may be left out.
    #[arg(long, value_name = "BODY", conflicts_with = "json_file")]
    pub json: Option<String>,
    /// Read the request body from a file (`-` for stdin).
    #[arg(long, value_name = "PATH")]
    pub json_file: Option<PathBuf>,
    /// The user's session_key from code2session, for `pay+user` actions.
    #[arg(long, value_name = "KEY")]
    pub session_key: Option<String>,
    /// `--env`.
    #[command(flatten)]
    pub env: EnvArg,
    /// `--app-id`, `--app-secret`, `--access-token`, `--base-url`, `--token-mode`.
    #[command(flatten)]
    pub api: ApiArgs,
    /// `--app-key`, `--sandbox-app-key`.
    #[command(flatten)]
    pub keys: KeyArgs,
    /// `--offer-id`.
    #[command(flatten)]
    pub offer: OfferArg,
}

/// `xpay check-session`.
#[derive(Debug, Args)]
pub struct CheckSessionArgs {
    /// The user's openid.
    #[arg(long, value_name = "OPENID")]
    pub openid: String,
    /// The stored session_key to check.
    #[arg(long, value_name = "KEY")]
    pub session_key: String,
    /// `--app-id`, `--app-secret`, `--access-token`, `--base-url`, `--token-mode`.
    #[command(flatten)]
    pub api: ApiArgs,
}

/// `xpay explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The code, e.g. 268490006 or -15006.
    #[arg(value_name = "CODE", allow_negative_numbers = true)]
    pub code: i64,
    /// A spec file whose tables to use instead of the built-in spec's.
    #[arg(long, value_name = "PATH")]
    pub spec: Option<PathBuf>,
}

/// `xpay spec …`.
#[derive(Debug, Subcommand)]
pub enum SpecCommand {
    /// Print every action as JSON: [{"name","alias","path","signing"}].
    List(SpecListArgs),
    /// Check a spec file; errors are reported with file:line:column.
    Check(SpecCheckArgs),
    /// Print the Markdown reference of a spec (the built-in one by default).
    Docs(SpecDocsArgs),
    /// Print the Rust a spec generates (the built-in one by default), formatted: for bindings
    /// committed to a repository, so that a change to the spec shows the Rust it changes.
    Rust(SpecRustArgs),
}

/// `xpay spec rust`.
#[derive(Debug, Args)]
pub struct SpecRustArgs {
    /// The spec file to generate from (default: the built-in spec).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// The path the code reaches the runtime by: `::xpay` (default) or `::xpay_runtime`.
    #[arg(long, value_name = "PATH", default_value = "::xpay")]
    pub runtime: String,
    /// Derive both serde directions on every type (for fakes and tests).
    #[arg(long)]
    pub roundtrip: bool,
}

/// `xpay spec list`.
#[derive(Debug, Args)]
pub struct SpecListArgs {
    /// A spec file to list instead of the built-in spec.
    #[arg(long, value_name = "PATH")]
    pub spec: Option<PathBuf>,
}

/// `xpay spec check`.
#[derive(Debug, Args)]
pub struct SpecCheckArgs {
    /// The spec file to check.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
}

/// `xpay spec docs`.
#[derive(Debug, Args)]
pub struct SpecDocsArgs {
    /// The spec file to document (default: the built-in spec).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
}

/// `xpay callback …`.
#[derive(Debug, Subcommand)]
pub enum CallbackCommand {
    /// Verify and decrypt a pushed body (FILE, or stdin when FILE is absent or `-`); prints
    /// the message as one JSON document with WeChat's field names.
    ///
    /// The flags are the push's query parameters. Safe mode is `--encrypt-type aes` (or a
    /// `--msg-signature` alone) and needs XPAY_ENCODING_AES_KEY; plain mode needs
    /// `--signature`. No freshness check unless `--max-age` is given.
    Decode(CallbackDecodeArgs),
    /// Answer WeChat's URL verification: prints the echostr when the signature holds.
    VerifyUrl(CallbackVerifyUrlArgs),
}

/// `xpay callback decode`.
#[derive(Debug, Args)]
pub struct CallbackDecodeArgs {
    /// `signature`: checked in plain mode (SHA-1 of the sorted token, timestamp and nonce).
    #[arg(long, value_name = "S")]
    pub signature: Option<String>,
    /// `timestamp`: Unix seconds, as in the push's query.
    #[arg(long, value_name = "T")]
    pub timestamp: Option<String>,
    /// `nonce`, as in the push's query.
    #[arg(long, value_name = "N")]
    pub nonce: Option<String>,
    /// `msg_signature`: checked in safe mode (SHA-1 of the sorted token, timestamp, nonce and Encrypt).
    #[arg(long, value_name = "M")]
    pub msg_signature: Option<String>,
    /// `encrypt_type`: `aes` for safe mode (encrypted), absent or `raw` for plain mode.
    #[arg(long, value_name = "aes")]
    pub encrypt_type: Option<String>,
    /// Reject a push whose timestamp is more than SECS away from now (default: no check;
    /// WeChat retries a push for about a day with its original timestamp).
    #[arg(long, value_name = "SECS")]
    pub max_age: Option<u64>,
    /// The pushed body (JSON or XML); stdin when absent or `-`. At most 64 KiB.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// `--callback-token`.
    #[command(flatten)]
    pub token: CallbackTokenArg,
    /// The EncodingAESKey, for safe-mode pushes [env: XPAY_ENCODING_AES_KEY; prefer the variable].
    #[arg(long, value_name = "KEY")]
    pub encoding_aes_key: Option<String>,
    /// Reject decrypted pushes for another mini program than this appid [env: XPAY_APP_ID].
    #[arg(long, value_name = "ID")]
    pub app_id: Option<String>,
}

/// `xpay callback verify-url`.
#[derive(Debug, Args)]
pub struct CallbackVerifyUrlArgs {
    /// `signature` from the verification request's query.
    #[arg(long, value_name = "S")]
    pub signature: String,
    /// `timestamp` from the query.
    #[arg(long, value_name = "T")]
    pub timestamp: String,
    /// `nonce` from the query.
    #[arg(long, value_name = "N")]
    pub nonce: String,
    /// `echostr` from the query: printed back unchanged when the signature holds.
    #[arg(long, value_name = "E")]
    pub echostr: String,
    /// `--callback-token`.
    #[command(flatten)]
    pub token: CallbackTokenArg,
}

/// `xpay mock`.
#[derive(Debug, Args)]
pub struct MockArgs {
    /// The port on 127.0.0.1 (0 or absent: a free one; the chosen port is in XPAY_BASE_URL).
    #[arg(long, value_name = "P")]
    pub port: Option<u16>,
}

/// `xpay demo` (no options: it needs no configuration).
#[derive(Debug, Args)]
pub struct DemoArgs {}

/// `--callback-token`: the message-push Token pushes are signed with.
#[derive(Debug, Clone, Args)]
pub struct CallbackTokenArg {
    /// The message-push Token (令牌; MP → 开发管理 → 消息推送) [env: XPAY_CALLBACK_TOKEN; prefer the variable].
    #[arg(long, value_name = "TOKEN")]
    pub callback_token: Option<String>,
}

/// `--env`: which environment a command targets.
#[derive(Debug, Clone, Default, Args)]
pub struct EnvArg {
    /// 0 production (现网) or 1 sandbox (沙箱) [env: XPAY_ENV; default 0].
    #[arg(long = "env", value_name = "0|1", value_parser = parse_env)]
    pub env: Option<Env>,
}

/// `--offer-id`.
#[derive(Debug, Clone, Default, Args)]
pub struct OfferArg {
    /// The offer id (MP → 虚拟支付 → 基本配置) [env: XPAY_OFFER_ID].
    #[arg(long, value_name = "ID")]
    pub offer_id: Option<String>,
}

/// The AppKeys requests and payments are signed with.
#[derive(Debug, Clone, Default, Args)]
pub struct KeyArgs {
    /// The production AppKey [env: XPAY_APP_KEY; prefer the variable].
    #[arg(long, value_name = "KEY")]
    pub app_key: Option<String>,
    /// The sandbox AppKey, used with env 1 [env: XPAY_SANDBOX_APP_KEY; prefer the variable].
    #[arg(long, value_name = "KEY")]
    pub sandbox_app_key: Option<String>,
}

/// What a server call needs besides the AppKeys: who the app is and how to get a token.
#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// The mini program's app id [env: XPAY_APP_ID].
    #[arg(long, value_name = "ID")]
    pub app_id: Option<String>,
    /// The AppSecret, to fetch access tokens [env: XPAY_APP_SECRET; prefer the variable].
    #[arg(long, value_name = "SECRET")]
    pub app_secret: Option<String>,
    /// Use this access token and fetch none [env: XPAY_ACCESS_TOKEN; prefer the variable].
    #[arg(long, value_name = "TOKEN")]
    pub access_token: Option<String>,
    /// Replaces `https://api.weixin.qq.com` (a mock or a proxy) [env: XPAY_BASE_URL].
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// How tokens are fetched: `stable` (default) or `classic` [env: XPAY_TOKEN_MODE].
    #[arg(long, value_name = "stable|classic", value_parser = parse_token_mode)]
    pub token_mode: Option<TokenMode>,
    /// Share the access token with other instances through Redis, e.g.
    /// `redis://127.0.0.1:6379` [env: XPAY_REDIS_URL].
    #[arg(long, value_name = "URL")]
    pub redis_url: Option<String>,
}

/// Parses `--mode` with the spec's own names (`coin`, `goods`, or the wire values).
fn parse_mode(s: &str) -> Result<PaymentMode, String> {
    s.parse::<PaymentMode>()
        .map_err(|_| format!("expected `coin` or `goods`, got `{}`", s.escape_debug()))
}

/// Parses `--env` / `XPAY_ENV`.
pub fn parse_env(s: &str) -> Result<Env, String> {
    s.parse()
}

/// Parses `--token-mode` / `XPAY_TOKEN_MODE`.
pub fn parse_token_mode(s: &str) -> Result<TokenMode, String> {
    s.parse::<TokenMode>().map_err(|e| match e {
        xpay::Error::InvalidSetting { problem, .. } => problem,
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
