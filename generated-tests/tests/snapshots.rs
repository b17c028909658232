//! Snapshots of what the generator makes of `spec/xpay.yaml`: the code of every action, type,
//! event and table (prettyplease-formatted, one snapshot each, so a spec change is a readable
//! diff), the wire JSON of a sample request per action, and the rendered docs.
//!
//! Review changes with `cargo insta review`. In CI (`CI=true`) insta never writes snapshots.

use generated_tests::server::{Keys, Server};
use generated_tests::{sample_request, spec_source};
use xpay::Client;
use xpay::meta::Signing;
use xpay_codegen::{Generator, Settings, Spec};

fn load(source: &str) -> Spec {
    Spec::load("spec/xpay.yaml", source).expect("spec is valid")
}

fn generator() -> Generator {
    // As the `xpay` crate's build script generates the built-in API.
    Generator::new(
        Settings::new().derives(xpay_codegen::Derives::Feature("serde-roundtrip".into())),
    )
}

#[test]
fn generated_code_per_part() {
    let spec = load(&spec_source());
    let parts = generator().parts(&spec);
    // One snapshot per action, type, and the shared parts.
    let [actions, types, _, _] = spec.counts();
    assert!(parts.len() >= actions + types + 2);
    for (label, tokens) in parts {
        let code = xpay_codegen::pretty(tokens).unwrap_or_else(|e| panic!("{label}: {e}"));
        insta::assert_snapshot!(label, code);
    }
}

/// `(name, body → the typed request's body)` for every action: the typed request read from a
/// dynamic body (the `serde-roundtrip` feature) and serialized again.
type Roundtrip = (&'static str, fn(&[u8]) -> serde_json::Result<Vec<u8>>);

macro_rules! roundtrips {
    ($($t:ident),* $(,)?) => {
        [$(
            (
                <xpay::api::$t as xpay::Action>::META.name,
                (|body: &[u8]| serde_json::from_slice::<xpay::api::$t>(body).and_then(|r| serde_json::to_vec(&r)))
                    as fn(&[u8]) -> serde_json::Result<Vec<u8>>,
            )
        ),*]
    };
}

fn roundtrips() -> Vec<Roundtrip> {
    use xpay::api::*;
    let _ = (&SPEC,);
    roundtrips![
        QueryUserBalanceRequest,
        CurrencyPayRequest,
        QueryOrderRequest,
        CancelCurrencyPayRequest,
        NotifyProvideGoodsRequest,
        PresentCurrencyRequest,
        DownloadBillRequest,
        RefundOrderRequest,
        CreateWithdrawOrderRequest,
        QueryWithdrawOrderRequest,
        StartUploadGoodsRequest,
        QueryUploadGoodsRequest,
        StartPublishGoodsRequest,
        QueryPublishGoodsRequest,
        QueryBizBalanceRequest,
        QueryTransferAccountRequest,
        QueryAdverFundsRequest,
        CreateFundsBillRequest,
        BindTransferAccoutRequest,
        QueryFundsBillRequest,
        QueryRecoverBillRequest,
        GetComplaintListRequest,
        GetComplaintDetailRequest,
        GetNegotiationHistoryRequest,
        ResponseComplaintRequest,
        CompleteComplaintRequest,
        UploadVpFileRequest,
        GetUploadFileSignRequest,
        DownloadAdverfundsOrderRequest,
        QuerySubscribeContractRequest,
        SendSubscribePrePaymentRequest,
        SubmitSubscribePayOrderRequest,
        CancelSubscribeContractRequest,
        StartDownloadOrderRequest,
        QueryDownloadOrderRequest,
        DownloadIosSettlementBillRequest,
        QueryPunishmentReasonsRequest,
    ]
    .into()
}

/// The dynamic and the typed paths put the same fields on the wire, for every action: the body
/// a dynamic call sends (caught by a local server) reads into the typed request, which writes
/// it back with the same content. The typed body is snapshotted.
#[tokio::test]
async fn wire_json_of_a_sample_request_per_action() {
    let server = Server::start(Keys::default()).await;
    let client = Client::builder()
        .app_id("wx_test_app")
        .app_secret("test-secret")
        .offer_id("1450000000")
        .app_key(&server.keys.app_key)
        .sandbox_app_key(&server.keys.sandbox_app_key)
        .base_url(&server.base_url)
        .build()
        .expect("client");
    let sk = xpay::SessionKey::new(server.keys.session_key.clone()).expect("session key");
    let table = roundtrips();
    let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
    let spec_names: Vec<&str> = xpay::api::SPEC.actions.iter().map(|a| a.name).collect();
    assert_eq!(
        names, spec_names,
        "the roundtrip table lists every action, in spec order"
    );
    for (meta, (_, roundtrip)) in xpay::api::SPEC.actions.iter().zip(&table) {
        let sk_arg = (meta.signing == Signing::PayUser).then_some(&sk);
        client
            .call(&xpay::api::SPEC, meta.name, sample_request(meta), sk_arg)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", meta.name));
        let dynamic = server.seen().last().expect("seen").body.clone();
        let typed = roundtrip(&dynamic)
            .unwrap_or_else(|e| panic!("{}: the typed request rejects the body: {e}", meta.name));
        // JSON-in-a-string fields compare by content: the key order inside them may differ.
        let a = normalize(serde_json::from_slice(&dynamic).expect("json"));
        let b = normalize(serde_json::from_slice(&typed).expect("json"));
        assert_eq!(a, b, "{}", meta.name);
        let text = String::from_utf8(typed).expect("utf-8");
        insta::assert_snapshot!(format!("wire_{}", meta.name), text);
    }
}

/// Parses JSON held in strings, recursively, so values compare by content.
fn normalize(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => match serde_json::from_str::<Value>(&s) {
            Ok(inner @ (Value::Array(_) | Value::Object(_))) => normalize(inner),
            _ => Value::String(s),
        },
        Value::Array(a) => Value::Array(a.into_iter().map(normalize).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, normalize(v))).collect()),
        other => other,
    }
}

#[test]
fn rendered_docs() {
    let md = load(&spec_source()).markdown().expect("render");
    insta::assert_snapshot!("docs", md);
}

/// `docs/ACTIONS.md` is committed; it must match the spec. Run with `XPAY_BLESS=1` to rewrite
/// it after changing the spec.
#[test]
fn committed_docs_are_current() {
    let md = load(&spec_source()).markdown().expect("render");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/ACTIONS.md");
    if std::env::var_os("XPAY_BLESS").is_some() {
        std::fs::write(path, &md).expect("write docs/ACTIONS.md");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == md,
        "docs/ACTIONS.md is out of date: run `XPAY_BLESS=1 cargo test -p generated-tests --test snapshots committed_docs_are_current` (or `cargo run -p xpay-cli -- spec docs > docs/ACTIONS.md`)"
    );
}

/// Changing one field in the YAML changes exactly the generated part of that action (so exactly
/// one code snapshot), and the wire of the others stays the same.
#[test]
fn one_field_change_touches_one_part() {
    let source = spec_source();
    let line = "      fail_reason: { type: string, doc: 提现失败原因 — why it failed }";
    assert_eq!(source.matches(line).count(), 1, "the edited line is unique");
    let edited = source.replace(
        line,
        "      fail_reason: { type: string, doc: 提现失败原因 — why it failed (edited) }",
    );
    let a = generator().parts(&load(&source));
    let b = generator().parts(&load(&edited));
    let changed: Vec<&str> = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x.1.to_string() != y.1.to_string())
        .map(|(x, _)| x.0.as_str())
        .collect();
    assert_eq!(changed, ["action_query_withdraw_order"]);
}
