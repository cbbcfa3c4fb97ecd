//! Who can sign in to the demo: an admin beside the team's people, each with a password, and an
//! API token of the admin's for the README's curl examples. The passwords and the token are made
//! on the first run and kept in `demo-credentials.json` in the demo's data dir (readable by its
//! owner only), so a restarted demo prints the same ones; whatever no longer works there (a
//! password changed in the inbox, a revoked token) is made anew.

use super::seed::PEOPLE;
use anyhow::Context;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use trellis_app::identity::{passwords, secrets, tokens, users};
use trellis_app::Principal;
use trellis_core::{NewUser, Role, Store};

const CREDENTIALS_FILE: &str = "demo-credentials.json";
pub const ADMIN: (&str, &str) = ("Alex Admin", "admin@acme-coffee.example");

/// One person's sign-in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignIn {
    pub name: String,
    pub email: String,
    pub role: Role,
    pub password: String,
}

/// The demo's sign-ins and the admin's API token.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Credentials {
    pub people: Vec<SignIn>,
    pub token: String,
}

/// The admin (created when missing), a working password for every demo person, and a working
/// API token of the admin's.
pub async fn credentials(store: &Arc<dyn Store>, dir: &Path) -> anyhow::Result<Credentials> {
    let path = dir.join(CREDENTIALS_FILE);
    let mut kept: Credentials = std::fs::read(&path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let operator = Principal::operator();
    let (store_ref, now) = (store.as_ref(), Utc::now());
    if store.find_user_by_email(ADMIN.1).await?.is_none() {
        let admin = NewUser { name: ADMIN.0.into(), email: ADMIN.1.into(), role: Role::Admin };
        store.create_user(admin).await.context("cannot create the demo admin")?;
    }
    let everyone = std::iter::once((ADMIN.0, ADMIN.1, Role::Admin))
        .chain(PEOPLE.iter().map(|(name, email, role, _)| (*name, *email, *role)));
    let mut people = Vec::new();
    for (name, email, role) in everyone {
        let Some(user) = store.find_user_by_email(email).await? else { continue };
        let known = kept.people.iter().find(|person| person.email == email);
        let hash = store.user_password_hash(user.id).await?;
        let works = match (known, &hash) {
            (Some(person), Some(hash)) => passwords::verify(&person.password, hash).await,
            _ => false,
        };
        let password = match known {
            Some(person) if works => person.password.clone(),
            _ => {
                let password = format!("demo-{}", &secrets::random_secret()[..16]);
                users::set_password(store_ref, &operator, user.id, &password).await?;
                password
            }
        };
        people.push(SignIn { name: name.into(), email: email.into(), role, password });
    }
    if kept.token.is_empty()
        || trellis_app::identity::sessions::token_for(store_ref, &kept.token, now).await?.is_none()
    {
        let admin = store.find_user_by_email(ADMIN.1).await?.context("the demo admin is gone")?;
        kept.token = tokens::create(store_ref, &operator, admin.id, "demo", None).await?.secret;
    }
    let credentials = Credentials { people, token: kept.token };
    write_private(&path, &serde_json::to_vec_pretty(&credentials)?)?;
    Ok(credentials)
}

/// Writes `bytes` to `path`, readable and writable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file =
        options.open(path).with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(bytes).with_context(|| format!("cannot write {}", path.display()))
}
