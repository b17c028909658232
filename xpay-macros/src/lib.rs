//! The `generate!` proc-macro of xpay-rs. Use it through the `xpay` crate, which passes its
//! own path as the runtime:
//!
//! ```text
//! xpay::generate!(spec = "spec/extra.yaml");
//! ```
//!
//! The spec path resolves from the invoking crate's `CARGO_MANIFEST_DIR` (the base rustc and
//! rust-analyzer share). The file is tracked, so editing it rebuilds the crate. A spec with
//! errors becomes a `compile_error!` on the path literal, listing every problem with its file,
//! line and column. All the work is done by `xpay_codegen::expand_macro`; this crate only
//! hands it the tokens.

use proc_macro::TokenStream;

/// Expands a WeChat virtual-payment spec into typed request/response structs with their
/// `Action` impls, the payment orders, the typed events and the `SPEC` table.
///
/// Arguments: `spec = "path.yaml"` (required; relative to the crate's manifest directory),
/// `runtime = path` (where the runtime is: `::xpay_runtime` by default; `xpay::generate!`
/// passes its own crate), `roundtrip = true` (every type implements both `Serialize` and
/// `Deserialize`, for fakes and tests; by default requests serialize and responses and events
/// deserialize).
#[proc_macro]
pub fn generate(input: TokenStream) -> TokenStream {
    xpay_codegen::expand_macro(input.into()).into()
}
