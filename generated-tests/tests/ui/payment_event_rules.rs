xpay::generate!(spec = "tests/ui/payment_event_rules.yaml");

fn main() {}
