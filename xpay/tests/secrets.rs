//! Secrets never appear in `Debug` or `Display`: property tests over arbitrary secret text.

use proptest::prelude::*;
use xpay::{AccessToken, AppKey, AppSecret, Client, Error, SessionKey};

fn secret() -> impl Strategy<Value = String> {
    // At least 6 characters, so a secret cannot hide inside ordinary words of the output.
    "[A-Za-z0-9+/=_-]{6,40}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn secret_types_redact(s in secret()) {
        let debug = format!(
            "{:?} {:?} {:?} {:?}",
            SessionKey::new(s.clone()).unwrap(),
            AppKey::new(s.clone()).unwrap(),
            AppSecret::new(s.clone()).unwrap(),
            AccessToken::new(s.clone()).unwrap()
        );
        prop_assert!(!debug.contains(&s), "{}", debug);
        prop_assert!(debug.contains("REDACTED"));
    }

    #[test]
    fn clients_and_builders_redact(secret in secret(), key in secret(), sandbox in secret(), token in secret()) {
        let builder = Client::builder()
            .app_id("wx_app")
            .app_secret(secret.clone())
            .app_key(key.clone())
            .sandbox_app_key(sandbox.clone())
            .access_token(token.clone());
        let b = format!("{builder:?}");
        let client = builder.build().unwrap();
        let c = format!("{client:?}");
        for s in [&secret, &key, &sandbox, &token] {
            prop_assert!(!b.contains(s.as_str()), "{}", b);
            prop_assert!(!c.contains(s.as_str()), "{}", c);
        }
        prop_assert!(c.contains("wx_app"));
    }

    /// A config error about a missing key or a bad URL never echoes another secret.
    #[test]
    fn config_errors_do_not_leak(key in secret()) {
        let client = Client::builder()
            .app_key(key.clone())
            .offer_id("1450000000")
            .env(xpay::Env::Sandbox)
            .build()
            .unwrap();
        let order = xpay::api::CoinPaymentOrder::new(1, "trade_0001");
        let e = client.payment_params(&order, None).unwrap_err();
        prop_assert!(matches!(e, Error::MissingAppKey { env: xpay::Env::Sandbox, .. }), "{:?}", e);
        let text = format!("{e} {e:?}");
        prop_assert!(!text.contains(&key));
        let e = Client::builder().app_key(key.clone()).base_url("not a url").build().unwrap_err();
        let text = format!("{e} {e:?}");
        prop_assert!(!text.contains(&key));
    }
}

#[test]
fn empty_secrets_are_refused() {
    assert!(matches!(
        SessionKey::new(""),
        Err(Error::InvalidSetting {
            setting: xpay::Setting::SessionKey,
            ..
        })
    ));
    assert!(Client::builder().app_key("").build().is_err());
}

/// Session keys are opaque text: non-canonical base64 (trailing bits set) is used as it is.
#[test]
fn session_keys_are_not_decoded() {
    let k = SessionKey::new("9hAb/NEYUlkaMBEsmFgzih==").unwrap();
    assert_eq!(k.expose(), "9hAb/NEYUlkaMBEsmFgzih==");
    assert!(SessionKey::new("not base64 at all!").is_ok());
}
