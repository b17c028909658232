//! `xpay check-session`: is a stored session key still the user's current one?
//!
//! Calls `/wxa/checksession` through [`xpay::Client::check_session`] and prints
//! `{"openid","session":"valid"|"stale"}`; a stale key is a result, not a failure.

use crate::cli::CheckSessionArgs;
use crate::config;
use crate::error::Failure;
use crate::output;
use xpay::{SessionCheck, SessionKey};

/// Checks the key and prints the verdict.
pub fn run(args: CheckSessionArgs) -> Result<(), Failure> {
    let session_key = SessionKey::new(args.session_key)?;
    let runtime = super::runtime()?;
    let verdict = runtime.block_on(async {
        let client = config::api_client(
            &args.api,
            &Default::default(),
            &Default::default(),
            &Default::default(),
        )
        .await?;
        client
            .check_session(&args.openid, &session_key)
            .await
            .map_err(Failure::from)
    })?;
    let session = match verdict {
        SessionCheck::Valid => "valid",
        SessionCheck::Stale => "stale",
        _ => "unknown",
    };
    let json = serde_json::json!({"openid": args.openid, "session": session});
    output::json(&json.to_string())
}
