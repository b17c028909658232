//! `code2session`: a user's login code (`wx.login`) for the openid and session key every
//! `pay+user` action needs.

use crate::call::read_limited;
use crate::client::Client;
use crate::{Error, Result, SessionKey};
use serde::Deserialize;
use std::fmt;

/// What `/sns/jscode2session` gives for a login code.
#[derive(Clone)]
pub struct Login {
    /// The user's openid in this mini program.
    pub openid: String,
    /// The session key: sign `pay+user` actions and payments with the latest one.
    pub session_key: SessionKey,
    /// The unionid, when the app is bound to an open platform account.
    pub unionid: Option<String>,
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("openid", &self.openid)
            .field("session_key", &self.session_key)
            .field("unionid", &self.unionid)
            .finish()
    }
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
    openid: Option<String>,
    session_key: Option<String>,
    unionid: Option<String>,
}

impl Client {
    /// Exchanges a `wx.login` code for the user's openid and session key
    /// (`GET /sns/jscode2session`). Needs the app id and AppSecret.
    pub async fn code2session(&self, js_code: &str) -> Result<Login> {
        const ACTION: &str = "code2session";
        let app_id = self
            .app_id()
            .ok_or_else(|| self.hint(Error::missing_setting(crate::Setting::AppId, ACTION)))?;
        let secret =
            self.inner.app_secret.as_ref().ok_or_else(|| {
                self.hint(Error::missing_setting(crate::Setting::AppSecret, ACTION))
            })?;
        if js_code.is_empty() {
            return Err(Error::invalid(
                ACTION,
                "js_code",
                crate::check::Violation::Missing,
            ));
        }
        let mut url = self.url("/sns/jscode2session")?;
        url.query_pairs_mut()
            .append_pair("appid", app_id)
            .append_pair("secret", secret.expose())
            .append_pair("js_code", js_code)
            .append_pair("grant_type", "authorization_code");
        let body = self.get_small(ACTION, url).await?;
        let a: Answer = serde_json::from_slice(&body)
            .map_err(|e| self.decode_error(ACTION, "not a login answer", e, None, None))?;
        if a.errcode != 0 {
            return Err(Error::WeChat {
                action: ACTION.into(),
                errcode: a.errcode,
                errmsg: self.clean(&a.errmsg, None, None),
                meaning: None,
            });
        }
        match (a.openid, a.session_key) {
            (Some(openid), Some(key)) if !openid.is_empty() => Ok(Login {
                openid,
                session_key: SessionKey::new(key)?,
                unionid: a.unionid,
            }),
            _ => Err(Error::decode(
                ACTION,
                "the answer has no openid or session_key",
                None,
            )),
        }
    }
}

/// What `/wxa/checksession` said of a stored session key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionCheck {
    /// The key is the user's current one: `pay+user` actions signed with it will verify.
    Valid,
    /// The key is stale (errcode 87009): log the user in again before a `pay+user` action,
    /// which would otherwise fail with 268490009.
    Stale,
}

impl Client {
    /// Checks a stored session key before the `pay+user` actions that would fail with
    /// 268490009 on a stale one (`GET /wxa/checksession`, signed with
    /// `hex(HMAC-SHA256(session_key, ""))`). Errcode 87009 is [`SessionCheck::Stale`]; any other
    /// errcode is an [`Error::WeChat`].
    pub async fn check_session(
        &self,
        openid: &str,
        session_key: &SessionKey,
    ) -> Result<SessionCheck> {
        const ACTION: &str = "checksession";
        /// The signature of a stale session key.
        const INVALID_SIGNATURE: i64 = 87009;
        if openid.is_empty() {
            return Err(Error::invalid(
                ACTION,
                "openid",
                crate::check::Violation::Missing,
            ));
        }
        let signature = crate::signing::user_signature(session_key, b"");
        let token = self.tokens()?.get().await?;
        let mut url = self.url("/wxa/checksession")?;
        url.query_pairs_mut()
            .append_pair("access_token", token.expose())
            .append_pair("openid", openid)
            .append_pair("signature", &signature)
            .append_pair("sig_method", "hmac_sha256");
        let body = self.get_small(ACTION, url).await?;
        let status = crate::call::read_status(&body).map_err(|f| {
            self.decode_error(ACTION, f.what, f.error, Some(session_key), Some(&token))
        })?;
        match status.errcode {
            0 => Ok(SessionCheck::Valid),
            INVALID_SIGNATURE => Ok(SessionCheck::Stale),
            code => Err(Error::WeChat {
                action: ACTION.into(),
                errcode: code,
                errmsg: self.clean(&status.errmsg, Some(session_key), Some(&token)),
                meaning: None,
            }),
        }
    }
}

impl Client {
    /// `GET url` through the hook, refusing any status but 2xx (redirects included) and any
    /// answer over 64 KiB: the login endpoints' answers are a few hundred bytes.
    async fn get_small(&self, action: &str, url: reqwest::Url) -> Result<bytes::Bytes> {
        const LIMIT: usize = 64 * 1024;
        let get = self.inner.http.get(url);
        let resp = crate::hook::send(self.inner.hook.as_deref(), action, 1, get)
            .await
            .map_err(|e| Error::transport(action, e))?;
        if !resp.status().is_success() {
            return Err(Error::Http {
                action: action.into(),
                status: resp.status().as_u16(),
            });
        }
        read_limited(resp, LIMIT)
            .await
            .map_err(|e| e.into_error(action, LIMIT))
    }
}
