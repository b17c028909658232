xpay::generate!(spec = "tests/ui/invalid_yaml.yaml");

fn main() {}
