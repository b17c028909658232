//! The state every route shares: credentials, keys, the ledger, faults, the push target and
//! the logs, and the operations that span them (a faulted call, a payment and its push).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use serde_json::Value;
use xpay::Env;

use crate::answer::JsonAnswer;
use crate::auth::Auth;
use crate::credentials::Credentials;
use crate::error::{MockError, Result};
use crate::faults::Faults;
use crate::ledger::{CashOrder, Ledger, Notice, Payment};
use crate::push::{Delivery, PushJob, PushTarget, Pusher};
use crate::verify::Keys;

/// How many requests [`MockServer::requests`](crate::MockServer::requests) remembers (the
/// oldest are dropped).
pub const REQUEST_LOG_LIMIT: usize = 10_000;

/// One request as the mock answered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestRecord {
    /// The endpoint: an action name, `stable_token`, `token`, `jscode2session`, or the path
    /// of an unknown action.
    pub endpoint: String,
    /// The HTTP status answered.
    pub status: u16,
    /// The errcode answered (0 for success).
    pub errcode: i64,
}

/// What [`MockServer::pay`](crate::MockServer::pay) did: the cash order recorded and, when a
/// push target is set, the delivery of its push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayOutcome {
    /// The order, after the push (status 4 when the push was acknowledged).
    pub order: CashOrder,
    /// The push's delivery; `None` without a push target.
    pub delivery: Option<Delivery>,
}

/// What changes while the mock runs.
pub(crate) struct Inner {
    pub auth: Auth,
    pub ledger: Ledger,
    pub faults: Faults,
    pub push_target: Option<PushTarget>,
    pub pushes: Vec<Delivery>,
    pub requests: VecDeque<RequestRecord>,
}

/// The state of one mock, shared by its routes and its [`MockServer`](crate::MockServer).
pub(crate) struct Shared {
    pub credentials: Credentials,
    pub keys: Keys,
    pub pusher: Pusher,
    pub state: Mutex<Inner>,
}

/// The axum state of every route.
pub(crate) type AppState = Arc<Shared>;

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Logs an answered request (the oldest dropped beyond [`REQUEST_LOG_LIMIT`]).
    pub(crate) fn record(&self, endpoint: &str, answer: &JsonAnswer) {
        let mut g = self.lock();
        if g.requests.len() >= REQUEST_LOG_LIMIT {
            g.requests.pop_front();
        }
        g.requests.push_back(RequestRecord {
            endpoint: endpoint.to_string(),
            status: answer.status.as_u16(),
            errcode: answer.errcode(),
        });
    }

    /// Latency and injected faults: the answer of a faulted call, if any.
    pub(crate) async fn gate(&self, endpoint: &str) -> Option<JsonAnswer> {
        let (latency, fault) = {
            let mut g = self.lock();
            (g.faults.latency(endpoint), g.faults.take(endpoint))
        };
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        fault.map(|f| f.answer())
    }

    /// Sends a push and records its delivery; marks the order `delivers` names delivered when
    /// the push is acknowledged.
    async fn deliver(
        &self,
        target: &PushTarget,
        job: &PushJob,
        delivers: Option<&(Env, String)>,
    ) -> Delivery {
        let delivery = self.pusher.deliver(target, job).await;
        let mut g = self.lock();
        if delivery.delivered
            && let Some((env, order_id)) = delivers
        {
            g.ledger.delivered(*env, order_id);
        }
        g.pushes.push(delivery.clone());
        delivery
    }

    /// Sends a ledger's push in the background, when a push target is set.
    pub(crate) fn spawn_push(self: &Arc<Self>, notice: Notice) {
        let target = self.lock().push_target.clone();
        if let Some(target) = target {
            let shared = Arc::clone(self);
            tokio::spawn(async move {
                let job = PushJob::from_event(&notice.event);
                shared
                    .deliver(&target, &job, notice.delivers.as_ref())
                    .await;
            });
        }
    }

    /// [`MockServer::pay`](crate::MockServer::pay).
    pub(crate) async fn pay(&self, payment: &Payment) -> Result<PayOutcome> {
        let (order, notice, target) = {
            let mut g = self.lock();
            let (order, notice) =
                g.ledger
                    .record_payment(payment)
                    .map_err(|r| MockError::Rejected {
                        errcode: r.errcode,
                        errmsg: r.errmsg,
                    })?;
            (order, notice, g.push_target.clone())
        };
        let Some(target) = target else {
            return Ok(PayOutcome {
                order,
                delivery: None,
            });
        };
        let job = PushJob::from_event(&notice.event);
        let delivery = self.deliver(&target, &job, notice.delivers.as_ref()).await;
        let order = self
            .lock()
            .ledger
            .order(payment.env, &payment.out_trade_no)
            .cloned()
            .unwrap_or(order);
        Ok(PayOutcome {
            order,
            delivery: Some(delivery),
        })
    }

    /// [`MockServer::push_event`](crate::MockServer::push_event).
    pub(crate) async fn push_event(&self, event: &str, fields: Value) -> Result<Delivery> {
        let Value::Object(fields) = fields else {
            return Err(MockError::Config(
                "push fields must be a JSON object".into(),
            ));
        };
        let target = self
            .lock()
            .push_target
            .clone()
            .ok_or_else(|| MockError::Config("no push target is set".into()))?;
        let meta = xpay::api::SPEC
            .event(event)
            .ok_or_else(|| MockError::Config(format!("unknown event `{event}`")))?;
        // The event's dedup key, as a receiver computes it (empty when the push has none).
        let key = meta
            .dedup_key_of(&Value::Object(fields.clone()))
            .unwrap_or_default();
        let job = PushJob {
            event: meta.name.to_string(),
            key,
            fields,
        };
        Ok(self.deliver(&target, &job, None).await)
    }
}
