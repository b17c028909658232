xpay_runtime::generate!(spec = "alias_clash.yaml");

fn main() {}
