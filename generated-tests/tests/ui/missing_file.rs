xpay_runtime::generate!(spec = "no_such_spec.yaml");

fn main() {}
