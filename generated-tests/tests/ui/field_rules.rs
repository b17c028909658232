xpay::generate!(spec = "tests/ui/field_rules.yaml");

fn main() {}
