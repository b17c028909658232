//! A broken spec is one located error: the items it would have generated still exist as
//! stand-ins, so code using them adds no "cannot find type" errors of its own.

mod gift {
    xpay::generate!(spec = "tests/ui/unknown_type.yaml");
}

fn takes(_request: Option<gift::QueryGiftCardRequest>, _response: Option<gift::QueryGiftCardResponse>) {}

fn main() {
    takes(None, None);
    let _ = &gift::SPEC;
    let _: Option<gift::Event> = None;
}
