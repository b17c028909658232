xpay_runtime::generate!(spec = "duplicate_action.yaml");

fn main() {}
