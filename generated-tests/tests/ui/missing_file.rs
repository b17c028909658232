xpay::generate!(spec = "tests/ui/no_such_spec.yaml");

fn main() {}
