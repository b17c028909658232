//! Test harnesses shared by the xpay-rs crates. Not published.

pub mod redis_server;

pub use redis_server::RedisServer;
