xpay::generate!(spec = "tests/ui/type_rules.yaml");

fn main() {}
