//! Tokens (代币): every user's balance per env, and the actions that move it:
//! `present_currency`, `currency_pay`, `cancel_currency_pay` and `query_user_balance`, plus
//! the credit of a coin-mode payment.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use xpay::Env;
use xpay::api::{
    CancelCurrencyPayRequest, CancelCurrencyPayResponse, CurrencyPayRequest, CurrencyPayResponse,
    PresentCurrencyRequest, PresentCurrencyResponse, QueryUserBalanceResponse,
};

use super::ids::{Key, duplicate, key};
use super::money::{add, positive};
use crate::answer::Reject;
use crate::errcodes::{ALREADY_CANCELLED, INSUFFICIENT_BALANCE, OPENID_WRONG};

/// Which tokens `currency_pay` spends first. WeChat does not document it; the default spends
/// presented (gifted) tokens first, and `used_present_amount` reports how many were used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpendOrder {
    /// Presented tokens first, then saved ones.
    #[default]
    PresentFirst,
    /// Saved tokens first, then presented ones.
    SavedFirst,
}

/// A user's token account in one env (every figure a count of tokens).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// `saved + present`.
    pub balance: i64,
    /// Tokens bought with money.
    pub saved: i64,
    /// Tokens gifted with `present_currency`.
    pub present: i64,
    /// Tokens ever bought.
    pub sum_save: i64,
    /// Tokens ever gifted.
    pub sum_present: i64,
    /// Tokens spent, net of cancels.
    pub sum_cost: i64,
}

impl Balance {
    fn fix_total(&mut self) {
        self.balance = self.saved.saturating_add(self.present);
    }
}

/// The two kinds of tokens an account holds.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Bought with money.
    Saved,
    /// Gifted with `present_currency`.
    Present,
}

/// One `currency_pay`, for its cancel.
#[derive(Debug, Clone)]
struct PayRecord {
    openid: String,
    amount: i64,
    used_present: i64,
    cancelled: bool,
}

/// Every token account, and the ids that moved tokens.
#[derive(Debug, Default)]
pub(crate) struct Coins {
    spend_order: SpendOrder,
    accounts: HashMap<(String, Env), Balance>,
    presents: HashSet<Key>,
    pays: HashMap<Key, PayRecord>,
    cancels: HashSet<Key>,
}

impl Coins {
    pub(crate) fn new(spend_order: SpendOrder) -> Self {
        Coins {
            spend_order,
            ..Coins::default()
        }
    }

    /// A user's balance (zeros for a user never seen).
    pub(crate) fn balance(&self, openid: &str, env: Env) -> Balance {
        self.accounts
            .get(&(openid.to_string(), env))
            .copied()
            .unwrap_or_default()
    }

    fn save(&mut self, openid: &str, env: Env, mut acct: Balance) {
        acct.fix_total();
        self.accounts.insert((openid.to_string(), env), acct);
    }

    /// Every account, for invariant checks.
    #[cfg(test)]
    pub(crate) fn accounts(&self) -> impl Iterator<Item = (&(String, Env), &Balance)> {
        self.accounts.iter()
    }

    /// `query_user_balance`.
    pub(crate) fn query_balance(&self, openid: &str, env: Env) -> QueryUserBalanceResponse {
        let a = self.balance(openid, env);
        QueryUserBalanceResponse::new()
            .with_balance(a.balance)
            .with_present_balance(a.present)
            .with_sum_save(a.sum_save)
            .with_sum_present(a.sum_present)
            .with_sum_balance(a.sum_save.saturating_add(a.sum_present))
            .with_sum_cost(a.sum_cost)
            .with_first_save_flag(a.sum_save == 0)
    }

    /// Credits `quantity` bought tokens (a coin-mode payment); nothing changes on overflow.
    pub(crate) fn credit_saved(
        &mut self,
        openid: &str,
        env: Env,
        quantity: i64,
    ) -> Result<(), Reject> {
        self.credit(openid, env, Kind::Saved, quantity, "quantity")
            .map(drop)
    }

    /// Adds `amount` tokens of `kind` to an account and to its lifetime sum; nothing changes
    /// on overflow (blamed on the request field `field`). Returns the new balance.
    fn credit(
        &mut self,
        openid: &str,
        env: Env,
        kind: Kind,
        amount: i64,
        field: &'static str,
    ) -> Result<Balance, Reject> {
        let mut acct = self.balance(openid, env);
        let (held, ever) = match kind {
            Kind::Saved => (&mut acct.saved, &mut acct.sum_save),
            Kind::Present => (&mut acct.present, &mut acct.sum_present),
        };
        *held = add(*held, amount, field)?;
        *ever = add(*ever, amount, field)?;
        self.save(openid, env, acct);
        Ok(self.balance(openid, env))
    }

    /// `present_currency`: gifts `amount` tokens.
    pub(crate) fn present(
        &mut self,
        r: &PresentCurrencyRequest,
        env: Env,
    ) -> Result<PresentCurrencyResponse, Reject> {
        let amount = positive("amount", r.amount)?;
        let id = key(env, &r.order_id);
        if self.presents.contains(&id) {
            return Err(duplicate("present_currency order_id", &r.order_id));
        }
        let acct = self.credit(&r.openid, env, Kind::Present, amount, "amount")?;
        self.presents.insert(id);
        Ok(PresentCurrencyResponse::new()
            .with_balance(acct.balance)
            .with_order_id(r.order_id.as_str())
            .with_present_balance(acct.present))
    }

    /// `currency_pay`: spends `amount` tokens, in the configured [`SpendOrder`].
    pub(crate) fn pay(
        &mut self,
        r: &CurrencyPayRequest,
        env: Env,
    ) -> Result<CurrencyPayResponse, Reject> {
        let amount = positive("amount", r.amount)?;
        let id = key(env, &r.order_id);
        if self.pays.contains_key(&id) {
            return Err(duplicate("currency_pay order_id", &r.order_id));
        }
        let mut acct = self.balance(&r.openid, env);
        if amount > acct.balance {
            return Err(Reject::new(
                INSUFFICIENT_BALANCE,
                format!(
                    "insufficient balance: the user has {} tokens and {amount} were asked",
                    acct.balance
                ),
            ));
        }
        let (from_present, from_saved) = match self.spend_order {
            SpendOrder::PresentFirst => {
                let p = acct.present.min(amount);
                (p, amount - p)
            }
            SpendOrder::SavedFirst => {
                let s = acct.saved.min(amount);
                (amount - s, s)
            }
        };
        acct.present -= from_present;
        acct.saved -= from_saved;
        acct.sum_cost = add(acct.sum_cost, amount, "amount")?;
        self.save(&r.openid, env, acct);
        self.pays.insert(
            id,
            PayRecord {
                openid: r.openid.clone(),
                amount,
                used_present: from_present,
                cancelled: false,
            },
        );
        Ok(CurrencyPayResponse::new()
            .with_order_id(r.order_id.as_str())
            .with_balance(self.balance(&r.openid, env).balance)
            .with_used_present_amount(from_present))
    }

    /// `cancel_currency_pay`: gives back up to what a payment took, saved tokens first.
    pub(crate) fn cancel(
        &mut self,
        r: &CancelCurrencyPayRequest,
        env: Env,
    ) -> Result<CancelCurrencyPayResponse, Reject> {
        let amount = positive("amount", r.amount)?;
        let id = key(env, &r.order_id);
        if self.cancels.contains(&id) {
            return Err(duplicate("cancel_currency_pay order_id", &r.order_id));
        }
        let pay_id = key(env, &r.pay_order_id);
        let Some(pay) = self.pays.get(&pay_id) else {
            return Err(Reject::field(
                "pay_order_id",
                format!(
                    "no currency_pay with order_id {} in env {}",
                    r.pay_order_id,
                    env.as_u8()
                ),
            ));
        };
        if pay.openid != r.openid {
            return Err(Reject::new(
                OPENID_WRONG,
                format!(
                    "openid wrong: currency_pay {} was paid by another user",
                    r.pay_order_id
                ),
            ));
        }
        if pay.cancelled {
            return Err(Reject::new(
                ALREADY_CANCELLED,
                format!(
                    "currency_pay {} was already refunded by cancel_currency_pay",
                    r.pay_order_id
                ),
            ));
        }
        if amount > pay.amount {
            return Err(Reject::field(
                "amount",
                format!(
                    "is {amount}; it must not exceed the {} tokens paid",
                    pay.amount
                ),
            ));
        }
        let saved_part = pay.amount - pay.used_present;
        let to_saved = amount.min(saved_part);
        let to_present = amount - to_saved;
        let mut acct = self.balance(&r.openid, env);
        acct.saved = add(acct.saved, to_saved, "amount")?;
        acct.present = add(acct.present, to_present, "amount")?;
        acct.sum_cost -= amount;
        self.save(&r.openid, env, acct);
        if let Some(pay) = self.pays.get_mut(&pay_id) {
            pay.cancelled = true;
        }
        self.cancels.insert(id);
        Ok(CancelCurrencyPayResponse::new().with_order_id(r.order_id.as_str()))
    }
}
