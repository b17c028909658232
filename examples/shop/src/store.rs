//! The shop's data: who is logged in, the orders, what each user owns, and which pushes have
//! been handled. In memory, behind one mutex.
//!
//! **What a real app uses instead:** a database. The parts map onto it like this:
//!
//! | here | in a database |
//! |---|---|
//! | `sessions` (openid → session key) | a table or a Redis hash, server-side only, overwritten on every login |
//! | `orders` (outTradeNo → [`Order`]) | an `orders` table with `out_trade_no` as its primary key |
//! | `handled` ((event, dedup key)) | a `handled_pushes` table with a **unique key** on `(event, dedup_key)` |
//! | `inventory` | whatever your game or app grants |
//!
//! The one rule that matters: recording the dedup key and applying the push happen in **one
//! transaction** (here: under one lock). Insert into `handled_pushes` first; a unique-key
//! violation means another delivery of the same push got there first, so answer success and
//! change nothing. That is what makes WeChat's retries (up to 15 over about a day), duplicate
//! deliveries and two instances receiving the same push at once all harmless.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use xpay::SessionKey;
use xpay::api::{CoinPayEvent, GoodsDeliverEvent, RefundEvent};
use xpay::clock::unix_now;

use crate::catalog::{ITEMS_PER_ORDER, ProductKind};

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Signed and handed to the mini program; not paid (yet). Most abandoned payments stay here.
    Pending,
    /// Paid, and the item granted (or, for a token pack, the tokens credited by WeChat).
    Delivered,
    /// A refund was started with `refund_order`; WeChat will push its result.
    Refunding,
    /// WeChat pushed a successful refund.
    Refunded,
    /// WeChat pushed a failed refund (see `refund_error`).
    RefundFailed,
}

/// One order, as `GET /orders/{out_trade_no}` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    /// The shop's order id, WeChat's `outTradeNo`.
    pub out_trade_no: String,
    /// The buyer.
    pub openid: String,
    /// The product bought.
    pub product_id: String,
    /// Item or token pack, as sold.
    pub kind: ProductKind,
    /// Where the order stands.
    pub status: OrderStatus,
    /// When it was created, unix seconds.
    pub created_at: i64,
    /// When the delivery push was handled, unix seconds.
    pub delivered_at: Option<i64>,
    /// WeChat Pay's transaction id (from the delivery push), for customer support.
    pub transaction_id: Option<String>,
    /// The refund id given to `refund_order` (`MchRefundId`).
    pub refund_id: Option<String>,
    /// What was refunded, fen.
    pub refund_fee: Option<i64>,
    /// When the refund push was handled, unix seconds.
    pub refunded_at: Option<i64>,
    /// Why the refund failed, when it did.
    pub refund_error: Option<String>,
}

impl Order {
    /// A new pending order.
    pub fn pending(out_trade_no: &str, openid: &str, product_id: &str, kind: ProductKind) -> Self {
        Order {
            out_trade_no: out_trade_no.to_string(),
            openid: openid.to_string(),
            product_id: product_id.to_string(),
            kind,
            status: OrderStatus::Pending,
            created_at: unix_now(),
            delivered_at: None,
            transaction_id: None,
            refund_id: None,
            refund_fee: None,
            refunded_at: None,
            refund_error: None,
        }
    }
}

/// Why a push could not be applied. The push is then answered with a failure (HTTP 500), so
/// WeChat sends it again later: a push is never acknowledged without having been applied.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The push lacks a field the shop needs.
    #[error("{event}: the push has no {field}")]
    MissingField {
        /// The event.
        event: &'static str,
        /// The field's wire name.
        field: &'static str,
    },
    /// The push names an order the shop never created.
    // Pushed values are outside input: escaped before they reach a log line.
    #[error("{event}: no order {}", xpay::escape_controls(out_trade_no))]
    UnknownOrder {
        /// The event.
        event: &'static str,
        /// The order id pushed.
        out_trade_no: String,
    },
    /// The push does not fit the order it names (another user, product or kind).
    #[error(
        "{event}: order {}: {}",
        xpay::escape_controls(out_trade_no),
        xpay::escape_controls(problem)
    )]
    Mismatch {
        /// The event.
        event: &'static str,
        /// The order id pushed.
        out_trade_no: String,
        /// What does not fit.
        problem: String,
    },
    /// A push of a known event whose fields do not fit its type (`Event::Malformed`). It may
    /// be a paid order, so it is neither applied nor acknowledged: WeChat keeps retrying while
    /// someone looks (the log line is an error), and nothing is delivered by guesswork.
    #[error("{event}: the push does not fit its type: {error}")]
    Malformed {
        /// The event's name.
        event: String,
        /// What did not fit.
        error: String,
    },
}

/// What applying a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The push was new and the order changed.
    Done,
    /// The same push (same event and dedup key) was handled before: nothing changed.
    Duplicate,
}

/// Everything the shop keeps. See the [module docs](self) for its database equivalent.
#[derive(Debug, Default)]
pub struct Store {
    /// openid → the latest session key from `code2session`. Never sent to the client.
    pub sessions: HashMap<String, SessionKey>,
    /// outTradeNo → order.
    pub orders: HashMap<String, Order>,
    /// (event name, dedup key) of every push applied.
    handled: HashSet<(String, String)>,
    /// openid → product id → how many the user owns.
    inventory: HashMap<String, BTreeMap<String, i64>>,
}

impl Store {
    /// What a user owns: product id → count.
    pub fn inventory(&self, openid: &str) -> BTreeMap<String, i64> {
        self.inventory.get(openid).cloned().unwrap_or_default()
    }

    /// Checks the dedup key, and if the push is new, applies `apply` and records the key, all
    /// under the caller's lock (one transaction in a database).
    pub fn apply_once(
        &mut self,
        event: &str,
        dedup_key: &str,
        apply: impl FnOnce(&mut Store) -> Result<(), PushError>,
    ) -> Result<Applied, PushError> {
        let key = (event.to_string(), dedup_key.to_string());
        if self.handled.contains(&key) {
            return Ok(Applied::Duplicate);
        }
        // Apply first and record the key only on success: a failed push must stay
        // unhandled so that WeChat's retry is applied. (In SQL: both in one transaction,
        // rolled back together.)
        apply(self)?;
        self.handled.insert(key);
        Ok(Applied::Done)
    }

    /// `xpay_goods_deliver_notify`: the item was paid for; grant it.
    pub fn deliver_goods(&mut self, e: &GoodsDeliverEvent) -> Result<(), PushError> {
        const EVENT: &str = "xpay_goods_deliver_notify";
        let order = self.paid_order(EVENT, e.out_trade_no.as_deref(), e.open_id.as_deref())?;
        if !matches!(order.kind, ProductKind::Item { .. }) {
            return Err(mismatch(EVENT, order, "is a token pack, not an item"));
        }
        let info = e.goods_info.as_ref();
        let pushed_product = info.and_then(|g| g.product_id.as_deref());
        if pushed_product.is_some_and(|p| p != order.product_id) {
            let problem = format!(
                "was for {}, the push says {pushed_product:?}",
                order.product_id
            );
            return Err(mismatch(EVENT, order, &problem));
        }
        // What the order bought, not what the push says: an absent or empty `Quantity` grants
        // no default, and one that differs is a mismatch.
        let pushed_quantity = info.and_then(|g| g.quantity);
        if pushed_quantity.is_some_and(|q| q != ITEMS_PER_ORDER) {
            let problem = format!("was for {ITEMS_PER_ORDER}, the push says {pushed_quantity:?}");
            return Err(mismatch(EVENT, order, &problem));
        }
        let transaction_id = e
            .wechat_pay_info
            .as_ref()
            .and_then(|w| w.transaction_id.clone());
        let (product_id, openid) = (order.product_id.clone(), order.openid.clone());
        mark_delivered(order, transaction_id);
        // Grant the item. In a real app: the same transaction as the dedup key.
        *self
            .inventory
            .entry(openid)
            .or_default()
            .entry(product_id)
            .or_insert(0) += ITEMS_PER_ORDER;
        Ok(())
    }

    /// `xpay_coin_pay_notify`: WeChat has credited the tokens to the user's balance (which
    /// WeChat keeps); the shop only records the order as done.
    pub fn coins_paid(&mut self, e: &CoinPayEvent) -> Result<(), PushError> {
        const EVENT: &str = "xpay_coin_pay_notify";
        let order = self.paid_order(EVENT, e.out_trade_no.as_deref(), e.open_id.as_deref())?;
        let ProductKind::Coins { tokens } = order.kind else {
            return Err(mismatch(EVENT, order, "is an item, not a token pack"));
        };
        let pushed = e.coin_info.as_ref().and_then(|c| c.quantity);
        if pushed.is_some_and(|q| q != tokens) {
            let problem = format!("was for {tokens} tokens, the push says {pushed:?}");
            return Err(mismatch(EVENT, order, &problem));
        }
        let transaction_id = e
            .wechat_pay_info
            .as_ref()
            .and_then(|w| w.transaction_id.clone());
        mark_delivered(order, transaction_id);
        Ok(())
    }

    /// `xpay_refund_notify`: a refund finished, successfully (`RetCode` 0) or not.
    pub fn refund_finished(&mut self, e: &RefundEvent) -> Result<(), PushError> {
        const EVENT: &str = "xpay_refund_notify";
        let out_trade_no = e.mch_order_id.as_deref().ok_or(PushError::MissingField {
            event: EVENT,
            field: "MchOrderId",
        })?;
        let order = self
            .orders
            .get_mut(out_trade_no)
            .ok_or_else(|| PushError::UnknownOrder {
                event: EVENT,
                out_trade_no: out_trade_no.to_string(),
            })?;
        order.refund_id = e.mch_refund_id.clone().or(order.refund_id.take());
        if e.ret_code == Some(0) {
            order.status = OrderStatus::Refunded;
            order.refund_fee = e.refund_fee;
            order.refunded_at = Some(unix_now());
            order.refund_error = None;
            // A real app takes the item back here if its rules say so. Note that WeChat does
            // not take back tokens of a refunded token pack.
        } else {
            order.status = OrderStatus::RefundFailed;
            order.refund_error = Some(format!(
                "RetCode {:?}: {}",
                e.ret_code,
                e.ret_msg.as_deref().unwrap_or("no message")
            ));
        }
        Ok(())
    }

    /// The order a payment push names, checked against the pushed openid.
    fn paid_order(
        &mut self,
        event: &'static str,
        out_trade_no: Option<&str>,
        openid: Option<&str>,
    ) -> Result<&mut Order, PushError> {
        let out_trade_no = out_trade_no.ok_or(PushError::MissingField {
            event,
            field: "OutTradeNo",
        })?;
        let openid = openid.ok_or(PushError::MissingField {
            event,
            field: "OpenId",
        })?;
        let order = self
            .orders
            .get_mut(out_trade_no)
            .ok_or_else(|| PushError::UnknownOrder {
                event,
                out_trade_no: out_trade_no.to_string(),
            })?;
        if order.openid != openid {
            return Err(mismatch(event, order, "belongs to another user"));
        }
        Ok(order)
    }
}

fn mark_delivered(order: &mut Order, transaction_id: Option<String>) {
    order.status = OrderStatus::Delivered;
    order.delivered_at = Some(unix_now());
    order.transaction_id = transaction_id;
}

fn mismatch(event: &'static str, order: &Order, problem: &str) -> PushError {
    PushError::Mismatch {
        event,
        out_trade_no: order.out_trade_no.clone(),
        problem: problem.to_string(),
    }
}

#[cfg(test)]
mod push_error_tests {
    use super::PushError;

    /// Pushed values reach the shop's log through these errors: a forged line or a terminal
    /// escape in an `OutTradeNo` is written escaped.
    #[test]
    fn pushed_values_are_escaped_in_push_errors() {
        let hostile = "a\u{1b}[2J\nFAKE INFO forged";
        for e in [
            PushError::UnknownOrder {
                event: "xpay_goods_deliver_notify",
                out_trade_no: hostile.into(),
            },
            PushError::Mismatch {
                event: "xpay_goods_deliver_notify",
                out_trade_no: hostile.into(),
                problem: hostile.into(),
            },
        ] {
            let shown = e.to_string();
            assert!(
                !shown.contains('\u{1b}') && !shown.contains('\n'),
                "{shown}"
            );
            assert!(shown.contains("\\u{1b}[2J\\nFAKE"), "{shown}");
        }
    }
}
