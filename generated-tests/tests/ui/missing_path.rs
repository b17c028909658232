xpay_runtime::generate!(spec = "missing_path.yaml");

fn main() {}
