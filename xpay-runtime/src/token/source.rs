//! Where access tokens come from: the [`TokenSource`] trait and the fixed-token source.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::BoxFuture;
use crate::{AccessToken, Result};

/// A token just obtained from a [`TokenSource`], with how long it stays valid from now.
#[derive(Clone, Debug)]
pub struct FetchedToken {
    /// The access token.
    pub token: AccessToken,
    /// How long the token stays valid, counted from when it was fetched (WeChat's `expires_in`).
    pub expires_in: Duration,
}

/// Where access tokens come from.
///
/// The built-in sources are [`WeChatTokenSource`](super::WeChatTokenSource) (WeChat's
/// `stable_token` or classic `token` endpoint) and [`FixedTokenSource`] (one token given by the
/// caller). Implement this trait to take tokens from elsewhere, such as a central token service
/// shared by several applications.
///
/// The trait is dyn-compatible: [`fetch`](TokenSource::fetch) returns a boxed future, so an
/// implementation writes `Box::pin(async move { … })`.
///
/// A [`TokenManager`](super::TokenManager) calls `fetch` only when its cached token is missing,
/// about to expire or invalidated, and never twice at once in one process.
pub trait TokenSource: Send + Sync {
    /// Obtains a token. Errors should name what went wrong (an errcode and errmsg, say) and must
    /// never contain a secret or a token.
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken>>;

    /// The key under which a [`TokenStore`](super::TokenStore) keeps this source's token.
    ///
    /// It must tell apart every app and every way of obtaining a token that may share one store,
    /// so it includes the app id and the token mode; [`store_key`] builds one.
    fn store_key(&self) -> String;

    /// Whether another fetch can give a different token. A token WeChat rejects is dropped and
    /// fetched again only when this is true; [`FixedTokenSource`] says false, so its rejected
    /// token is an error at once.
    fn can_refresh(&self) -> bool {
        true
    }
}

impl<T: TokenSource + ?Sized> TokenSource for Arc<T> {
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken>> {
        (**self).fetch()
    }

    fn store_key(&self) -> String {
        (**self).store_key()
    }

    fn can_refresh(&self) -> bool {
        (**self).can_refresh()
    }
}

/// The store key for an app id and a token mode (`stable`, `classic`, `fixed`, or a caller's
/// own name): `xpay:{app_id}:access_token:{mode}`, the app id in braces as a Redis Cluster
/// hash tag (every key of one app in one slot).
pub fn store_key(app_id: &str, mode: &str) -> String {
    crate::keys::app_key(app_id, format_args!("access_token:{mode}"))
}

/// A source that always gives the one token it was made with, fetching nothing (the CLI's
/// `XPAY_ACCESS_TOKEN`).
///
/// The token is used as is. Its lifetime is unknown, so it is reported as valid for
/// [`FixedTokenSource::DEFAULT_EXPIRES_IN`] (WeChat's longest) unless told otherwise; when that
/// runs out, or the token is invalidated, the manager "refreshes" it to the same token.
#[derive(Clone)]
pub struct FixedTokenSource {
    app_id: String,
    token: AccessToken,
    expires_in: Duration,
}

impl FixedTokenSource {
    /// How long a fixed token is reported as valid unless told otherwise: 7200 s.
    pub const DEFAULT_EXPIRES_IN: Duration = Duration::from_secs(7200);

    /// A source for `token`, which belongs to the app `app_id` (used only in the store key).
    pub fn new(app_id: impl Into<String>, token: AccessToken) -> Self {
        Self {
            app_id: app_id.into(),
            token,
            expires_in: Self::DEFAULT_EXPIRES_IN,
        }
    }

    /// Reports the token as valid for `expires_in` from each fetch.
    pub fn with_expires_in(mut self, expires_in: Duration) -> Self {
        self.expires_in = expires_in;
        self
    }
}

impl fmt::Debug for FixedTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedTokenSource")
            .field("app_id", &self.app_id)
            .field("token", &self.token)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

impl TokenSource for FixedTokenSource {
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken>> {
        let fetched = FetchedToken {
            token: self.token.clone(),
            expires_in: self.expires_in,
        };
        Box::pin(async move { Ok(fetched) })
    }

    fn store_key(&self) -> String {
        store_key(&self.app_id, "fixed")
    }

    fn can_refresh(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fixed_source_gives_its_token() {
        let token = AccessToken::new("FIXED-TOKEN-VALUE").expect("token");
        let source = FixedTokenSource::new("wx123", token.clone());
        let fetched = source.fetch().await.expect("fetch");
        assert!(fetched.token == token);
        assert_eq!(fetched.expires_in, Duration::from_secs(7200));
        assert_eq!(source.store_key(), "xpay:{wx123}:access_token:fixed");

        let source = source.with_expires_in(Duration::from_secs(60));
        let fetched = source.fetch().await.expect("fetch");
        assert_eq!(fetched.expires_in, Duration::from_secs(60));
    }

    #[test]
    fn fixed_source_debug_hides_the_token() {
        let token = AccessToken::new("FIXED-TOKEN-VALUE").expect("token");
        let debug = format!("{:?}", FixedTokenSource::new("wx123", token));
        assert!(!debug.contains("FIXED-TOKEN-VALUE"), "{debug}");
        assert!(debug.contains("wx123"), "{debug}");
    }
}
