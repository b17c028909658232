xpay::generate!(spec = "tests/ui/legacy_one_of.yaml");

fn main() {}
