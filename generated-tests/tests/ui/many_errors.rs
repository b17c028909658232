xpay::generate!(spec = "tests/ui/many_errors.yaml");

fn main() {}
