//! Secrets: redacted in `Debug`, never logged, compared in constant time.

use secrecy::{ExposeSecret, SecretString};
use std::fmt;

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(SecretString);

        impl $name {
            /// Wraps a secret value. Empty values are rejected.
            pub fn new(value: impl Into<String>) -> Result<Self, crate::Error> {
                let value = value.into();
                if value.is_empty() {
                    return Err(crate::Error::Config(concat!($what, " is empty").into()));
                }
                Ok(Self(SecretString::from(value)))
            }

            /// The secret text. Handle with care: never log it.
            pub fn expose(&self) -> &str {
                self.0.expose_secret()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([REDACTED])"))
            }
        }
    };
}

secret_type!(
    /// A user's `session_key` from `code2session`.
    ///
    /// Opaque text: any non-empty string, used as its UTF-8 bytes to sign. It is never decoded
    /// or validated as base64; real keys can carry non-canonical trailing bits.
    SessionKey,
    "session key"
);
secret_type!(
    /// A virtual-payment AppKey (production or sandbox), from MP → 虚拟支付 → 基本配置.
    AppKey,
    "AppKey"
);
secret_type!(
    /// The mini program's AppSecret.
    AppSecret,
    "AppSecret"
);
secret_type!(
    /// An `access_token` for WeChat's server API.
    AccessToken,
    "access token"
);
secret_type!(
    /// The message-push `Token` (令牌) used to sign pushes.
    CallbackToken,
    "callback token"
);

impl PartialEq for AccessToken {
    /// Constant-time comparison.
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.expose()
            .as_bytes()
            .ct_eq(other.expose().as_bytes())
            .into()
    }
}
impl Eq for AccessToken {}
