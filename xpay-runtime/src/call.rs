//! A call from request to response: fill, check, serialize once, sign those bytes, send those
//! bytes, read WeChat's answer once, retry only as the action's rule allows.
//!
//! Typed calls go through [`Client::send`] and [`Client::send_user`]; dynamic calls by name
//! through [`Client::call`], which checks and fills a JSON body from the spec's tables.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use serde::Deserialize;
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, Visitor};
use serde_json::Value;
use tracing::Instrument;

use crate::action::Action;
use crate::check::{At, Violation};
use crate::client::Client;
use crate::errcode;
use crate::meta::{ActionMeta, FieldMeta, Fill, Retry, Signing, SpecMeta, TypeMeta};
use crate::signing::{PayAction, UserAction, pay_sig, user_signature};
use crate::token::Invalidation;
use crate::{Env, Error, Result, SessionKey};

/// A successful answer to a dynamic call, exactly as WeChat sent it.
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
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::decode(
                self.action,
                format!("not JSON: {e}"),
                Some(std::sync::Arc::new(e)),
            )
        })
    }
}

/// One request, ready to send: everything that stays the same across attempts.
struct Prepared<'a> {
    meta: &'static ActionMeta,
    spec: &'static SpecMeta,
    env: Env,
    body: Bytes,
    pay_sig: String,
    signature: Option<String>,
    session_key: Option<&'a SessionKey>,
}

/// What one attempt came to.
enum Attempt<T> {
    Done(T),
    /// Failed in a way another attempt may fix (transport, 5xx, errcode -1).
    Retry(Error),
    /// WeChat rejected the access token (40001, 40014, 42001).
    TokenRejected(Error, crate::AccessToken),
    /// No access token could be had, for a reason another attempt may fix (the token endpoint
    /// answered 5xx or -1, or could not be reached): nothing was sent.
    NotSent(Error),
    Fail(Error),
}

impl Client {
    /// Sends a request of an action signed with `pay_sig` only, and returns WeChat's answer,
    /// typed. For `pay+user` actions use [`send_user`](Self::send_user).
    ///
    /// The request's unset `env` is filled from the client, the spec's rules are checked
    /// before anything leaves the machine ([`Error::Invalid`]), the body is serialized once,
    /// signed with the AppKey of its env and sent as those very bytes. A non-zero errcode is
    /// [`Error::WeChat`] (268490004 is [`Error::Duplicate`]), explained by the errcode table of
    /// the request's own spec. Failed attempts are retried only as the action's `retry` rule
    /// allows: never for money-moving calls unless WeChat deduplicates them by an id. An access
    /// token that cannot be had for a passing reason (the token endpoint's 5xx or -1, a
    /// transport error) is tried again within the [`RetryPolicy`](crate::RetryPolicy)'s
    /// attempts for every action, since nothing was sent.
    pub async fn send<A>(&self, request: A) -> Result<A::Response>
    where
        A: PayAction,
    {
        self.execute(request, None).await
    }

    /// Sends a request of a `pay+user` action (signed with `pay_sig` and the user `signature`
    /// over the body with the session key): the user's latest session key from
    /// [`code2session`](Self::code2session) is required. Otherwise as [`send`](Self::send).
    pub async fn send_user<A>(&self, request: A, session_key: &SessionKey) -> Result<A::Response>
    where
        A: UserAction,
    {
        self.execute(request, Some(session_key)).await
    }

    async fn execute<A: Action>(
        &self,
        mut request: A,
        session_key: Option<&SessionKey>,
    ) -> Result<A::Response> {
        let meta = A::META;
        request
            .__fill(&self.fill_context())
            .map_err(|e| self.hint(e))?;
        request.__validate()?;
        let body = serde_json::to_vec(&request).map_err(|e| {
            At::Root.error(
                meta.name,
                Violation::Other(format!("cannot be serialized: {e}")),
            )
        })?;
        let prepared = self.prepare(meta, A::spec(), request.__env(), body, session_key)?;
        self.dispatch(&prepared, read_typed::<A::Response>).await
    }

    /// Calls an action of `spec` by name or yansongda alias with a JSON body, signed and
    /// filled exactly like the typed calls (yansongda-style dynamic calls, `xpay call`).
    ///
    /// The body is checked against the action's table (unknown fields, types, rules,
    /// exactly-one-of groups); a `json<T>` field given as a JSON value is sent as its JSON text,
    /// as WeChat wants. The answer is returned as WeChat sent it.
    ///
    /// `session_key` is required for `pay+user` actions ([`Error::MissingSetting`] names it)
    /// and refused for `pay` actions ([`Error::InvalidSetting`]).
    pub async fn call(
        &self,
        spec: &'static SpecMeta,
        action: &str,
        body: Value,
        session_key: Option<&SessionKey>,
    ) -> Result<RawResponse> {
        let meta = spec.action(action).ok_or_else(|| Error::UnknownAction {
            name: action.escape_debug().to_string(),
        })?;
        let (env, bytes) = self.prepare_dynamic(meta, body)?;
        let prepared = self.prepare(meta, spec, env, bytes, session_key)?;
        self.dispatch(&prepared, |bytes: &Bytes| {
            read_status(bytes).map(|status| (status, bytes.clone()))
        })
        .await
        .map(|body| RawResponse {
            action: meta.name,
            body,
        })
    }

    /// Fills and checks a JSON body from the action's table; returns its env and its bytes,
    /// written in the spec's field order.
    fn prepare_dynamic(
        &self,
        meta: &'static ActionMeta,
        body: Value,
    ) -> Result<(Option<Env>, Vec<u8>)> {
        let mut body = match body {
            Value::Object(m) => m,
            Value::Null => serde_json::Map::new(),
            other => {
                return Err(At::Root.error(
                    meta.name,
                    Violation::WrongType {
                        expected: "a JSON object",
                        found: crate::check::json_kind(&other).to_string(),
                    },
                ));
            }
        };
        if body.contains_key("access_token") {
            return Err(At::Root.field("access_token").error(
                meta.name,
                Violation::Other("must not be in the body: the client puts it in the query".into()),
            ));
        }
        let ctx = self.fill_context();
        for f in meta.request {
            if body.get(f.name).is_some_and(|v| !v.is_null()) {
                continue;
            }
            if let Some(pinned) = f.pinned {
                let value = match pinned.parse::<i64>() {
                    Ok(n) if f.ty.is_number() => Value::from(n),
                    _ => Value::from(pinned),
                };
                body.insert(f.name.to_string(), value);
                continue;
            }
            let value = match (f.fill, f.default) {
                (Some(Fill::Env), _) => Value::from(ctx.env.as_u8()),
                (Some(Fill::OfferId), _) => {
                    Value::from(ctx.offer_id(meta.name).map_err(|e| self.hint(e))?)
                }
                (None, Some(d)) if f.ty.is_number() => {
                    d.parse::<i64>().map(Value::from).unwrap_or(Value::from(d))
                }
                (None, Some(d)) => Value::from(d),
                (None, None) => continue,
            };
            body.insert(f.name.to_string(), value);
        }
        let body = Value::Object(body);
        meta.check_body(&body, crate::check::Side::Client)?;
        let env = meta
            .env_field()
            .and_then(|f| body.get(f.name))
            .and_then(Value::as_u64)
            .and_then(|v| u8::try_from(v).ok())
            .and_then(Env::from_u8);
        let bytes = serde_json::to_vec(&InSpecOrder {
            fields: meta.request,
            value: &body,
        })
        .map_err(|e| {
            At::Root.error(
                meta.name,
                Violation::Other(format!("cannot be serialized: {e}")),
            )
        })?;
        Ok((env, bytes))
    }

    /// Picks the AppKey, signs the body and the user signature.
    fn prepare<'k>(
        &self,
        meta: &'static ActionMeta,
        spec: &'static SpecMeta,
        env: Option<Env>,
        body: Vec<u8>,
        session_key: Option<&'k SessionKey>,
    ) -> Result<Prepared<'k>> {
        let env = env.unwrap_or(Env::Production);
        let app_key = self.app_key(env, meta.name)?;
        let pay_sig = pay_sig(app_key, meta.path, &body);
        let signature = match (meta.signing, session_key) {
            (Signing::PayUser, Some(k)) => Some(user_signature(k, &body)),
            (Signing::PayUser, None) => {
                return Err(Error::missing_setting(
                    crate::Setting::SessionKey,
                    format!(
                        "{} is signed with the user's session key (pay+user); pass the latest one from code2session",
                        meta.name
                    ),
                ));
            }
            // Only a dynamic call can give one (typed `send` takes none): silently unused, it
            // would let the caller believe the call was user-signed.
            (Signing::Pay, Some(_)) => {
                return Err(Error::invalid_setting(
                    crate::Setting::SessionKey,
                    format!(
                        "{} is not signed with a session key (signing: pay); give none",
                        meta.name
                    ),
                ));
            }
            (Signing::Pay, None) => None,
        };
        Ok(Prepared {
            meta,
            spec,
            env,
            body: Bytes::from(body),
            pay_sig,
            signature,
            session_key,
        })
    }

    /// Sends a prepared request, retrying as the action's rule allows. The bytes signed are
    /// the bytes sent, on every attempt. `read` parses a 200 answer once, into its status and
    /// the value to return.
    async fn dispatch<T>(&self, p: &Prepared<'_>, read: impl Fn(&Bytes) -> Read<T>) -> Result<T> {
        let meta = p.meta;
        let retry = self.inner.retry;
        let may_retry = !matches!(meta.retry, Retry::Never);
        let mut attempt: u32 = 0;
        let mut token_retried = false;
        let mut resent = false;
        loop {
            attempt += 1;
            let span = tracing::info_span!("xpay.call", action = meta.name, env = %p.env, attempt);
            let outcome = self
                .attempt(p, &read, resent, attempt)
                .instrument(span)
                .await;
            let sent = matches!(outcome, Attempt::Retry(_));
            match outcome {
                Attempt::Done(value) => return Ok(value),
                // A rejected token is dropped and the call made once more, whatever the
                // action: WeChat did not process it.
                Attempt::TokenRejected(err, token) => {
                    if token_retried || !self.tokens()?.can_refresh() {
                        return Err(err);
                    }
                    token_retried = true;
                    attempt -= 1;
                    tracing::warn!(
                        action = meta.name,
                        "access token rejected; dropping it and retrying once"
                    );
                    if self.tokens()?.invalidate(&token).await? == Invalidation::Kept {
                        // Rate-limited: WeChat's error, not another fetch.
                        return Err(err);
                    }
                }
                Attempt::Fail(err) => return Err(err),
                // Sent, with an answer lost or failed: again only where the action's rule
                // allows. Not sent (no token): again whatever the rule, and not a resend (a
                // Duplicate after it is still about an earlier call).
                Attempt::Retry(err) | Attempt::NotSent(err) => {
                    if (sent && !may_retry) || attempt >= retry.max_attempts {
                        return Err(err);
                    }
                    let wait = retry.backoff(attempt);
                    tracing::warn!(action = meta.name, attempt, error = %err, ?wait, sent, "trying again");
                    tokio::time::sleep(wait).await;
                    resent |= sent;
                }
            }
        }
    }

    async fn attempt<T>(
        &self,
        p: &Prepared<'_>,
        read: &impl Fn(&Bytes) -> Read<T>,
        resent: bool,
        attempt: u32,
    ) -> Attempt<T> {
        let meta = p.meta;
        let token = match self.tokens() {
            Ok(t) => match t.get().await {
                Ok(tok) => tok,
                Err(e) if e.is_transient() => return Attempt::NotSent(e.explained_by(p.spec)),
                Err(e) => return Attempt::Fail(e.explained_by(p.spec)),
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
            q.append_pair("pay_sig", &p.pay_sig);
            if let Some(s) = &p.signature {
                q.append_pair("signature", s);
            }
        }
        let request = self
            .inner
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(p.body.clone());
        let sent = crate::hook::send(self.inner.hook.as_deref(), meta.name, attempt, request).await;
        let resp = match sent {
            Ok(r) => r,
            // Whether the request reached WeChat is unknown: retried only where safe.
            Err(e) => return Attempt::Retry(Error::transport(meta.name, e)),
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
            Err(ReadError::Transport(e)) => return Attempt::Retry(Error::transport(meta.name, e)),
            Err(e @ ReadError::TooLarge) => {
                return Attempt::Fail(e.into_error(meta.name, self.inner.max_response_bytes));
            }
        };
        let (st, value) = match read(&bytes) {
            Ok(parsed) => parsed,
            Err(ReadFailure { what, error }) => {
                return Attempt::Fail(self.decode_error(
                    meta.name,
                    what,
                    error,
                    p.session_key,
                    Some(&token),
                ));
            }
        };
        match st.errcode {
            0 => Attempt::Done(value),
            errcode::DUPLICATE => Attempt::Fail(Error::Duplicate {
                action: meta.name.to_string(),
                errmsg: self.clean(&st.errmsg, p.session_key, Some(&token)),
                retried: resent,
            }),
            code => {
                let err = Error::WeChat {
                    action: meta.name.to_string(),
                    errcode: code,
                    errmsg: self.clean(&st.errmsg, p.session_key, Some(&token)),
                    meaning: p.spec.meaning(code),
                };
                if errcode::is_token_error(code) {
                    Attempt::TokenRejected(err, token)
                } else if code == errcode::SYSTEM_ERROR {
                    Attempt::Retry(err)
                } else {
                    Attempt::Fail(err)
                }
            }
        }
    }
}

/// The errcode and errmsg every WeChat answer carries.
#[derive(Debug, Default)]
pub(crate) struct Status {
    pub(crate) errcode: i64,
    pub(crate) errmsg: String,
}

#[derive(Deserialize)]
struct StatusOnly {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// Why an answer could not be read: what it should have been, and the parser's error.
pub(crate) struct ReadFailure {
    pub(crate) what: &'static str,
    pub(crate) error: serde_json::Error,
}

/// An answer read into its status and the value a call returns.
type Read<T> = std::result::Result<(Status, T), ReadFailure>;

/// Reads only the status of an answer, which must be a JSON object: serde would read a
/// struct from an array too, and `[]` would pass as errcode 0.
pub(crate) fn read_status(bytes: &[u8]) -> std::result::Result<Status, ReadFailure> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ReadFailure {
            what: "not a WeChat JSON answer",
            error: de::Error::custom("a WeChat answer is a JSON object"),
        });
    }
    serde_json::from_slice::<StatusOnly>(bytes)
        .map(|s| Status {
            errcode: s.errcode,
            errmsg: s.errmsg,
        })
        .map_err(|error| ReadFailure {
            what: "not a WeChat JSON answer",
            error,
        })
}

/// Reads an answer in one pass: `errcode` and `errmsg` are taken aside while every other
/// field goes to `R`. An answer whose fields do not fit `R` is still a WeChat error when its
/// errcode says so.
fn read_typed<R: DeserializeOwned>(bytes: &Bytes) -> Read<R> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = WithStatus::<R>(std::marker::PhantomData)
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    match parsed {
        Ok(v) => Ok(v),
        Err(error) => {
            let status = read_status(bytes)?;
            if status.errcode != 0 {
                // An error answer need not have the success shape: an empty response stands
                // in for it (every response field is optional).
                if let Ok(empty) = serde_json::from_slice::<R>(b"{}") {
                    return Ok((status, empty));
                }
            }
            Err(ReadFailure {
                what: "the answer does not fit the spec's response",
                error,
            })
        }
    }
}

struct WithStatus<R>(std::marker::PhantomData<R>);

impl<'de, R: DeserializeOwned> DeserializeSeed<'de> for WithStatus<R> {
    type Value = (Status, R);

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, R: DeserializeOwned> Visitor<'de> for WithStatus<R> {
    type Value = (Status, R);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a WeChat JSON answer (an object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let mut status = Status::default();
        let body = R::deserialize(de::value::MapAccessDeserializer::new(StatusFilter {
            map,
            status: &mut status,
        }))?;
        Ok((status, body))
    }
}

/// A map that hands `errcode` and `errmsg` to the status and every other entry on.
struct StatusFilter<'s, A> {
    map: A,
    status: &'s mut Status,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for StatusFilter<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        loop {
            let Some(key) = self.map.next_key_seed(crate::de::Key)? else {
                return Ok(None);
            };
            match key.as_ref() {
                "errcode" => {
                    self.status.errcode = self.map.next_value::<Option<i64>>()?.unwrap_or(0);
                }
                "errmsg" => {
                    self.status.errmsg =
                        self.map.next_value::<Option<String>>()?.unwrap_or_default();
                }
                _ => {
                    return match key {
                        Cow::Borrowed(k) => seed
                            .deserialize(de::value::BorrowedStrDeserializer::new(k))
                            .map(Some),
                        Cow::Owned(k) => seed
                            .deserialize(de::value::StringDeserializer::new(k))
                            .map(Some),
                    };
                }
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

/// A dynamic body written in the spec's field order (nested objects too), with every
/// `json<T>` field given as a JSON value written as its JSON text.
struct InSpecOrder<'a> {
    fields: &'static [FieldMeta],
    value: &'a Value,
}

impl serde::Serialize for InSpecOrder<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let Some(obj) = self.value.as_object() else {
            return self.value.serialize(s);
        };
        let mut map = s.serialize_map(None)?;
        for f in self.fields {
            if let Some(v) = obj.get(f.name).filter(|v| !v.is_null()) {
                map.serialize_entry(f.name, &Typed { ty: f.ty, value: v })?;
            }
        }
        map.end()
    }
}

/// A value written as its type says: objects in field order, `json<T>` as text.
struct Typed<'a> {
    ty: &'static TypeMeta,
    value: &'a Value,
}

impl serde::Serialize for Typed<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq};
        match (self.ty, self.value) {
            (TypeMeta::Object(_, fields), v @ Value::Object(_)) => {
                InSpecOrder { fields, value: v }.serialize(s)
            }
            (TypeMeta::List(inner), Value::Array(items)) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Typed {
                        ty: inner,
                        value: item,
                    })?;
                }
                seq.end()
            }
            (TypeMeta::Json(inner), v) if !v.is_string() => {
                let text = serde_json::to_string(&Typed {
                    ty: inner,
                    value: v,
                })
                .map_err(S::Error::custom)?;
                s.serialize_str(&text)
            }
            (_, v) => v.serialize(s),
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
            ReadError::Transport(e) => Error::transport(action, e),
            ReadError::TooLarge => Error::decode(
                action,
                format!("the response is larger than {limit} bytes"),
                None,
            ),
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
