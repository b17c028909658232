//! Generates the built-in API from `spec/xpay.yaml` into `$OUT_DIR/api.rs` (formatted, so that
//! "go to definition" and docs land on readable code). This is the build-script way to
//! generate, the same items `xpay::generate!` and `xpay spec rust` give.

fn main() {
    let settings = xpay_codegen::Settings::new()
        .derives(xpay_codegen::Derives::Feature("serde-roundtrip".into()));
    if let Err(e) =
        xpay_codegen::Generator::new(settings).write_to_out_dir("spec/xpay.yaml", "api.rs")
    {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
