//! The errcodes the fake WeChat answers, and when.
//!
//! | errcode | when |
//! |---|---|
//! | 40001 | `access_token` unknown, or replaced by a `force_refresh` |
//! | 41001 | `access_token` missing |
//! | 42001 | `access_token` expired (its lifetime passed, or [`expire_token`]) |
//! | 40002 | token or login request with a wrong `grant_type` |
//! | 40013 / 40125 | wrong appid / wrong secret on `stable_token`, `token`, `jscode2session` |
//! | 40029 | `jscode2session` without a `js_code` |
//! | 40066 | `/xpay/{action}` with an action the spec does not have (HTTP 200) |
//! | 47001 | `stable_token` body that is not a JSON object |
//! | 268490001 | the openid is not the payer of the order or payment named |
//! | 268490002 | a request field is missing, of the wrong type, breaks a rule of the spec, or names an order, payment or withdrawal that does not exist (errmsg names the field) |
//! | 268490003 | `pay_sig` missing or wrong; `signature` of a `pay+user` action missing or made with no key of the openid |
//! | 268490004 | an id that moves money was used before (nothing moves) |
//! | 268490005 | `cancel_currency_pay` of a payment already cancelled |
//! | 268490006 | `currency_pay` of more tokens than the balance |
//! | 268490009 | `pay+user` action for an openid that never logged in, or signed with a session key a later login replaced (stale) |
//! | 268490016 | `refund_order` whose `left_fee` is not the order's |
//! | 87009 | `/wxa/checksession` with a signature that is not the user's latest session key's |
//!
//! Any other errcode (or HTTP status) can be injected with [`fail_next`].
//!
//! [`expire_token`]: crate::MockServer::expire_token
//! [`fail_next`]: crate::MockServer::fail_next

/// The openid is not the one the order or payment belongs to.
pub const OPENID_WRONG: i64 = 268_490_001;
/// A request field is wrong (the errmsg names it).
pub const INVALID_FIELD: i64 = 268_490_002;
/// `pay_sig` or `signature` missing or wrong.
pub const SIGNATURE_ERROR: i64 = 268_490_003;
/// The id was used before; nothing moved.
pub const DUPLICATE: i64 = 268_490_004;
/// The payment was already refunded by `cancel_currency_pay`.
pub const ALREADY_CANCELLED: i64 = 268_490_005;
/// Not enough tokens.
pub const INSUFFICIENT_BALANCE: i64 = 268_490_006;
/// `/wxa/checksession`: the signature is not made with the user's current session key.
pub const SESSION_SIGNATURE_INVALID: i64 = 87009;
/// No session key for the openid: the user never logged in.
pub const SESSION_KEY_MISSING: i64 = 268_490_009;
/// A batch task is running (only by injection: tasks here finish at once).
pub const BATCH_TASK_RUNNING: i64 = 268_490_012;
/// `left_fee` does not match the order's.
pub const LEFT_FEE_MISMATCH: i64 = 268_490_016;
/// `access_token` invalid.
pub const TOKEN_INVALID: i64 = 40001;
/// `access_token` missing.
pub const TOKEN_MISSING: i64 = 41001;
/// `access_token` expired.
pub const TOKEN_EXPIRED: i64 = 42001;
/// Wrong `grant_type`.
pub const INVALID_GRANT_TYPE: i64 = 40002;
/// Wrong appid.
pub const INVALID_APPID: i64 = 40013;
/// Wrong AppSecret.
pub const INVALID_APPSECRET: i64 = 40125;
/// Missing or invalid login code.
pub const INVALID_CODE: i64 = 40029;
/// Unknown API URL.
pub const INVALID_URL: i64 = 40066;
/// A body that cannot be parsed.
pub const DATA_FORMAT_ERROR: i64 = 47001;
