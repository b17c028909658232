//! A `pay+user` action needs the user's session key: `send` does not take it, so it does not
//! compile; `send_user` does.

async fn balance(client: &xpay::Client) {
    let _ = client
        .send(xpay::api::QueryUserBalanceRequest::new("o", "1.1.1.1"))
        .await;
}

fn main() {
    let _ = balance;
}
