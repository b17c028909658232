//! Message-push callbacks: URL verification, signature checks, decryption and parsing.

/// A push that could not be verified, decrypted or parsed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// The signature did not match.
    #[error("callback signature mismatch")]
    Signature,
}
