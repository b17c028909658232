//! Message-push crypto (WeChat: <https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html>): SHA-1 signatures, the EncodingAESKey, and the
//! AES-256-CBC envelope `random(16) ‖ len u32 BE ‖ msg ‖ appid` padded with PKCS#7 to 32 bytes.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use aes::Aes256;
use base64::Engine as _;
use base64::alphabet::STANDARD;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha1::{Digest, Sha1};

use super::error::{CallbackError, SignatureKind};
use crate::CallbackToken;

type Aes256CbcEnc = cbc::Encryptor<Aes256>;
type Aes256CbcDec = cbc::Decryptor<Aes256>;

/// The PKCS#7 block size WeChat pads to (not AES's 16).
pub const PAD_BLOCK: usize = 32;
/// The length of an EncodingAESKey in characters.
pub const ENCODING_AES_KEY_LEN: usize = 43;
/// Bytes before the message in a plaintext: 16 random bytes and a 4-byte length.
const HEADER_LEN: usize = 20;

/// Lenient base64: accepts non-canonical trailing bits and missing or present padding.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The message-push signature: SHA-1, as lowercase hex, of the parts sorted as strings
/// (byte-wise) and concatenated.
///
/// `signature(&[token, timestamp, nonce])` signs a URL verification or a plain push;
/// `signature(&[token, timestamp, nonce, encrypt])` is a safe-mode push's `msg_signature`.
pub fn signature(parts: &[&str]) -> String {
    let hex = signature_hex(parts);
    // Hex digits are ASCII.
    String::from_utf8_lossy(&hex).into_owned()
}

/// The signature as lowercase hex digits, on the stack.
fn signature_hex(parts: &[&str]) -> [u8; 40] {
    // Pushes sign three or four parts: sorted on the stack; more, on the heap.
    let mut stack: [&str; 4] = [""; 4];
    let mut heap: Vec<&str>;
    let sorted: &mut [&str] = if parts.len() <= stack.len() {
        stack[..parts.len()].copy_from_slice(parts);
        &mut stack[..parts.len()]
    } else {
        heap = parts.to_vec();
        &mut heap
    };
    sorted.sort_unstable();
    let mut hasher = Sha1::new();
    for part in sorted.iter() {
        hasher.update(part.as_bytes());
    }
    let mut hex = [0u8; 40];
    // 20 bytes always fit 40 hex digits.
    let _ = hex::encode_to_slice(hasher.finalize(), &mut hex);
    hex
}

/// Checks `given` against the signature of `parts` in constant time (hex case is ignored).
pub fn verify_signature(
    given: &str,
    parts: &[&str],
    kind: SignatureKind,
) -> Result<(), CallbackError> {
    use subtle::ConstantTimeEq;
    let expected = signature_hex(parts);
    let given = given.trim().as_bytes();
    let mut lower = [0u8; 40];
    let equal = given.len() == lower.len() && {
        for (l, g) in lower.iter_mut().zip(given) {
            *l = g.to_ascii_lowercase();
        }
        bool::from(expected.ct_eq(&lower))
    };
    if equal {
        Ok(())
    } else {
        Err(CallbackError::SignatureMismatch(kind))
    }
}

/// `signature(token, timestamp, nonce)` with the token exposed only here.
#[cfg(any(test, feature = "push-sender"))]
pub(crate) fn token_signature(token: &CallbackToken, timestamp: &str, nonce: &str) -> String {
    signature(&[token.expose(), timestamp, nonce])
}

/// `msg_signature(token, timestamp, nonce, encrypt)` with the token exposed only here.
pub(crate) fn msg_signature(
    token: &CallbackToken,
    timestamp: &str,
    nonce: &str,
    encrypt: &str,
) -> String {
    signature(&[token.expose(), timestamp, nonce, encrypt])
}

struct KeyMaterial {
    text: SecretString,
    bytes: SecretBox<[u8; 32]>,
}

/// The message-push EncodingAESKey (消息加密密钥): 43 base64 characters encoding a 32-byte
/// AES-256 key.
///
/// `Debug` is redacted; the key is never printed, logged or put in an error.
#[derive(Clone)]
pub struct EncodingAesKey(Arc<KeyMaterial>);

impl EncodingAesKey {
    /// Validates and decodes an EncodingAESKey: exactly 43 characters of standard base64.
    /// Errors with [`Error::InvalidSetting`](crate::Error::InvalidSetting) (setting
    /// `EncodingAesKey`), like [`CallbackToken::new`](crate::CallbackToken::new); the message
    /// never quotes the key.
    ///
    /// The AES key is `base64_decode(key + "=")`; the 43rd character's two unused bits are
    /// ignored, as WeChat's keys may set them.
    pub fn new(key: impl Into<String>) -> Result<Self, crate::Error> {
        let invalid =
            |why: String| crate::Error::invalid_setting(crate::Setting::EncodingAesKey, why);
        let text: String = key.into();
        let chars = text.chars().count();
        if chars != ENCODING_AES_KEY_LEN {
            return Err(invalid(format!(
                "must be {ENCODING_AES_KEY_LEN} characters, got {chars}"
            )));
        }
        if let Some(pos) = text
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || b == b'+' || b == b'/'))
        {
            return Err(invalid(format!(
                "character {} is not a base64 character (A-Z a-z 0-9 + /)",
                pos + 1
            )));
        }
        let mut padded = text.clone();
        padded.push('=');
        let decoded = LENIENT
            .decode(padded.as_bytes())
            .map_err(|_| invalid("not valid base64".into()))?;
        let bytes: [u8; 32] = decoded
            .as_slice()
            .try_into()
            .map_err(|_| invalid("does not decode to 32 bytes".into()))?;
        Ok(Self(Arc::new(KeyMaterial {
            text: SecretString::from(text),
            bytes: SecretBox::new(Box::new(bytes)),
        })))
    }

    /// A fresh random key (for a fake WeChat server or tests).
    pub fn generate() -> Self {
        let bytes: [u8; 32] = rand::random();
        let text = general_purpose::STANDARD_NO_PAD.encode(bytes);
        Self(Arc::new(KeyMaterial {
            text: SecretString::from(text),
            bytes: SecretBox::new(Box::new(bytes)),
        }))
    }

    /// The 43-character key text. Handle with care: never log it.
    pub fn expose(&self) -> &str {
        self.0.text.expose_secret()
    }

    fn key(&self) -> &[u8; 32] {
        self.0.bytes.expose_secret()
    }

    fn iv(&self) -> [u8; 16] {
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&self.key()[..16]);
        iv
    }
}

impl fmt::Debug for EncodingAesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncodingAesKey([REDACTED])")
    }
}

impl FromStr for EncodingAesKey {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

/// A decrypted safe-mode plaintext, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plaintext {
    /// The 16 random bytes in front.
    pub random: [u8; 16],
    /// The message (a JSON or XML document).
    pub message: Vec<u8>,
    /// The appid that ends the plaintext.
    pub app_id: Vec<u8>,
}

/// Decrypts a safe-mode `Encrypt` value: base64, AES-256-CBC, PKCS#7/32, then splits
/// `random(16) ‖ len ‖ msg ‖ appid`. The appid is returned, not checked.
pub fn decrypt(key: &EncodingAesKey, encrypt: &str) -> Result<Plaintext, CallbackError> {
    let (buf, message, app_id) = decrypt_in_place(key, encrypt)?;
    let mut random = [0u8; 16];
    random.copy_from_slice(&buf[..16]);
    Ok(Plaintext {
        random,
        message: buf[message].to_vec(),
        app_id: buf[app_id].to_vec(),
    })
}

/// A decrypted buffer, and where the message and the appid are in it.
pub(crate) type InPlace = (Vec<u8>, std::ops::Range<usize>, std::ops::Range<usize>);

/// [`decrypt`] without copying: the buffer, and where the message and the appid are in it.
pub(crate) fn decrypt_in_place(
    key: &EncodingAesKey,
    encrypt: &str,
) -> Result<InPlace, CallbackError> {
    let mut buf = LENIENT
        .decode(encrypt.trim().as_bytes())
        .map_err(|e| CallbackError::Base64(e.to_string()))?;
    if buf.is_empty() {
        return Err(CallbackError::EmptyCiphertext);
    }
    if buf.len() % 16 != 0 {
        return Err(CallbackError::CiphertextLength { len: buf.len() });
    }
    let len = buf.len();
    Aes256CbcDec::new(key.key().into(), &key.iv().into())
        .decrypt_padded::<NoPadding>(&mut buf)
        .map_err(|_| CallbackError::CiphertextLength { len })?;
    let unpadded = unpad(&buf)?.len();
    let message_len = split_plaintext(&buf[..unpadded])?;
    let message = HEADER_LEN..HEADER_LEN + message_len;
    let app_id = message.end..unpadded;
    Ok((buf, message, app_id))
}

/// Strips PKCS#7 padding with block size 32: the last byte `n` must be in 1..=32 and the last
/// `n` bytes must all equal `n`.
pub fn unpad(data: &[u8]) -> Result<&[u8], CallbackError> {
    let Some(&last) = data.last() else {
        return Err(CallbackError::BadPadding("no data".into()));
    };
    let pad = usize::from(last);
    if pad == 0 || pad > PAD_BLOCK {
        return Err(CallbackError::BadPadding(format!(
            "pad length {pad} is outside 1..={PAD_BLOCK}"
        )));
    }
    if pad > data.len() {
        return Err(CallbackError::BadPadding(format!(
            "pad length {pad} is longer than the {} decrypted bytes",
            data.len()
        )));
    }
    let (body, padding) = data.split_at(data.len() - pad);
    if padding.iter().any(|&b| b != last) {
        return Err(CallbackError::BadPadding(format!(
            "the last {pad} bytes are not all {pad}"
        )));
    }
    Ok(body)
}

/// Appends PKCS#7 padding with block size 32 (1..=32 bytes, a whole block when aligned).
pub fn pad(data: &mut Vec<u8>) {
    let pad = PAD_BLOCK - data.len() % PAD_BLOCK;
    // `pad` is in 1..=32, so it fits a byte.
    let byte = u8::try_from(pad).unwrap_or(u8::MAX);
    data.resize(data.len() + pad, byte);
}

/// Checks `random(16) ‖ len u32 BE ‖ msg ‖ appid` and returns the message's length.
fn split_plaintext(data: &[u8]) -> Result<usize, CallbackError> {
    let Some(len_bytes) = data.get(16..HEADER_LEN) else {
        return Err(CallbackError::PlaintextTooShort { len: data.len() });
    };
    let mut len = [0u8; 4];
    len.copy_from_slice(len_bytes);
    let declared = u32::from_be_bytes(len);
    let rest = &data[HEADER_LEN..];
    let msg_len = usize::try_from(declared).unwrap_or(usize::MAX);
    if msg_len > rest.len() {
        return Err(CallbackError::MessageLength {
            declared,
            available: rest.len(),
        });
    }
    Ok(msg_len)
}

/// Encrypts a message the way WeChat does: `random ‖ len u32 BE ‖ message ‖ app_id`,
/// PKCS#7/32, AES-256-CBC with IV = key[0..16], base64. `random` is injectable so tests are
/// deterministic; pass `rand::random()` otherwise.
pub fn encrypt(
    key: &EncodingAesKey,
    app_id: &str,
    message: &[u8],
    random: [u8; 16],
) -> Result<String, CallbackError> {
    let len = u32::try_from(message.len())
        .map_err(|_| CallbackError::MessageTooLong { len: message.len() })?;
    let mut buf = Vec::with_capacity(HEADER_LEN + message.len() + app_id.len() + PAD_BLOCK);
    buf.extend_from_slice(&random);
    buf.extend_from_slice(&len.to_be_bytes());
    buf.extend_from_slice(message);
    buf.extend_from_slice(app_id.as_bytes());
    pad(&mut buf);
    let msg_len = buf.len();
    let ciphertext = Aes256CbcEnc::new(key.key().into(), &key.iv().into())
        .encrypt_padded::<NoPadding>(&mut buf, msg_len)
        .map_err(|_| CallbackError::MessageTooLong { len: message.len() })?;
    Ok(general_purpose::STANDARD.encode(ciphertext))
}

/// Encrypts whole 16-byte blocks as they are, no framing and no padding: for tests that
/// need malformed plaintexts. Returns base64.
#[cfg(test)]
pub(crate) fn encrypt_raw(key: &EncodingAesKey, data: &[u8]) -> Option<String> {
    let mut buf = data.to_vec();
    let len = buf.len();
    let ct = Aes256CbcEnc::new(key.key().into(), &key.iv().into())
        .encrypt_padded::<NoPadding>(&mut buf, len)
        .ok()?;
    Some(general_purpose::STANDARD.encode(ct))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_sorts_as_strings() {
        // "10" < "9" as strings.
        assert_eq!(signature(&["9", "10"]), signature(&["10", "9"]));
        assert_eq!(
            signature(&["9", "10"]),
            hex::encode(Sha1::digest(b"109")),
            "sorted as strings, not numbers"
        );
    }

    #[test]
    fn verify_ignores_hex_case() {
        let sig = signature(&["a", "b"]).to_ascii_uppercase();
        assert!(verify_signature(&sig, &["a", "b"], SignatureKind::Plain).is_ok());
        assert_eq!(
            verify_signature("00", &["a", "b"], SignatureKind::Plain),
            Err(CallbackError::SignatureMismatch(SignatureKind::Plain))
        );
    }

    #[test]
    fn pad_lengths() {
        for n in 0..70 {
            let mut v = vec![7u8; n];
            pad(&mut v);
            assert_eq!(v.len() % PAD_BLOCK, 0);
            let p = v.len() - n;
            assert!((1..=PAD_BLOCK).contains(&p));
            assert_eq!(unpad(&v).map(<[u8]>::len), Ok(n));
        }
    }

    #[test]
    fn unpad_rejects_bad_padding() {
        let mut block = vec![0u8; 32];
        assert!(matches!(unpad(&block), Err(CallbackError::BadPadding(m)) if m.contains("0")));
        block[31] = 33;
        assert!(matches!(unpad(&block), Err(CallbackError::BadPadding(m)) if m.contains("33")));
        block[31] = 3;
        block[30] = 3;
        block[29] = 4;
        assert!(
            matches!(unpad(&block), Err(CallbackError::BadPadding(m)) if m.contains("not all"))
        );
        block[29] = 3;
        assert_eq!(unpad(&block).map(<[u8]>::len), Ok(29));
        assert!(unpad(&[20u8; 16]).is_err(), "pad longer than the data");
    }

    #[test]
    fn key_validation() {
        assert!(EncodingAesKey::new("A".repeat(43)).is_ok());
        let short = EncodingAesKey::new("A".repeat(42));
        assert!(matches!(
            short,
            Err(crate::Error::InvalidSetting {
                setting: crate::Setting::EncodingAesKey,
                ..
            })
        ));
        let bad = EncodingAesKey::new(format!("{}!", "A".repeat(42)));
        assert!(matches!(
            bad,
            Err(crate::Error::InvalidSetting {
                setting: crate::Setting::EncodingAesKey,
                ..
            })
        ));
        let generated = EncodingAesKey::generate();
        assert_eq!(generated.expose().len(), 43);
        let again = EncodingAesKey::new(generated.expose()).map(|k| *k.key());
        assert_eq!(again.ok(), Some(*generated.key()));
    }

    #[test]
    fn trailing_bits_are_accepted() {
        // "C" as the 43rd character sets one of the two unused bits.
        let key = EncodingAesKey::new("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C");
        assert!(key.is_ok());
    }

    #[test]
    fn encrypt_then_decrypt() {
        let key = EncodingAesKey::generate();
        for len in [0usize, 1, 11, 12, 31, 32, 33, 100] {
            let msg = vec![b'x'; len];
            let enc = encrypt(&key, "wxappid", &msg, [9; 16]);
            let dec = enc.and_then(|e| decrypt(&key, &e));
            assert_eq!(
                dec,
                Ok(Plaintext {
                    random: [9; 16],
                    message: msg,
                    app_id: b"wxappid".to_vec()
                })
            );
        }
    }

    #[test]
    fn split_checks_bounds() {
        assert_eq!(
            split_plaintext(&[0u8; 19]),
            Err(CallbackError::PlaintextTooShort { len: 19 })
        );
        let mut data = vec![0u8; 16];
        data.extend_from_slice(&5u32.to_be_bytes());
        data.extend_from_slice(b"abc");
        assert_eq!(
            split_plaintext(&data),
            Err(CallbackError::MessageLength {
                declared: 5,
                available: 3
            })
        );
        let mut huge = vec![0u8; 16];
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            split_plaintext(&huge),
            Err(CallbackError::MessageLength { .. })
        ));
    }
}
