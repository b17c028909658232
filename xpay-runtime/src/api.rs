//! The API generated from `spec/xpay.yaml`: a request and a response type for every action
//! (`QueryUserBalanceRequest` / `QueryUserBalanceResponse`, …), the named objects and enums
//! (`Order`, `OrderStatus`, …), the payment order (`PaymentOrder`), the typed push events
//! (`Event`, `Envelope`), and [`SPEC`], the table of every action, event and errcode.
//!
//! The client methods (`Client::query_user_balance`, …) are generated beside these, as
//! inherent methods of [`Client`](crate::Client). See `docs/ACTIONS.md` for the whole list.

crate::generate!(spec = "../spec/xpay.yaml", inherent);
