xpay::generate!(spec = "tests/ui/duplicate_action.yaml");

fn main() {}
