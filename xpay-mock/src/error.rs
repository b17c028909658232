//! [`MockError`]: what can go wrong when starting or driving the fake server from Rust.

/// Errors of the library methods of [`MockServer`](crate::MockServer).
///
/// Requests to the fake server never produce these: they are answered with WeChat's errcodes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MockError {
    /// The configuration (or an argument) is unusable: an empty credential, an invalid
    /// EncodingAESKey, an unknown action name, an HTTP status out of range, …
    #[error("invalid mock configuration: {0}")]
    Config(String),

    /// The listening socket could not be opened.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port asked for (0 = any free port).
        port: u16,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The fake WeChat refused the operation, with the errcode it would answer over HTTP
    /// (e.g. 268490004 for an `out_trade_no` that was already paid).
    #[error("errcode {errcode}: {errmsg}")]
    Rejected {
        /// The errcode.
        errcode: i64,
        /// What is wrong, in words.
        errmsg: String,
    },
}

impl MockError {
    /// The errcode of a [`MockError::Rejected`].
    pub fn errcode(&self) -> Option<i64> {
        match self {
            MockError::Rejected { errcode, .. } => Some(*errcode),
            _ => None,
        }
    }
}

/// Shorthand for `Result<T, MockError>`.
pub type Result<T, E = MockError> = std::result::Result<T, E>;
