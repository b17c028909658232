xpay::generate!(spec = "tests/extra/extra.yaml", trait_name = "GiftCardActions");

fn main() {}
