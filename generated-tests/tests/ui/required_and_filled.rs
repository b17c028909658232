xpay_runtime::generate!(spec = "required_and_filled.yaml");

fn main() {}
