//! Passwords: hashed with argon2id off the async runtime, and refused when short or guessable.
//!
//! Guessability is judged by `zxcvbn` (Dropbox's estimator), which knows the common-password
//! lists, keyboard walks, dates, l33t spellings and the user's own name and email: a password it
//! scores below "safely unguessable" is refused with its own advice.

use crate::error::{ServiceError, ServiceResult};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// The shortest password accepted, in characters.
pub const MIN_LENGTH: usize = 10;
/// The longest, in bytes: hashing cost grows with the input, so a huge one is refused early.
pub const MAX_BYTES: usize = 1024;
/// zxcvbn's score needed: 3 is "safely unguessable: moderate protection from offline attacks".
const MIN_SCORE: u8 = 3;

/// Refuses a password that is too short, too long or guessable; `context` holds what the
/// password must not be built from (the user's email and name).
pub fn check_strength(password: &str, context: &[&str]) -> ServiceResult<()> {
    let refuse = |message: String| Err(ServiceError::invalid_parameter("password", message));
    if password.chars().count() < MIN_LENGTH {
        return refuse(format!("the password must have at least {MIN_LENGTH} characters"));
    }
    if password.len() > MAX_BYTES {
        return refuse(format!("the password must have at most {MAX_BYTES} bytes"));
    }
    let estimate = zxcvbn::zxcvbn(password, context);
    if u8::from(estimate.score()) < MIN_SCORE {
        let mut message = "the password is too easy to guess".to_owned();
        if let Some(feedback) = estimate.feedback() {
            if let Some(warning) = feedback.warning() {
                message.push_str(&format!(": {warning}"));
            }
            if let Some(suggestion) = feedback.suggestions().first() {
                message.push_str(&format!(" ({suggestion})"));
            }
        }
        return refuse(message);
    }
    Ok(())
}

/// The argon2id PHC string of `password`, computed on a blocking thread.
pub async fn hash(password: &str) -> ServiceResult<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| ServiceError::Internal(format!("cannot hash a password: {error}")))
    })
    .await
    .map_err(|error| ServiceError::Internal(format!("password hashing task failed: {error}")))?
}

/// Whether `password` matches the PHC string `hash`, checked on a blocking thread. A hash that
/// does not parse matches nothing.
pub async fn verify(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// A hash of no one's password, verified against when the email is unknown so that an unknown
/// user costs the same time as a wrong password.
pub fn decoy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$dHJlbGxpcy1kZWNveQ$1cJkGqZ0Z3cX5lGm5p0a0wFZl1y3b0y2fGm2m0dJv1Q"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_common_passwords_are_refused() {
        assert!(check_strength("short", &[]).unwrap_err().to_string().contains("10"));
        assert!(check_strength("password123", &[]).is_err());
        assert!(check_strength("qwertyuiop", &[]).is_err());
        assert!(check_strength("ada.lovelace@example.com", &["ada.lovelace@example.com"]).is_err());
        assert!(check_strength("violet-harbour-quietly-87", &[]).is_ok());
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hash = hash("violet-harbour-quietly-87").await.unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify("violet-harbour-quietly-87", &hash).await);
        assert!(!verify("violet-harbour-quietly-88", &hash).await);
        assert!(!verify("anything", "not a hash").await);
    }

    #[tokio::test]
    async fn the_decoy_hash_parses_and_matches_nothing_likely() {
        assert!(PasswordHash::new(decoy_hash()).is_ok());
        assert!(!verify("", decoy_hash()).await);
    }
}
