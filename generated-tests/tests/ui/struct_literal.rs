//! Generated types are non-exhaustive: a literal would break when the spec gains a field, so
//! it does not compile outside the crate that generated them; `new` and the setters do.

fn main() {
    let _ = xpay::api::QueryUserBalanceRequest {
        openid: "o".into(),
        user_ip: "1.1.1.1".into(),
        env: None,
    };
}
