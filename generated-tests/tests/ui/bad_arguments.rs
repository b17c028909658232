xpay_runtime::generate!(spec = "unknown_type.yaml", colour = "blue");

fn main() {}
