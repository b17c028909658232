//! An unknown enum value is opaque: matching a particular one would silently stop matching
//! once a later spec names it, so it does not compile; `wire()` reads it.

fn main() {
    match xpay::api::OrderStatus::from_wire(11) {
        xpay::api::OrderStatus::Unknown(11) => {}
        _ => {}
    }
}
