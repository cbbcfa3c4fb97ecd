//! Platform credentials at rest: sealed with AES-256-GCM under `TRELLIS_SECRET_KEY` before they
//! reach the store, opened only in memory when a connector needs them.
//!
//! A sealed value reads `v1:<base64(nonce || ciphertext)>`. The nonce is 96 random bits, fresh for
//! every seal. The account id is bound as associated data, so a sealed value copied onto another
//! account's row does not open. The state of a connect flow under way (a PKCE verifier, Page
//! tokens) is sealed the same way, bound to the flow's token.
//!
//! Nothing here ever logs, prints or returns a token: [`SecretKey`] and [`AccountSecrets`] redact
//! themselves in `Debug`, and every error names the likely cause, never the secret.

use aes_gcm::aead::{Aead, AeadCore, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, KeyInit};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use trellis_core::{AccountId, SealedSecret};

/// Where a key generated for an unconfigured install is kept, inside the data dir.
pub const KEY_FILE_NAME: &str = "secret.key";

/// The version tag of the sealed format this build writes.
const SEALED_V1: &str = "v1:";
const NONCE_LEN: usize = 12;

/// A secret from the configuration (an app secret, a webhook secret, the key itself): `Debug`
/// shows nothing of it; `Deref` gives the text to the one place that needs it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }
}

impl std::ops::Deref for Secret {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// What an account needs to act on its platform. Serialized only to be sealed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSecrets {
    /// The bearer token (X), Page token (Facebook) or API key (Discourse).
    pub access_token: String,
    /// X's single-use refresh token; replaced on every refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// When `access_token` stops working, when the platform says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// The `Api-Username` a Discourse API key acts as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_username: Option<String>,
}

impl fmt::Debug for AccountSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |present: bool| if present { "<redacted>" } else { "<none>" };
        f.debug_struct("AccountSecrets")
            .field("access_token", &redacted(true))
            .field("refresh_token", &redacted(self.refresh_token.is_some()))
            .field("expires_at", &self.expires_at)
            .field("api_username", &self.api_username)
            .finish()
    }
}

/// Why a key could not be loaded or a secret could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "invalid secret key (from {origin}): {reason}; generate one with `openssl rand -base64 32`"
    )]
    InvalidKey { origin: String, reason: String },
    #[error("cannot {action} secret key file {path}: {source}")]
    KeyFile {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The stored value is not a sealed secret this build can read.
    #[error("sealed credentials of account {account} are malformed: {reason}")]
    Malformed { account: AccountId, reason: String },
    /// Authentication failed: another key sealed it, it was altered, or it belongs to another account.
    #[error(
        "cannot open the sealed credentials of account {account}: they were sealed with another \
         secret key (was TRELLIS_SECRET_KEY changed, or secret.key replaced?), altered, or copied \
         from another account; connect the account again or restore the original key"
    )]
    WrongKey { account: AccountId },
    /// Encryption itself failed (a plaintext beyond AES-GCM's limit); no secret is involved.
    #[error("cannot seal the credentials of account {account}")]
    Seal { account: AccountId },
    /// A connect flow's state could not be sealed or opened.
    #[error("the state of a connect flow under way cannot be used: {reason}")]
    Flow { reason: String },
}

/// The AES-256 key that seals every account's credentials. `Debug` shows nothing of it.
#[derive(Clone)]
pub struct SecretKey {
    cipher: Aes256Gcm,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl SecretKey {
    /// Parses 32 bytes written as standard base64 (44 characters) or as 64 hex characters.
    /// `origin` says where the text came from, for the error.
    pub fn parse(text: &str, origin: &str) -> Result<Self, SecretError> {
        let text = text.trim();
        let invalid =
            |reason: String| SecretError::InvalidKey { origin: origin.to_owned(), reason };
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|err| invalid(format!("bad hex: {err}")))?
        } else {
            STANDARD.decode(text).map_err(|_| {
                invalid("expected 32 bytes as base64 or 64 hex characters".to_owned())
            })?
        };
        let bytes: [u8; 32] = bytes.try_into().map_err(|bytes: Vec<u8>| {
            invalid(format!("expected 32 bytes, got {} bytes", bytes.len()))
        })?;
        Ok(Self::from_bytes(bytes))
    }

    fn from_bytes(bytes: [u8; 32]) -> Self {
        Self { cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes)) }
    }

    /// A fresh random key and its base64 text.
    pub fn generate() -> (Self, String) {
        let key = Aes256Gcm::generate_key(&mut OsRng);
        let text = STANDARD.encode(key);
        (Self { cipher: Aes256Gcm::new(&key) }, text)
    }

    /// The configured key (`secret_key`, `TRELLIS_SECRET_KEY`) when set. Otherwise the key kept in
    /// `<data_dir>/secret.key`, generated there (mode 0600) on first use so `trellis demo` and
    /// `trellis serve` work out of the box. Production sets the variable: with several nodes each
    /// would otherwise generate its own key and fail to open the others' credentials.
    pub fn load_or_generate(
        configured: Option<&str>,
        data_dir: &Path,
    ) -> Result<Self, SecretError> {
        if let Some(text) = configured {
            return Self::parse(text, "secret_key / TRELLIS_SECRET_KEY");
        }
        let path = data_dir.join(KEY_FILE_NAME);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text, &path.display().to_string()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Self::generate_into(&path),
            Err(source) => Err(SecretError::KeyFile { action: "read", path, source }),
        }
    }

    /// Generates a key into `path` without ever overwriting one: the key is written to a private
    /// temporary file, then linked into place, which fails if another process (or task) got
    /// there first, in which case its key is the one used.
    fn generate_into(path: &Path) -> Result<Self, SecretError> {
        let file_error =
            |action, source| SecretError::KeyFile { action, path: path.to_owned(), source };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|source| file_error("create the directory of", source))?;
        }
        let (key, text) = Self::generate();
        let unique = hex::encode(Aes256Gcm::generate_nonce(&mut OsRng));
        let temporary = path.with_file_name(format!("{KEY_FILE_NAME}.{unique}.tmp"));
        write_private(&temporary, &text).map_err(|source| file_error("write", source))?;
        let linked = std::fs::hard_link(&temporary, path);
        // The temporary name goes either way; a leftover would only be an unused copy.
        let _ = std::fs::remove_file(&temporary);
        match linked {
            Ok(()) => {
                tracing::warn!(
                    path = %path.display(),
                    "generated a secret key for account credentials; production sets TRELLIS_SECRET_KEY instead"
                );
                Ok(key)
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| file_error("read", source))?;
                Self::parse(&text, &path.display().to_string())
            }
            Err(source) => Err(file_error("write", source)),
        }
    }

    /// Seals `secrets` for `account`: only this key, and only for this account, opens the result.
    pub fn seal(
        &self,
        account: AccountId,
        secrets: &AccountSecrets,
    ) -> Result<SealedSecret, SecretError> {
        let plaintext = serde_json::to_vec(secrets).map_err(|_| SecretError::Seal { account })?;
        self.seal_bytes(&account_binding(account), &plaintext).ok_or(SecretError::Seal { account })
    }

    /// Opens what [`SecretKey::seal`] sealed for `account`.
    pub fn open(
        &self,
        account: AccountId,
        sealed: &SealedSecret,
    ) -> Result<AccountSecrets, SecretError> {
        let plaintext =
            self.open_bytes(&account_binding(account), sealed).map_err(
                |failure| match failure {
                    OpenFailure::Malformed(reason) => SecretError::Malformed { account, reason },
                    OpenFailure::Inauthentic => SecretError::WrongKey { account },
                },
            )?;
        // serde's message may quote the offending value, which would be a token: say only where.
        serde_json::from_slice(&plaintext).map_err(|err| SecretError::Malformed {
            account,
            reason: format!("unreadable contents at column {}", err.column()),
        })
    }

    /// Seals the state of the connect flow `token` (a PKCE verifier, Page tokens): it opens only
    /// with this key and only for that token.
    pub fn seal_flow<T: Serialize>(
        &self,
        token: &str,
        state: &T,
    ) -> Result<SealedSecret, SecretError> {
        let sealing = || SecretError::Flow { reason: "it cannot be sealed".to_owned() };
        let plaintext = serde_json::to_vec(state).map_err(|_| sealing())?;
        self.seal_bytes(&flow_binding(token), &plaintext).ok_or_else(sealing)
    }

    /// Opens what [`SecretKey::seal_flow`] sealed for `token`.
    pub fn open_flow<T: DeserializeOwned>(
        &self,
        token: &str,
        sealed: &SealedSecret,
    ) -> Result<T, SecretError> {
        let plaintext =
            self.open_bytes(&flow_binding(token), sealed).map_err(|failure| SecretError::Flow {
                reason: match failure {
                    OpenFailure::Malformed(reason) => reason,
                    OpenFailure::Inauthentic => "it was sealed with another secret key (do all \
                                                 nodes share TRELLIS_SECRET_KEY?) or altered"
                        .to_owned(),
                },
            })?;
        serde_json::from_slice(&plaintext).map_err(|err| SecretError::Flow {
            reason: format!("unreadable contents at column {}", err.column()),
        })
    }

    /// `v1:<base64(nonce || ciphertext)>` of `plaintext` bound to `aad`; `None` only beyond
    /// AES-GCM's length limit.
    fn seal_bytes(&self, aad: &[u8], plaintext: &[u8]) -> Option<SealedSecret> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = self.cipher.encrypt(&nonce, Payload { msg: plaintext, aad }).ok()?;
        let mut blob = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ciphertext);
        Some(SealedSecret(format!("{SEALED_V1}{}", STANDARD.encode(blob))))
    }

    fn open_bytes(&self, aad: &[u8], sealed: &SealedSecret) -> Result<Vec<u8>, OpenFailure> {
        let Some(encoded) = sealed.0.strip_prefix(SEALED_V1) else {
            let version = sealed.0.split_once(':').map_or("none", |(version, _)| version);
            return Err(OpenFailure::Malformed(format!(
                "unknown format version {version:?}, this build reads v1"
            )));
        };
        let malformed = |reason: &str| OpenFailure::Malformed(reason.to_owned());
        let blob = STANDARD.decode(encoded).map_err(|_| malformed("not base64"))?;
        if blob.len() <= NONCE_LEN {
            return Err(malformed("too short to hold a nonce and a ciphertext"));
        }
        let (nonce, ciphertext) = blob.split_at(NONCE_LEN);
        self.cipher
            .decrypt(nonce.into(), Payload { msg: ciphertext, aad })
            .map_err(|_| OpenFailure::Inauthentic)
    }
}

/// Why sealed bytes did not open.
enum OpenFailure {
    /// Not a sealed value this build reads.
    Malformed(String),
    /// Authentication failed: another key, altered, or bound to something else.
    Inauthentic,
}

/// Binds a sealed value to one account (and to the format version).
fn account_binding(account: AccountId) -> Vec<u8> {
    format!("trellis:v1:account:{account}").into_bytes()
}

/// Binds a connect flow's sealed state to its token, so no flow's state opens under another's.
fn flow_binding(token: &str) -> Vec<u8> {
    format!("trellis:v1:connect-flow:{token}").into_bytes()
}

/// Writes `text` to a new file only its owner can read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use chrono::TimeZone;

    fn secrets() -> AccountSecrets {
        AccountSecrets {
            access_token: "access-7f3a".into(),
            refresh_token: Some("refresh-91bc".into()),
            expires_at: Some(Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).unwrap()),
            api_username: None,
        }
    }

    #[test]
    fn sealed_credentials_open_to_what_was_sealed_and_show_no_token() {
        let (key, _) = SecretKey::generate();
        let sealed = key.seal(AccountId(7), &secrets()).unwrap();
        assert!(sealed.0.starts_with("v1:"));
        assert!(!sealed.0.contains("access-7f3a") && !sealed.0.contains("refresh-91bc"));
        assert_eq!(key.open(AccountId(7), &sealed).unwrap(), secrets());
    }

    #[test]
    fn sealing_twice_uses_a_fresh_nonce() {
        let (key, _) = SecretKey::generate();
        let first = key.seal(AccountId(1), &secrets()).unwrap();
        let second = key.seal(AccountId(1), &secrets()).unwrap();
        assert_ne!(first, second);
    }

    #[test]
    fn another_key_cannot_open_and_the_error_names_the_likely_cause() {
        let (key, _) = SecretKey::generate();
        let (other, _) = SecretKey::generate();
        let sealed = key.seal(AccountId(3), &secrets()).unwrap();
        let err = other.open(AccountId(3), &sealed).unwrap_err();
        assert!(matches!(err, SecretError::WrongKey { account: AccountId(3) }));
        let message = err.to_string();
        assert!(message.contains("TRELLIS_SECRET_KEY"), "{message}");
        assert!(!message.contains("access-7f3a"));
    }

    #[test]
    fn a_tampered_ciphertext_is_refused() {
        let (key, _) = SecretKey::generate();
        let sealed = key.seal(AccountId(3), &secrets()).unwrap();
        let mut blob = STANDARD.decode(&sealed.0[3..]).unwrap();
        let last = blob.len() - 1;
        blob[last] ^= 0x01;
        let tampered = SealedSecret(format!("v1:{}", STANDARD.encode(blob)));
        assert!(matches!(key.open(AccountId(3), &tampered), Err(SecretError::WrongKey { .. })));
    }

    #[test]
    fn a_blob_sealed_for_one_account_does_not_open_for_another() {
        let (key, _) = SecretKey::generate();
        let sealed = key.seal(AccountId(1), &secrets()).unwrap();
        assert!(matches!(key.open(AccountId(2), &sealed), Err(SecretError::WrongKey { .. })));
    }

    #[test]
    fn an_unknown_format_version_is_malformed_not_a_wrong_key() {
        let (key, _) = SecretKey::generate();
        let err = key.open(AccountId(1), &SealedSecret("v9:AAAA".into())).unwrap_err();
        assert!(err.to_string().contains("\"v9\""), "{err}");
        let err = key.open(AccountId(1), &SealedSecret("v1:!!".into())).unwrap_err();
        assert!(matches!(err, SecretError::Malformed { .. }));
    }

    #[test]
    fn a_key_parses_from_base64_or_hex_and_the_same_bytes_open_each_other() {
        let bytes: Vec<u8> = (0u8..32).collect();
        let from_base64 = SecretKey::parse(&STANDARD.encode(&bytes), "test").unwrap();
        let from_hex = SecretKey::parse(&format!(" {} ", hex::encode(&bytes)), "test").unwrap();
        let sealed = from_base64.seal(AccountId(5), &secrets()).unwrap();
        assert_eq!(from_hex.open(AccountId(5), &sealed).unwrap(), secrets());
    }

    #[test]
    fn a_key_of_the_wrong_length_or_alphabet_is_refused_clearly() {
        let short =
            SecretKey::parse(&STANDARD.encode([1u8; 16]), "TRELLIS_SECRET_KEY").unwrap_err();
        assert!(short.to_string().contains("got 16 bytes"), "{short}");
        assert!(short.to_string().contains("TRELLIS_SECRET_KEY"), "{short}");
        let garbage = SecretKey::parse("not a key at all", "test").unwrap_err();
        assert!(garbage.to_string().contains("base64 or 64 hex"), "{garbage}");
    }

    #[test]
    fn an_unconfigured_key_is_generated_once_into_the_data_dir_privately() {
        let dir = tempfile::tempdir().unwrap();
        let first = SecretKey::load_or_generate(None, dir.path()).unwrap();
        let sealed = first.seal(AccountId(9), &secrets()).unwrap();
        let again = SecretKey::load_or_generate(None, dir.path()).unwrap();
        assert_eq!(again.open(AccountId(9), &sealed).unwrap(), secrets());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                std::fs::metadata(dir.path().join(KEY_FILE_NAME)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn keys_generated_at_once_by_several_threads_are_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let keys: Vec<SecretKey> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| SecretKey::load_or_generate(None, dir.path()).unwrap()))
                .collect();
            handles.into_iter().map(|handle| handle.join().unwrap()).collect()
        });
        let sealed = keys[0].seal(AccountId(4), &secrets()).unwrap();
        for key in &keys {
            assert_eq!(key.open(AccountId(4), &sealed).unwrap(), secrets());
        }
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "only secret.key remains");
    }

    #[test]
    fn a_configured_key_wins_over_the_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let generated = SecretKey::load_or_generate(None, dir.path()).unwrap();
        let configured = STANDARD.encode([7u8; 32]);
        let key = SecretKey::load_or_generate(Some(&configured), dir.path()).unwrap();
        let sealed = key.seal(AccountId(1), &secrets()).unwrap();
        assert!(generated.open(AccountId(1), &sealed).is_err());
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let (key, _) = SecretKey::generate();
        let shown = format!("{key:?} {:?}", secrets());
        assert!(!shown.contains("access-7f3a") && !shown.contains("refresh-91bc"), "{shown}");
    }
}
