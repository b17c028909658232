xpay::generate!(spec = "tests/ui/duplicate_key.yaml");

fn main() {}
