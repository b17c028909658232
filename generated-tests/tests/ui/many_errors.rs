xpay_runtime::generate!(spec = "many_errors.yaml");

fn main() {}
