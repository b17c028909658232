//! The merchant's money: the balance `query_biz_balance` reports and the withdrawals of
//! `create_withdraw_order` / `query_withdraw_order`, which succeed at once.

use std::collections::HashMap;

use xpay::Env;
use xpay::api::{
    BalanceAvailable, CreateWithdrawOrderRequest, CreateWithdrawOrderResponse,
    QueryBizBalanceResponse, QueryWithdrawOrderRequest, QueryWithdrawOrderResponse, WithdrawStatus,
};

use super::ids::{Ids, Key, duplicate, key};
use super::money::{parse_yuan, yuan};
use crate::answer::Reject;
use xpay::clock::unix_now;

#[derive(Debug, Clone)]
struct Withdrawal {
    wx_withdraw_no: String,
    /// Fen.
    amount: i64,
    /// Unix seconds.
    create_time: i64,
}

/// Every withdrawal, by the merchant's `withdraw_no`.
#[derive(Debug, Default)]
pub(crate) struct Withdrawals {
    by_no: HashMap<Key, Withdrawal>,
    ids: Ids,
}

impl Withdrawals {
    /// Withdrawn from an env so far, fen.
    pub(crate) fn withdrawn(&self, env: Env) -> i64 {
        self.by_no
            .iter()
            .filter(|((e, _), _)| *e == env)
            .map(|(_, w)| w.amount)
            .fold(0i64, i64::saturating_add)
    }

    /// `query_biz_balance`: `available` fen, as yuan.
    pub(crate) fn biz_balance(available: i64) -> QueryBizBalanceResponse {
        QueryBizBalanceResponse::new().with_balance_available(
            BalanceAvailable::new()
                .with_amount(yuan(available))
                .with_currency_code("CNY"),
        )
    }

    /// `create_withdraw_order`: withdraws `withdraw_amount` yuan (all of `available` fen when
    /// omitted), never more than `available`.
    pub(crate) fn create(
        &mut self,
        r: &CreateWithdrawOrderRequest,
        env: Env,
        available: i64,
    ) -> Result<CreateWithdrawOrderResponse, Reject> {
        let k = key(env, &r.withdraw_no);
        if self.by_no.contains_key(&k) {
            return Err(duplicate(
                "create_withdraw_order withdraw_no",
                &r.withdraw_no,
            ));
        }
        let amount = match r.withdraw_amount.as_deref() {
            Some(text) => parse_yuan(text).filter(|f| *f > 0).ok_or_else(|| {
                Reject::field(
                    "withdraw_amount",
                    format!("is {text:?}; it must be a positive amount in yuan such as \"0.01\""),
                )
            })?,
            None => available,
        };
        if amount == 0 || amount > available {
            return Err(Reject::field(
                "withdraw_amount",
                format!(
                    "is {}; the withdrawable balance is {}",
                    yuan(amount),
                    yuan(available)
                ),
            ));
        }
        let wx_withdraw_no = self.ids.next("9", 24);
        self.by_no.insert(
            k,
            Withdrawal {
                wx_withdraw_no: wx_withdraw_no.clone(),
                amount,
                create_time: unix_now(),
            },
        );
        Ok(CreateWithdrawOrderResponse::new()
            .with_withdraw_no(r.withdraw_no.as_str())
            .with_wx_withdraw_no(wx_withdraw_no))
    }

    /// `query_withdraw_order`: a withdrawal, succeeded.
    pub(crate) fn query(
        &self,
        r: &QueryWithdrawOrderRequest,
        env: Env,
    ) -> Result<QueryWithdrawOrderResponse, Reject> {
        let w = self.by_no.get(&key(env, &r.withdraw_no)).ok_or_else(|| {
            Reject::field(
                "withdraw_no",
                format!("no withdrawal {} in env {}", r.withdraw_no, env.as_u8()),
            )
        })?;
        Ok(QueryWithdrawOrderResponse::new()
            .with_withdraw_no(r.withdraw_no.as_str())
            .with_status(WithdrawStatus::Succeeded)
            .with_withdraw_amount(yuan(w.amount))
            .with_wx_withdraw_no(w.wx_withdraw_no.as_str())
            .with_withdraw_success_timestamp(w.create_time.to_string())
            .with_create_time(w.create_time.to_string())
            .with_fail_reason(""))
    }
}
