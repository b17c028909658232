//! Access tokens (`/cgi-bin/stable_token`, `/cgi-bin/token`) and logins
//! (`/sns/jscode2session`): who may call, and which session key signs a user's requests.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::Rng as _;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};

use crate::answer::Reject;

/// How long a replaced classic token keeps working (WeChat: 5 minutes).
const CLASSIC_GRACE: Duration = Duration::from_secs(300);

/// A stable token this close to expiry is renewed by the next fetch (WeChat: 5 minutes; half
/// the lifetime when tokens live less than 10 minutes).
const STABLE_RENEW_MARGIN: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy)]
enum TokenState {
    /// Valid until the instant.
    Live(Instant),
    /// Forced out with [`Auth::expire_current`]: answers 42001.
    Expired,
    /// Replaced by a `force_refresh`: answers 40001.
    Revoked,
}

/// Tokens and sessions.
#[derive(Debug)]
pub(crate) struct Auth {
    app_id: String,
    app_secret: String,
    ttl: Duration,
    tokens: HashMap<String, TokenState>,
    current: Option<String>,
    fetches: u64,
    sessions: HashMap<String, String>,
    /// Keys a later login replaced, per openid (the last few): a request signed with one is
    /// answered as WeChat answers a stale key.
    retired: HashMap<String, Vec<String>>,
}

/// How many replaced session keys are remembered per openid.
const RETIRED_KEYS: usize = 8;

fn random_token() -> String {
    let body: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(100)
        .map(char::from)
        .collect();
    format!("MOCK_{body}")
}

/// The openid a login code logs in: `o` + 27 URL-safe base64 characters of
/// SHA-256(app id, code), so the same code always logs the same user in.
pub(crate) fn openid_for(app_id: &str, js_code: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"xpay-mock openid\0")
        .chain_update(app_id.as_bytes())
        .chain_update(b"\0")
        .chain_update(js_code.as_bytes())
        .finalize();
    let text = URL_SAFE_NO_PAD.encode(digest);
    format!("o{}", &text[..27])
}

impl Auth {
    pub(crate) fn new(app_id: String, app_secret: String, ttl: Duration) -> Self {
        Auth {
            app_id,
            app_secret,
            ttl,
            tokens: HashMap::new(),
            current: None,
            fetches: 0,
            sessions: HashMap::new(),
            retired: HashMap::new(),
        }
    }

    /// Checks the appid and secret of a token or login request: 40013 / 40125.
    pub(crate) fn check_app(
        &self,
        appid: Option<&str>,
        secret: Option<&str>,
    ) -> Result<(), Reject> {
        if appid != Some(self.app_id.as_str()) {
            return Err(Reject::new(40013, "invalid appid"));
        }
        let ok = secret.is_some_and(|s| xpay::signing::signatures_equal(s, &self.app_secret));
        if !ok {
            return Err(Reject::new(40125, "invalid appsecret"));
        }
        Ok(())
    }

    fn issue(&mut self) -> (String, u64) {
        let token = random_token();
        self.tokens
            .insert(token.clone(), TokenState::Live(Instant::now() + self.ttl));
        self.current = Some(token.clone());
        (token, self.ttl.as_secs())
    }

    fn current_live(&self) -> Option<(String, Duration)> {
        let token = self.current.as_ref()?;
        match self.tokens.get(token) {
            Some(TokenState::Live(until)) => {
                let left = until.saturating_duration_since(Instant::now());
                (!left.is_zero()).then(|| (token.clone(), left))
            }
            _ => None,
        }
    }

    /// `stable_token`: the current token while it has more than 5 minutes left, else a new
    /// one; `force_refresh` always makes a new one and revokes the old (40001 afterwards).
    pub(crate) fn stable_token(&mut self, force_refresh: bool) -> (String, u64) {
        self.fetches += 1;
        if force_refresh {
            if let Some(old) = self.current.take() {
                self.tokens.insert(old, TokenState::Revoked);
            }
            return self.issue();
        }
        match self.current_live() {
            Some((token, left)) if left > STABLE_RENEW_MARGIN.min(self.ttl / 2) => {
                (token, left.as_secs().max(1))
            }
            _ => self.issue(),
        }
    }

    /// Classic `token`: always a new token; the previous one keeps working for 5 minutes.
    pub(crate) fn classic_token(&mut self) -> (String, u64) {
        self.fetches += 1;
        if let Some(old) = self.current.take()
            && let Some(TokenState::Live(until)) = self.tokens.get(&old).copied()
        {
            let grace = Instant::now() + CLASSIC_GRACE;
            self.tokens.insert(old, TokenState::Live(until.min(grace)));
        }
        self.issue()
    }

    /// Checks the `access_token` of an API call: 41001 missing, 40001 unknown or revoked,
    /// 42001 expired.
    pub(crate) fn check_token(&self, token: Option<&str>) -> Result<(), Reject> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Err(Reject::new(41001, "access_token missing"));
        };
        match self.tokens.get(token) {
            Some(TokenState::Live(until)) if Instant::now() < *until => Ok(()),
            Some(TokenState::Live(_) | TokenState::Expired) => Err(Reject::new(
                42001,
                "access_token expired, please refresh it",
            )),
            Some(TokenState::Revoked) | None => Err(Reject::new(
                40001,
                "invalid credential, access_token is invalid or not latest",
            )),
        }
    }

    /// Expires the current token: it answers 42001 from now on and the next fetch hands out
    /// a new one.
    pub(crate) fn expire_current(&mut self) {
        if let Some(old) = self.current.take() {
            self.tokens.insert(old, TokenState::Expired);
        }
    }

    /// How many tokens were handed out (both endpoints, failed fetches not counted).
    pub(crate) fn fetches(&self) -> u64 {
        self.fetches
    }

    /// Logs a user in: the openid of the code and a fresh session key, which replaces any
    /// earlier one of that openid.
    pub(crate) fn login(&mut self, js_code: &str) -> (String, String) {
        let openid = openid_for(&self.app_id, js_code);
        let key: [u8; 16] = rand::random();
        let session_key = STANDARD.encode(key);
        if let Some(old) = self.sessions.insert(openid.clone(), session_key.clone()) {
            let retired = self.retired.entry(openid.clone()).or_default();
            retired.push(old);
            if retired.len() > RETIRED_KEYS {
                retired.remove(0);
            }
        }
        (openid, session_key)
    }

    /// The session keys of an openid that later logins replaced (the last few).
    pub(crate) fn retired_session_keys(&self, openid: &str) -> &[String] {
        self.retired.get(openid).map_or(&[], Vec::as_slice)
    }

    /// The latest session key issued for an openid.
    pub(crate) fn session_key(&self, openid: &str) -> Option<&str> {
        self.sessions.get(openid).map(String::as_str)
    }

    /// The app id.
    pub(crate) fn app_id(&self) -> &str {
        &self.app_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        Auth::new("wxapp".into(), "secret".into(), Duration::from_secs(7200))
    }

    #[test]
    fn stable_tokens_are_reused_and_expire_on_demand() {
        let mut a = auth();
        let (t1, exp) = a.stable_token(false);
        assert!(exp > 7000);
        assert_eq!(a.stable_token(false).0, t1);
        assert!(a.check_token(Some(&t1)).is_ok());
        a.expire_current();
        assert_eq!(a.check_token(Some(&t1)).map_err(|r| r.errcode), Err(42001));
        let (t2, _) = a.stable_token(false);
        assert_ne!(t1, t2);
        assert!(a.check_token(Some(&t2)).is_ok());
        assert_eq!(a.fetches(), 3);
        let (t3, _) = a.stable_token(true);
        assert_eq!(a.check_token(Some(&t2)).map_err(|r| r.errcode), Err(40001));
        assert!(a.check_token(Some(&t3)).is_ok());
        assert_eq!(
            a.check_token(Some("nope")).map_err(|r| r.errcode),
            Err(40001)
        );
        assert_eq!(a.check_token(None).map_err(|r| r.errcode), Err(41001));
    }

    #[test]
    fn classic_tokens_rotate_with_grace() {
        let mut a = auth();
        let (t1, _) = a.classic_token();
        let (t2, _) = a.classic_token();
        assert_ne!(t1, t2);
        assert!(a.check_token(Some(&t1)).is_ok(), "grace period");
        assert!(a.check_token(Some(&t2)).is_ok());
    }

    #[test]
    fn short_ttl_tokens_expire() {
        let mut a = Auth::new("wxapp".into(), "secret".into(), Duration::from_millis(1));
        let (t, _) = a.stable_token(false);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(a.check_token(Some(&t)).map_err(|r| r.errcode), Err(42001));
        assert_ne!(a.stable_token(false).0, t);
    }

    #[test]
    fn logins_are_deterministic_per_code_and_keep_the_latest_key() {
        let mut a = auth();
        let (o1, k1) = a.login("code-1");
        let (o2, k2) = a.login("code-1");
        assert_eq!(o1, o2);
        assert_ne!(k1, k2);
        assert_eq!(a.session_key(&o1), Some(k2.as_str()));
        assert_eq!(o1.len(), 28);
        assert!(o1.starts_with('o'));
        assert_eq!(k1.len(), 24);
        assert_ne!(a.login("code-2").0, o1);
        assert_eq!(a.session_key("o-unknown"), None);
    }

    #[test]
    fn app_checks() {
        let a = auth();
        assert!(a.check_app(Some("wxapp"), Some("secret")).is_ok());
        assert_eq!(
            a.check_app(Some("wx"), Some("secret"))
                .map_err(|r| r.errcode),
            Err(40013)
        );
        assert_eq!(
            a.check_app(Some("wxapp"), Some("s")).map_err(|r| r.errcode),
            Err(40125)
        );
        assert_eq!(
            a.check_app(Some("wxapp"), None).map_err(|r| r.errcode),
            Err(40125)
        );
    }
}
