//! Helpers shared by the generated-code tests: the spec text, sample bodies built from the
//! spec's own tables (the mock's, so no test is written per action), and an independent
//! checking server.

use serde_json::Value;
use xpay::Env;
use xpay::meta::ActionMeta;

/// The built-in spec's text.
pub fn spec_source() -> String {
    xpay::SPEC_YAML.to_string()
}

/// A sample request for an action, sandbox env: every field set (only the first member of each
/// one_of group), with values within the spec's rules.
pub fn sample_request(meta: &ActionMeta) -> Value {
    xpay_mock::sample::sample_request(meta, Env::Sandbox)
}

pub mod server;
