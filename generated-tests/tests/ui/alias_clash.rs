xpay::generate!(spec = "tests/ui/alias_clash.yaml");

fn main() {}
