xpay::generate!(spec = "tests/ui/unknown_key.yaml");

fn main() {}
