//! Property: whatever the field values (any Unicode, quotes, escapes), the signatures cover
//! exactly the bytes that were sent. The independent server recomputes both signatures over the
//! bytes it received.

use generated_tests::server::{Keys, Server};
use proptest::prelude::*;
use xpay::api::{CurrencyPayRequest, PayItem};
use xpay::{Client, JsonString, SessionKey};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn signatures_cover_the_exact_bytes_sent(
        openid in "[A-Za-z0-9_-]{1,28}",
        remark in "\\PC{0,40}",
        product in "[^\u{0}]{1,12}",
        amount in 1i64..1_000_000,
        quantity in 1i64..100,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let server = Server::start(Keys::default()).await;
            let client = Client::builder()
                .app_id("wx")
                .app_secret("s")
                .app_key(&server.keys.app_key)
                .sandbox_app_key(&server.keys.sandbox_app_key)
                .base_url(&server.base_url)
                .build()
                .unwrap();
            let sk = SessionKey::new(server.keys.session_key.clone()).unwrap();
            let req = CurrencyPayRequest::new(openid.clone(), "127.0.0.1", amount, "order_0001", JsonString(vec![PayItem::new(product.clone(), amount, quantity)]), remark.clone());
            client.send_user(req, &sk).await.map_err(|e| TestCaseError::fail(e.to_string()))?;
            let seen = server.seen();
            prop_assert_eq!(seen.len(), 1);
            prop_assert_eq!(&seen[0].rejected, &None);
            let body: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
            prop_assert_eq!(body["remark"].as_str(), Some(remark.as_str()));
            prop_assert_eq!(body["openid"].as_str(), Some(openid.as_str()));
            let items: serde_json::Value = serde_json::from_str(body["payitem"].as_str().unwrap()).unwrap();
            prop_assert_eq!(items[0]["productid"].as_str(), Some(product.as_str()));
            Ok(())
        })?;
    }
}
