//! Access tokens: fetched, cached, shared and refreshed ahead of expiry.
//!
//! - A [`TokenSource`] says where tokens come from: [`WeChatTokenSource`] asks WeChat
//!   (`stable_token` by default, the classic `token` as an option, see [`TokenMode`]);
//!   [`FixedTokenSource`] gives one token it was handed; an application can implement the trait
//!   to take tokens from a central token service.
//! - A [`TokenStore`] says where they are kept: [`MemoryStore`] for one process, or a store shared
//!   by several instances (`RedisStore`, feature `redis`), which also holds the lock that lets
//!   one instance refresh.
//! - A [`TokenManager`] hands them out: cached while they have more than the refresh margin left
//!   (5 minutes by default), then refreshed by exactly one caller in the process while the others
//!   wait for its outcome; [`TokenManager::invalidate`] drops a token WeChat rejected
//!   (40001, 40014, 42001) so that the next call fetches another.
//!
//! ```no_run
//! # async fn demo() -> xpay_runtime::Result<()> {
//! use xpay_runtime::AppSecret;
//! use xpay_runtime::token::{TokenManager, WeChatTokenSource};
//!
//! let source = WeChatTokenSource::new(reqwest::Client::new(), "wx1234567890", AppSecret::new("…")?);
//! let tokens = TokenManager::new(source);
//! let token = tokens.get().await?;
//! # Ok(())
//! # }
//! ```
//!
//! Nothing here asks WeChat for `force_refresh: true`, and no token or secret is ever logged,
//! printed by `Debug`, or put in an error.

use std::future::Future;
use std::pin::Pin;

mod manager;
mod source;
mod store;
mod wechat;

pub use manager::{Invalidation, TokenManager, TokenManagerBuilder};
pub use source::{FetchedToken, FixedTokenSource, TokenSource, store_key};
pub use store::{LockToken, MemoryStore, StoredToken, TokenStore};
pub use wechat::{TokenMode, WeChatTokenSource};

/// The boxed future the token traits return, which keeps them dyn-compatible.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
