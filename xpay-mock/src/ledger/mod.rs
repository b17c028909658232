//! The in-memory ledger: token balances, cash orders, refunds, withdrawals and item tasks.
//!
//! Every modeled action reads its body into the generated request type (`xpay::api::…Request`)
//! and answers the generated response type; the mock serializes it over a spec-shaped
//! [sample](crate::sample) so that every response field is there. Actions that move money
//! may also ask for a push (the ledger returns the typed event; the server hands it to the
//! push module).
//!
//! Token balances are kept per (openid, env) in two parts, as WeChat reports them: *saved*
//! tokens (bought with money: coin-mode payments made with [`MockServer::pay`]) and
//! *presented* tokens (gifted with `present_currency`). The totals obey, for every account and
//! at every moment:
//!
//! `balance = saved + present = sum_save + sum_present - sum_cost >= 0`
//!
//! | action | effect |
//! |---|---|
//! | `present_currency` | `present += amount`, `sum_present += amount` |
//! | coin payment ([`MockServer::pay`]) | `saved += quantity`, `sum_save += quantity` |
//! | `currency_pay` | deducts `amount`, presented tokens first by default ([`SpendOrder`]); `sum_cost += amount`; answers `order_id`, `balance`, `used_present_amount`; 268490006 when `amount > balance` |
//! | `cancel_currency_pay` | gives back `amount` (at most what the `pay_order_id` paid) to the parts it was taken from, saved first; `sum_cost -= amount`; one cancel per payment: another answers 268490005 |
//! | `query_user_balance` | `balance`, `present_balance`, `sum_save`, `sum_present`, `sum_balance = sum_save + sum_present`, `sum_cost`, `first_save_flag = (sum_save == 0)` |
//!
//! Every id that moves money is single-use per env and per kind (gift, payment, cancel, cash
//! order, refund, withdrawal): a repeat answers 268490004 and moves nothing, whatever its other
//! fields say. Amounts must be positive (268490002 otherwise).
//!
//! Cash orders come from [`MockServer::pay`] (WeChat charging the user): status 2 (paid),
//! `left_fee = paid_fee = order_fee = quantity × price` (fen); status 4 (delivered) once the
//! merchant acknowledges the delivery push or calls `notify_provide_goods`. `refund_order`
//! checks that `left_fee` equals the order's (268490016 otherwise), that
//! `refund_fee <= left_fee`, reduces `left_fee`, sets status 5 (refunded) when it reaches 0,
//! and pushes `xpay_refund_notify`. Refunding a coin order does not take its tokens back.
//!
//! The merchant balance (`query_biz_balance`, always the production figure, as WeChat's) is the
//! paid cash orders of the env minus their refunds and withdrawals; `create_withdraw_order`
//! withdraws `withdraw_amount` yuan (all of it when omitted), never more than that balance
//! (268490002), and succeeds at once (status 2).
//!
//! Item upload and publish tasks finish at once (status 3, or 2 when a published id was never
//! uploaded), so a second start never meets a running task: inject 268490012 with
//! [`MockServer::fail_next`] to test that path.
//!
//! [`MockServer::pay`]: crate::MockServer::pay
//! [`MockServer::fail_next`]: crate::MockServer::fail_next

mod coins;
mod goods;
mod ids;
mod money;
mod orders;
mod withdrawals;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use xpay::api::{
    CancelCurrencyPayRequest, CreateWithdrawOrderRequest, CurrencyPayRequest, Event,
    NotifyProvideGoodsRequest, PresentCurrencyRequest, QueryBizBalanceRequest, QueryOrderRequest,
    QueryPublishGoodsRequest, QueryUploadGoodsRequest, QueryUserBalanceRequest,
    QueryWithdrawOrderRequest, RefundOrderRequest, StartPublishGoodsRequest,
    StartUploadGoodsRequest,
};
use xpay::{Action, Env};

pub use coins::{Balance, SpendOrder};
pub use orders::{CashOrder, PayMode, Payment};

use crate::answer::Reject;
use crate::verify::Verified;
use coins::Coins;
use goods::Goods;
use orders::Orders;
use withdrawals::Withdrawals;

/// A push the ledger asks for: the typed event, and the cash order (env, merchant order id)
/// that becomes delivered when the push is acknowledged.
#[derive(Debug, Clone)]
pub(crate) struct Notice {
    pub event: Event,
    pub delivers: Option<(Env, String)>,
}

/// What a modeled action answered: the typed response, serialized, and maybe a push.
#[derive(Debug)]
pub(crate) struct Handled {
    pub fields: Map<String, Value>,
    pub push: Option<Notice>,
}

/// A typed response and maybe a push.
struct Answer<R> {
    response: R,
    push: Option<Notice>,
}

impl<R> From<R> for Answer<R> {
    fn from(response: R) -> Self {
        Answer {
            response,
            push: None,
        }
    }
}

/// Runs `apply` when `action` is `A`'s: the body read into `A`, the answer serialized.
fn route<A>(
    ledger: &mut Ledger,
    action: &str,
    verified: &Verified,
    apply: impl FnOnce(&mut Ledger, A) -> Result<Answer<A::Response>, Reject>,
) -> Option<Result<Handled, Reject>>
where
    A: Action + DeserializeOwned,
    A::Response: Serialize,
{
    if A::META.name != action {
        return None;
    }
    let request: A = match serde_json::from_value(Value::Object(verified.body.clone())) {
        Ok(r) => r,
        Err(e) => {
            return Some(Err(Reject::field(
                "(body)",
                format!("does not read as {}: {e}", A::META.name),
            )));
        }
    };
    Some(
        apply(ledger, request).map(|Answer { response, push }| Handled {
            // A response is a struct: it serializes to an object.
            fields: match serde_json::to_value(&response) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            },
            push,
        }),
    )
}

/// The whole ledger, one part per domain.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    coins: Coins,
    orders: Orders,
    withdrawals: Withdrawals,
    goods: Goods,
}

impl Ledger {
    pub(crate) fn new(spend_order: SpendOrder) -> Self {
        Ledger {
            coins: Coins::new(spend_order),
            ..Ledger::default()
        }
    }

    /// A user's balance (zeros for a user never seen).
    pub(crate) fn balance(&self, openid: &str, env: Env) -> Balance {
        self.coins.balance(openid, env)
    }

    /// A cash order by merchant order id.
    pub(crate) fn order(&self, env: Env, order_id: &str) -> Option<&CashOrder> {
        self.orders.order(env, order_id)
    }

    /// Marks an order delivered after its delivery push was acknowledged.
    pub(crate) fn delivered(&mut self, env: Env, order_id: &str) {
        self.orders.delivered(env, order_id);
    }

    /// Records a payment WeChat made for a user: a cash order in status 2, tokens credited in
    /// coin mode, and the delivery push to send. Nothing changes when it is refused.
    pub(crate) fn record_payment(&mut self, p: &Payment) -> Result<(CashOrder, Notice), Reject> {
        let fee = self.orders.check_payment(p)?;
        if p.mode == PayMode::Coin {
            self.coins.credit_saved(&p.openid, p.env, p.quantity)?;
        }
        let (order, event) = self.orders.record_paid(p, fee);
        let notice = Notice {
            event,
            delivers: Some((p.env, order.order_id.clone())),
        };
        Ok((order, notice))
    }

    /// Paid minus refunded minus withdrawn, fen.
    fn merchant_balance(&self, env: Env) -> i64 {
        self.orders
            .net_paid(env)
            .saturating_sub(self.withdrawals.withdrawn(env))
    }

    /// Runs a modeled action on a verified request; `None` when the ledger has no model for
    /// it.
    pub(crate) fn handle(&mut self, action: &str, v: &Verified) -> Option<Result<Handled, Reject>> {
        let env = v.env;
        route(self, action, v, |l, r: QueryUserBalanceRequest| {
            Ok(l.coins.query_balance(&r.openid, env).into())
        })
        .or_else(|| {
            route(self, action, v, |l, r: PresentCurrencyRequest| {
                l.coins.present(&r, env).map(Answer::from)
            })
        })
        .or_else(|| {
            route(self, action, v, |l, r: CurrencyPayRequest| {
                l.coins.pay(&r, env).map(Answer::from)
            })
        })
        .or_else(|| {
            route(self, action, v, |l, r: CancelCurrencyPayRequest| {
                l.coins.cancel(&r, env).map(Answer::from)
            })
        })
        .or_else(|| {
            route(self, action, v, |l, r: QueryOrderRequest| {
                l.orders.query(&r, env).map(Answer::from)
            })
        })
        .or_else(|| {
            route(self, action, v, |l, r: RefundOrderRequest| {
                let (response, event) = l.orders.refund(&r, env)?;
                Ok(Answer {
                    response,
                    push: Some(Notice {
                        event,
                        delivers: None,
                    }),
                })
            })
        })
        .or_else(|| {
            route(self, action, v, |l, r: NotifyProvideGoodsRequest| {
                l.orders
                    .notify_provide_goods(&r.order, env)
                    .map(Answer::from)
            })
        })
        .or_else(|| {
            route(self, action, v, |l, r: CreateWithdrawOrderRequest| {
                let available = l.merchant_balance(env).max(0);
                l.withdrawals.create(&r, env, available).map(Answer::from)
            })
        })
        .or_else(|| {
            route(self, action, v, |l, r: QueryWithdrawOrderRequest| {
                l.withdrawals.query(&r, env).map(Answer::from)
            })
        })
        .or_else(|| {
            route(self, action, v, |l, _: QueryBizBalanceRequest| {
                let available = l.merchant_balance(Env::Production).max(0);
                Ok(Withdrawals::biz_balance(available).into())
            })
        })
        .or_else(|| {
            route(self, action, v, |l, r: StartUploadGoodsRequest| {
                Ok(l.goods.start_upload(&r, env).into())
            })
        })
        .or_else(|| {
            route(self, action, v, |l, _: QueryUploadGoodsRequest| {
                Ok(l.goods.query_upload(env).into())
            })
        })
        .or_else(|| {
            route(self, action, v, |l, r: StartPublishGoodsRequest| {
                Ok(l.goods.start_publish(&r, env).into())
            })
        })
        .or_else(|| {
            route(self, action, v, |l, _: QueryPublishGoodsRequest| {
                Ok(l.goods.query_publish(env).into())
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errcodes::{ALREADY_CANCELLED, DUPLICATE, INSUFFICIENT_BALANCE, INVALID_FIELD};
    use proptest::prelude::*;
    use xpay::JsonString;
    use xpay::api::PayItem;

    /// Runs a typed request through the ledger, as the server does after its checks.
    fn call<A: Action>(l: &mut Ledger, request: &A) -> Result<Map<String, Value>, i64> {
        let body = match serde_json::to_value(request) {
            Ok(Value::Object(m)) => m,
            other => panic!("not an object: {other:?}"),
        };
        let verified = Verified {
            body,
            env: Env::Production,
        };
        match l.handle(A::META.name, &verified) {
            Some(Ok(h)) => Ok(h.fields),
            Some(Err(r)) => Err(r.errcode),
            None => panic!("{} is not modeled", A::META.name),
        }
    }

    fn present(order_id: &str, amount: i64) -> PresentCurrencyRequest {
        PresentCurrencyRequest::new("u", order_id, amount)
    }

    fn pay(order_id: &str, amount: i64) -> CurrencyPayRequest {
        CurrencyPayRequest::new(
            "u",
            "127.0.0.1",
            amount,
            order_id,
            JsonString::new(vec![PayItem::new("sword", amount, 1)]),
            "",
        )
    }

    fn cancel(pay_order_id: &str, order_id: &str, amount: i64) -> CancelCurrencyPayRequest {
        CancelCurrencyPayRequest::new("u", "127.0.0.1", pay_order_id, order_id, amount)
    }

    #[test]
    fn spend_orders() {
        for (order, used) in [(SpendOrder::PresentFirst, 5), (SpendOrder::SavedFirst, 0)] {
            let mut l = Ledger::new(order);
            assert!(
                l.record_payment(&Payment::coin("u", "coin_order_1", 10))
                    .is_ok()
            );
            assert!(call(&mut l, &present("p1", 5)).is_ok());
            let r = call(&mut l, &pay("c1", 7));
            assert_eq!(
                r.ok().and_then(|m| m["used_present_amount"].as_i64()),
                Some(used)
            );
        }
    }

    #[test]
    fn actions_without_a_model_are_left_to_the_sample() {
        let mut l = Ledger::default();
        let v = Verified {
            body: Map::new(),
            env: Env::Production,
        };
        assert!(l.handle("download_bill", &v).is_none());
    }

    #[test]
    fn a_refused_payment_moves_nothing() {
        let mut l = Ledger::default();
        let mut goods = Payment::goods("u", "goods_order_1", "sword", 100, 1);
        goods.product_id = None;
        assert_eq!(
            l.record_payment(&goods).map(|_| ()).map_err(|r| r.errcode),
            Err(INVALID_FIELD)
        );
        assert!(l.order(Env::Production, "goods_order_1").is_none());
        let (order, notice) = l
            .record_payment(&Payment::coin("u", "coin_order_1", 3))
            .unwrap();
        assert_eq!(order.status, 2);
        assert_eq!(notice.event.name(), "xpay_coin_pay_notify");
        assert_eq!(
            notice.delivers,
            Some((Env::Production, "coin_order_1".into()))
        );
        assert_eq!(
            l.record_payment(&Payment::coin("u", "coin_order_1", 3))
                .map(|_| ())
                .map_err(|r| r.errcode),
            Err(DUPLICATE)
        );
        assert_eq!(l.balance("u", Env::Production).saved, 3);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Present(i64),
        Coin(i64),
        Pay(i64),
        Cancel(usize, i64),
        Repeat(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1i64..50).prop_map(Op::Present),
            (1i64..50).prop_map(Op::Coin),
            (1i64..80).prop_map(Op::Pay),
            (0usize..8, 1i64..60).prop_map(|(i, a)| Op::Cancel(i, a)),
            (0usize..8).prop_map(Op::Repeat),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn ledger_invariants(ops in proptest::collection::vec(op(), 1..40), saved_first in any::<bool>()) {
            let mut l = Ledger::new(if saved_first { SpendOrder::SavedFirst } else { SpendOrder::PresentFirst });
            let mut expected = 0i64;
            let mut pays: Vec<(String, i64)> = Vec::new();
            for (n, op) in ops.iter().enumerate() {
                let before = l.balance("u", Env::Production).balance;
                match op {
                    Op::Present(a) => {
                        let r = call(&mut l, &present(&format!("p{n}"), *a));
                        prop_assert!(r.is_ok());
                        expected += a;
                    }
                    Op::Coin(q) => {
                        let r = l.record_payment(&Payment::coin("u", format!("coin_{n:06}"), *q));
                        prop_assert!(r.is_ok());
                        expected += q;
                    }
                    Op::Pay(a) => {
                        let r = call(&mut l, &pay(&format!("c{n}"), *a));
                        if *a > before {
                            prop_assert_eq!(r.err(), Some(INSUFFICIENT_BALANCE));
                        } else {
                            prop_assert!(r.is_ok());
                            expected -= a;
                            pays.push((format!("c{n}"), *a));
                        }
                    }
                    Op::Cancel(i, a) => {
                        if let Some((id, paid)) = pays.get(*i).cloned() {
                            match call(&mut l, &cancel(&id, &format!("r{n}"), *a)) {
                                Ok(_) => { prop_assert!(*a <= paid); expected += a; }
                                Err(code) => prop_assert!(code == ALREADY_CANCELLED || (code == INVALID_FIELD && *a > paid)),
                            }
                        }
                    }
                    Op::Repeat(i) => {
                        if let Some((id, _)) = pays.get(*i).cloned() {
                            let r = call(&mut l, &pay(&id, 1));
                            prop_assert_eq!(r.err(), Some(DUPLICATE));
                        }
                    }
                }
                for (_, b) in l.coins.accounts() {
                    prop_assert!(b.saved >= 0 && b.present >= 0);
                    prop_assert_eq!(b.balance, b.saved + b.present);
                    prop_assert_eq!(b.balance, b.sum_save + b.sum_present - b.sum_cost);
                }
                prop_assert_eq!(l.balance("u", Env::Production).balance, expected);
            }
        }
    }
}
