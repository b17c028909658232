//! The configuration contract: `ClientBuilder::from_lookup` reads the `XPAY_*` variables, and
//! an error names a variable only for a setting that came from one.

use std::collections::HashMap;

use xpay::{ClientBuilder, Env, Error, Setting};

/// A lookup over a fixed table of variables.
fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Result<Option<String>, String> + Clone + use<> {
    let table: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name: &str| Ok(table.get(name).cloned())
}

/// The setting and the variable named by a configuration error.
fn named(e: &Error) -> (Setting, Option<&'static str>) {
    match e {
        Error::MissingSetting {
            setting, env_var, ..
        }
        | Error::InvalidSetting {
            setting, env_var, ..
        } => (*setting, *env_var),
        Error::MissingAppKey { env, env_var, .. } => (Setting::AppKey(*env), *env_var),
        other => panic!("not a configuration error: {other:?}"),
    }
}

#[test]
fn a_missing_variable_is_named() {
    let client = ClientBuilder::from_lookup(vars(&[("XPAY_APP_ID", "wx1")]))
        .build()
        .unwrap();
    let e = client.require(&[Setting::OfferId]).unwrap_err();
    assert_eq!(named(&e), (Setting::OfferId, Some("XPAY_OFFER_ID")));
}

#[test]
fn a_setting_given_in_code_is_the_programs_and_names_no_variable() {
    // Overridden in code with a bad value: the builder method is to blame, not XPAY_BASE_URL.
    let e = ClientBuilder::from_lookup(vars(&[("XPAY_BASE_URL", "http://127.0.0.1:1")]))
        .base_url("not a url")
        .build()
        .unwrap_err();
    assert_eq!(named(&e), (Setting::BaseUrl, None));

    let e = ClientBuilder::from_lookup(vars(&[]))
        .app_key("")
        .build()
        .unwrap_err();
    assert!(
        matches!(e, Error::InvalidSetting { env_var: None, .. }),
        "{e:?}"
    );

    // A variable that cannot be read no longer matters once code replaces it.
    let broken = |name: &str| match name {
        "XPAY_ENV" => Ok(Some("staging".to_string())),
        _ => Ok(None),
    };
    let e = ClientBuilder::from_lookup(broken).build().unwrap_err();
    assert_eq!(named(&e), (Setting::Env, Some("XPAY_ENV")));
    ClientBuilder::from_lookup(broken)
        .env(Env::Sandbox)
        .build()
        .expect("the env given in code replaces the unreadable variable");
}

#[test]
fn a_missing_app_id_is_named_as_such_not_as_the_app_secret() {
    let client = ClientBuilder::from_lookup(vars(&[("XPAY_APP_SECRET", "s3cret")]))
        .build()
        .unwrap();
    let e = client.require(&[Setting::TokenSource]).unwrap_err();
    assert_eq!(named(&e), (Setting::AppId, Some("XPAY_APP_ID")));

    let client = ClientBuilder::from_lookup(vars(&[("XPAY_APP_ID", "wx1")]))
        .build()
        .unwrap();
    let e = client.require(&[Setting::TokenSource]).unwrap_err();
    assert_eq!(named(&e), (Setting::TokenSource, Some("XPAY_APP_SECRET")));
}

#[test]
fn whitespace_around_a_value_is_refused_and_not_quoted() {
    for value in [" ", "\t", "s3cret-value\n", " s3cret-value"] {
        let e = ClientBuilder::from_lookup(vars(&[("XPAY_APP_SECRET", value)]))
            .build()
            .unwrap_err();
        assert_eq!(
            named(&e),
            (Setting::AppSecret, Some("XPAY_APP_SECRET")),
            "{value:?}"
        );
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }
}

#[test]
fn base_urls_that_would_misplace_request_paths_are_refused_at_build() {
    for url in [
        "http://127.0.0.1:1?x=1",
        "http://127.0.0.1:1/#frag",
        "http://h/p?access_token=TOKEN-123",
        "file:///etc/passwd",
        "http://user:pw@h",
    ] {
        let e = ClientBuilder::from_lookup(vars(&[("XPAY_BASE_URL", url)]))
            .build()
            .unwrap_err();
        assert_eq!(
            named(&e),
            (Setting::BaseUrl, Some("XPAY_BASE_URL")),
            "{url}"
        );
        let text = e.to_string();
        assert!(
            !text.contains("TOKEN-123") && !text.contains("pw"),
            "{text}"
        );
    }
    ClientBuilder::from_lookup(vars(&[("XPAY_BASE_URL", "http://127.0.0.1:8080/prefix/")]))
        .build()
        .expect("a path prefix is fine");
}

#[test]
fn env_accepts_digits_and_words_in_any_case() {
    for (value, env) in [
        ("0", Env::Production),
        ("production", Env::Production),
        ("Prod", Env::Production),
        ("1", Env::Sandbox),
        ("SANDBOX", Env::Sandbox),
    ] {
        let client = ClientBuilder::from_lookup(vars(&[("XPAY_ENV", value)]))
            .build()
            .unwrap();
        assert_eq!(client.env(), env, "{value}");
    }
    for value in ["2", "staging", "\u{1b}[31m1"] {
        let e = ClientBuilder::from_lookup(vars(&[("XPAY_ENV", value)]))
            .build()
            .unwrap_err();
        assert_eq!(named(&e), (Setting::Env, Some("XPAY_ENV")), "{value:?}");
        assert!(!e.to_string().contains('\u{1b}'), "{e}");
    }
}

#[test]
fn a_lookup_failure_is_escaped_and_names_the_variable() {
    let failing = |name: &str| match name {
        "XPAY_OFFER_ID" => Err("cannot read \u{1b}[2J\u{202e}".to_string()),
        _ => Ok(None),
    };
    let e = ClientBuilder::from_lookup(failing).build().unwrap_err();
    assert_eq!(named(&e), (Setting::OfferId, Some("XPAY_OFFER_ID")));
    let text = e.to_string();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "{text}"
    );
}
