//! A call from request to response: fill, check, serialize once, sign those bytes, send those
//! bytes, read WeChat's errcode, retry only as the action's rule allows.

use crate::action::Action;
use crate::client::Client;
use crate::errcode;
use crate::meta::{ActionMeta, Fill, Retry};
use crate::signing::{pay_sig, user_signature};
use crate::{Env, Error, Result, SessionKey};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;
use tracing::Instrument;

/// The errcode/errmsg every WeChat answer carries.
#[derive(Deserialize)]
struct Status {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// A successful answer, exactly as WeChat sent it.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The action called.
    pub action: &'static str,
    /// The body's bytes, untouched.
    pub body: Bytes,
}

impl RawResponse {
    /// The body as JSON.
    pub fn json(&self) -> Result<Value> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode {
            action: self.action.to_string(),
            message: e.to_string(),
        })
    }
}

/// What went wrong with one attempt, and whether another may be made.
enum Attempt {
    Done(Bytes),
    Retry(Error),
    TokenRejected(Error, crate::AccessToken),
    Fail(Error),
}

impl Client {
    /// Calls any action of any spec: fills unset fields from the client, checks the spec's
    /// rules, serializes the body once, signs it, sends it and parses the answer. The generated
    /// methods call this; it is public for code generic over [`Action`].
    ///
    /// `session_key` is required for `pay+user` actions (the generated methods take it by
    /// type).
    pub async fn execute<A: Action>(
        &self,
        mut request: A,
        session_key: Option<&SessionKey>,
    ) -> Result<A::Response> {
        let meta = A::META;
        request.fill(&self.fill_context())?;
        request.validate()?;
        let body = serde_json::to_vec(&request).map_err(|e| {
            Error::invalid(meta.name, "(body)", format!("cannot be serialized: {e}"))
        })?;
        let raw = self.send(meta, request.env(), body, session_key).await?;
        serde_json::from_slice(&raw.body).map_err(|e| Error::Decode {
            action: meta.name.to_string(),
            message: e.to_string(),
        })
    }

    /// Calls an action of the built-in spec by name or yansongda alias with a JSON body, signed
    /// and filled exactly like the typed methods (yansongda-style dynamic calls, `xpay call`).
    pub async fn call(
        &self,
        action: &str,
        body: Value,
        session_key: Option<&SessionKey>,
    ) -> Result<RawResponse> {
        self.call_in(&crate::api::SPEC, action, body, session_key)
            .await
    }

    /// [`Client::call`] against another spec's table (one expanded in your crate).
    pub async fn call_in(
        &self,
        spec: &'static crate::meta::SpecMeta,
        action: &str,
        body: Value,
        session_key: Option<&SessionKey>,
    ) -> Result<RawResponse> {
        let meta = spec.action(action).ok_or_else(|| {
            Error::Config(format!(
                "unknown action `{action}` (see `xpay spec list` for names and aliases)"
            ))
        })?;
        let (env, bytes) = self.prepare_dynamic(meta, body)?;
        self.send(meta, env, bytes, session_key).await
    }

    /// Fills and checks a JSON body from the action's table; returns its env and its bytes.
    pub fn prepare_dynamic(
        &self,
        meta: &'static ActionMeta,
        body: Value,
    ) -> Result<(Option<Env>, Vec<u8>)> {
        let mut body = match body {
            Value::Object(m) => m,
            Value::Null => serde_json::Map::new(),
            other => {
                return Err(Error::invalid(
                    meta.name,
                    "(body)",
                    format!("must be a JSON object, not {other}"),
                ));
            }
        };
        if body.contains_key("access_token") {
            return Err(Error::invalid(
                meta.name,
                "access_token",
                "must not be in the body: the client puts it in the query",
            ));
        }
        let ctx = self.fill_context();
        for f in meta.request {
            if body.get(f.name).is_some_and(|v| !v.is_null()) {
                continue;
            }
            let value = match (f.fill, f.default) {
                (Some(Fill::Env), _) => Value::from(ctx.env.as_u8()),
                (Some(Fill::OfferId), _) => Value::from(ctx.offer_id(meta.name)?),
                (None, Some(d)) if f.ty.is_number() => {
                    d.parse::<i64>().map(Value::from).unwrap_or(Value::from(d))
                }
                (None, Some(d)) => Value::from(d),
                (None, None) => continue,
            };
            body.insert(f.name.to_string(), value);
        }
        let body = Value::Object(body);
        crate::check::value(meta.name, "", meta.request, &body)?;
        for group in meta.one_of {
            let members: Vec<(&str, bool)> = group
                .iter()
                .map(|n| (*n, body.get(*n).is_some_and(|v| !v.is_null())))
                .collect();
            crate::check::one_of(meta.name, &members)?;
        }
        let env = meta
            .env_field()
            .and_then(|f| body.get(f.name))
            .and_then(Value::as_u64)
            .and_then(|v| u8::try_from(v).ok())
            .and_then(Env::from_u8);
        let bytes = serde_json::to_vec(&body).map_err(|e| {
            Error::invalid(meta.name, "(body)", format!("cannot be serialized: {e}"))
        })?;
        Ok((env, bytes))
    }

    /// Signs `body` and sends it, retrying as the action's rule allows. The bytes signed are
    /// the bytes sent, on every attempt.
    pub async fn send(
        &self,
        meta: &'static ActionMeta,
        env: Option<Env>,
        body: Vec<u8>,
        session_key: Option<&SessionKey>,
    ) -> Result<RawResponse> {
        let key_env = env.unwrap_or(Env::Production);
        let app_key = self.app_key(key_env).map_err(|e| match e {
            Error::Config(m) => Error::Config(format!("{}: {m}", meta.name)),
            other => other,
        })?;
        let pay_sig = pay_sig(app_key, meta.path, &body);
        let signature = match (meta.needs_session_key(), session_key) {
            (true, Some(k)) => Some(user_signature(k, &body)),
            (true, None) => {
                return Err(Error::Config(format!(
                    "{} is signed with the user's session key (pay+user); pass the latest session key from code2session",
                    meta.name
                )));
            }
            (false, _) => None,
        };
        let body = Bytes::from(body);
        let retry = self.inner.retry;
        let may_retry = !matches!(meta.retry, Retry::Never);
        let mut attempt: u32 = 0;
        let mut token_retried = false;
        loop {
            attempt += 1;
            let span =
                tracing::info_span!("xpay.call", action = meta.name, env = %key_env, attempt);
            let outcome = self
                .attempt(meta, &body, &pay_sig, signature.as_deref())
                .instrument(span)
                .await;
            match outcome {
                Attempt::Done(bytes) => {
                    return Ok(RawResponse {
                        action: meta.name,
                        body: bytes,
                    });
                }
                // A rejected token is dropped and the call made once more, whatever the
                // action: WeChat did not process it.
                Attempt::TokenRejected(err, token) => {
                    if token_retried {
                        return Err(err);
                    }
                    token_retried = true;
                    attempt -= 1;
                    tracing::warn!(
                        action = meta.name,
                        "access token rejected; dropping it and retrying once"
                    );
                    self.tokens()?.invalidate(&token).await?;
                }
                Attempt::Retry(err) => {
                    if !may_retry || attempt >= retry.max_attempts {
                        return Err(err);
                    }
                    let wait = retry.backoff(attempt);
                    tracing::warn!(action = meta.name, attempt, error = %err, ?wait, "retrying");
                    tokio::time::sleep(wait).await;
                }
                Attempt::Fail(err) => return Err(err),
            }
        }
    }

    async fn attempt(
        &self,
        meta: &'static ActionMeta,
        body: &Bytes,
        pay_sig: &str,
        signature: Option<&str>,
    ) -> Attempt {
        let token = match self.tokens() {
            Ok(t) => match t.get().await {
                Ok(tok) => tok,
                Err(e) => return Attempt::Fail(e),
            },
            Err(e) => return Attempt::Fail(e),
        };
        let mut url = match self.url(meta.path) {
            Ok(u) => u,
            Err(e) => return Attempt::Fail(e),
        };
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("access_token", token.expose());
            q.append_pair("pay_sig", pay_sig);
            if let Some(s) = signature {
                q.append_pair("signature", s);
            }
        }
        let sent = self
            .inner
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.clone())
            .send()
            .await;
        let transport = |e: reqwest::Error| Error::Transport {
            action: meta.name.to_string(),
            source: e.without_url(),
        };
        let resp = match sent {
            Ok(r) => r,
            // Whether the request reached WeChat is unknown: retried only where safe.
            Err(e) => return Attempt::Retry(transport(e)),
        };
        let status = resp.status();
        if !status.is_success() {
            let err = Error::Http {
                action: meta.name.to_string(),
                status: status.as_u16(),
            };
            return if status.is_server_error() {
                Attempt::Retry(err)
            } else {
                Attempt::Fail(err)
            };
        }
        let bytes = match read_limited(resp, self.inner.max_response_bytes).await {
            Ok(b) => b,
            Err(ReadError::Transport(e)) => return Attempt::Retry(transport(e)),
            Err(e @ ReadError::TooLarge) => {
                return Attempt::Fail(e.into_error(meta.name, self.inner.max_response_bytes));
            }
        };
        let st: Status = match serde_json::from_slice(&bytes) {
            Ok(s) => s,
            Err(e) => {
                return Attempt::Fail(Error::Decode {
                    action: meta.name.to_string(),
                    message: format!("not a WeChat JSON answer: {e}"),
                });
            }
        };
        match st.errcode {
            0 => Attempt::Done(bytes),
            errcode::DUPLICATE => Attempt::Fail(Error::Duplicate {
                action: meta.name.to_string(),
                errmsg: st.errmsg,
            }),
            code if errcode::is_token_error(code) => {
                Attempt::TokenRejected(self.wechat_error(meta.name, code, st.errmsg), token)
            }
            errcode::SYSTEM_ERROR => {
                Attempt::Retry(self.wechat_error(meta.name, st.errcode, st.errmsg))
            }
            code => Attempt::Fail(self.wechat_error(meta.name, code, st.errmsg)),
        }
    }

    pub(crate) fn wechat_error(&self, action: &str, errcode: i64, errmsg: String) -> Error {
        Error::WeChat {
            action: action.to_string(),
            errcode,
            errmsg,
            meaning: crate::errcode::meaning(errcode),
        }
    }
}

pub(crate) enum ReadError {
    Transport(reqwest::Error),
    TooLarge,
}

impl ReadError {
    /// The crate error for `action`: a transport error without its URL, or a decode error
    /// naming the limit.
    pub(crate) fn into_error(self, action: &str, limit: usize) -> Error {
        match self {
            ReadError::Transport(e) => Error::Transport {
                action: action.to_string(),
                source: e.without_url(),
            },
            ReadError::TooLarge => Error::Decode {
                action: action.to_string(),
                message: format!("the response is larger than {limit} bytes"),
            },
        }
    }
}

/// Reads a body, stopping as soon as it exceeds `limit` bytes.
pub(crate) async fn read_limited(
    mut resp: reqwest::Response,
    limit: usize,
) -> std::result::Result<Bytes, ReadError> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(ReadError::Transport)? {
        if buf.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}
