xpay::generate!(spec = "tests/ui/spec_shape.yaml");

fn main() {}
