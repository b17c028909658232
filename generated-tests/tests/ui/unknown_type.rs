xpay::generate!(spec = "tests/ui/unknown_type.yaml");

fn main() {}
