//! The signatures of WeChat virtual payment, as plain functions over bytes (WeChat: the server
//! API pages, e.g. <https://developers.weixin.qq.com/miniprogram/dev/server/API/VirtualPayment/api_query_user_balance>, and
//! <https://developers.weixin.qq.com/miniprogram/dev/api/payment/wx.requestVirtualPayment.html> for `paySig`).
//!
//! - `pay_sig = hex(HMAC-SHA256(AppKey, path + "&" + body))`, the path with its leading slash;
//! - `signature = hex(HMAC-SHA256(session_key, body))`, the session key as its UTF-8 text;
//! - client side: `paySig = hex(HMAC-SHA256(AppKey, "requestVirtualPayment&" + signData))`,
//!   `signature = hex(HMAC-SHA256(session_key, signData))`.
//!
//! Always lowercase hex. The body is the exact byte string sent: serialize once, sign those
//! bytes, send those bytes.

use crate::{AppKey, SessionKey};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Lowercase hex of HMAC-SHA256 over the concatenation of `parts`.
pub fn hmac_sha256_hex(key: &[u8], parts: &[&[u8]]) -> String {
    #[allow(clippy::expect_used)]
    let mut mac =
        HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length (RFC 2104)");
    for p in parts {
        mac.update(p);
    }
    // Into a fixed buffer at once, rather than char by char into a growing String.
    let mut hex = vec![0u8; 64];
    let _ = hex::encode_to_slice(mac.finalize().into_bytes(), &mut hex);
    String::from_utf8(hex).unwrap_or_default()
}

/// `pay_sig` of a server call: `path` must carry its leading slash (`/xpay/query_user_balance`).
pub fn pay_sig(app_key: &AppKey, path: &str, body: &[u8]) -> String {
    hmac_sha256_hex(app_key.expose().as_bytes(), &[path.as_bytes(), b"&", body])
}

/// The user `signature` of a `pay+user` call.
pub fn user_signature(session_key: &SessionKey, body: &[u8]) -> String {
    hmac_sha256_hex(session_key.expose().as_bytes(), &[body])
}

/// `paySig` of `wx.requestVirtualPayment`: over `uri & signData`.
pub fn payment_pay_sig(app_key: &AppKey, uri: &str, sign_data: &str) -> String {
    hmac_sha256_hex(
        app_key.expose().as_bytes(),
        &[uri.as_bytes(), b"&", sign_data.as_bytes()],
    )
}

/// Compares two hex signatures in constant time (case-sensitive: WeChat's are lowercase).
pub fn signatures_equal(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Pay {}
    impl Sealed for super::PayUser {}
}

/// How an [`Action`](crate::Action) is signed, as a type: [`Pay`] or [`PayUser`]. It decides
/// whether the action is sent with [`Client::send`](crate::Client::send) or
/// [`Client::send_user`](crate::Client::send_user), so a `pay+user` action cannot be sent
/// without the user's session key.
pub trait SigningKind: sealed::Sealed + Send + Sync + 'static {
    /// The same, as a value.
    const SIGNING: crate::meta::Signing;
}

/// Signed with `pay_sig` only (the spec's `signing: pay`).
#[derive(Debug)]
pub enum Pay {}

/// Signed with `pay_sig` and the user `signature` over the body with the session key (the
/// spec's `signing: pay+user`).
#[derive(Debug)]
pub enum PayUser {}

/// An action sent with [`Client::send`](crate::Client::send): signed with `pay_sig` only.
/// Generated code implements it for every [`Action`](crate::Action) whose
/// [`Signing`](crate::Action::Signing) is [`Pay`] (the supertrait bound keeps the two in step).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is a `pay+user` action: it is signed with the user's session key too",
    label = "a `pay+user` request",
    note = "send it with `client.send_user(request, &session_key)`, the session key from `code2session`"
)]
pub trait PayAction: crate::Action<Signing = Pay> {}

/// An action sent with [`Client::send_user`](crate::Client::send_user): signed with `pay_sig`
/// and the user `signature`. Generated code implements it for every [`Action`](crate::Action)
/// whose [`Signing`](crate::Action::Signing) is [`PayUser`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is a `pay` action: it is signed without a session key",
    label = "a `pay` request",
    note = "send it with `client.send(request)`"
)]
pub trait UserAction: crate::Action<Signing = PayUser> {}

impl SigningKind for Pay {
    const SIGNING: crate::meta::Signing = crate::meta::Signing::Pay;
}

impl SigningKind for PayUser {
    const SIGNING: crate::meta::Signing = crate::meta::Signing::PayUser;
}
