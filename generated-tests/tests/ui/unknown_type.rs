xpay_runtime::generate!(spec = "unknown_type.yaml");

fn main() {}
