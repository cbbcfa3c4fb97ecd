//! The random secrets that sign people in — session ids and API tokens — and the hashes under
//! which the store keeps them. The secrets carry 256 random bits, so a plain SHA-256 is the right
//! hash: nothing to slow down, since nothing can be guessed.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// What every API token starts with, so a leaked one is recognisable (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "trellis_pat_";

/// 32 random bytes from the operating system, base64url without padding (43 characters).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new API token: the prefix and a random secret.
pub fn new_token() -> String {
    format!("{TOKEN_PREFIX}{}", random_secret())
}

/// The hex SHA-256 of a secret: what the store keeps and looks up.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The CSRF token of a session: derived from the session's secret id, so it needs no storage,
/// cannot be computed without the cookie, and reveals nothing of it.
pub fn csrf_token(session_secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"trellis csrf v1\0");
    hasher.update(session_secret.as_bytes());
    URL_SAFE_NO_PAD.encode(hasher.finalize())
}

/// Compares two strings in time that depends only on their lengths.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_hashed_one_way() {
        let (a, b) = (random_secret(), random_secret());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert_eq!(digest(&a).len(), 64);
        assert_ne!(digest(&a), digest(&b));
        assert!(new_token().starts_with(TOKEN_PREFIX));
    }

    #[test]
    fn the_csrf_token_is_tied_to_its_session() {
        let session = random_secret();
        assert_eq!(csrf_token(&session), csrf_token(&session));
        assert_ne!(csrf_token(&session), csrf_token(&random_secret()));
        assert!(!csrf_token(&session).contains(&session));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
