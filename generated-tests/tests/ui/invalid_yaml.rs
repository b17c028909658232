xpay_runtime::generate!(spec = "invalid_yaml.yaml");

fn main() {}
