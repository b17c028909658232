xpay::generate!(spec = "tests/ui/action_rules.yaml");

fn main() {}
