xpay::generate!(spec = "tests/ui/missing_path.yaml");

fn main() {}
