//! Store keys. Every key of one app (its access token and refresh lock, handled pushes, seen
//! push queries) is `xpay:{app}:…`: the app id in braces is a Redis Cluster hash tag, so that
//! what one script touches stays in one slot, and key names never change under a rolling
//! deploy to a cluster.

/// `xpay:{app}:` followed by `rest`.
pub(crate) fn app_key(app: &str, rest: std::fmt::Arguments<'_>) -> String {
    format!("xpay:{{{app}}}:{rest}")
}
