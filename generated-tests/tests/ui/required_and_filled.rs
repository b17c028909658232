xpay::generate!(spec = "tests/ui/required_and_filled.yaml");

fn main() {}
