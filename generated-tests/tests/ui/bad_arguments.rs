xpay::generate!(spec = "tests/ui/unknown_type.yaml", colour = "blue");

fn main() {}
