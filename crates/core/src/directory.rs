//! Who and what trellis serves: brands, their connected accounts, users, teams and persons.

use crate::enums::{Channel, Role};
use crate::ids::{AccountId, BrandId, PersonId, TeamId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The accounts one team serves. A deployment may serve several brands, as agencies do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Brand {
    pub id: BrandId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// A brand's connected account on one platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub brand_id: BrandId,
    pub channel: Channel,
    /// The account's own id on the platform (X user id, Page id, Discourse username).
    pub platform_account_id: String,
    /// What agents see: `@acme`, `Acme Coffee (Page)`, `forum.acme.com`.
    pub display_name: String,
    /// The platform's API base URL; configuration, never a constant.
    pub base_url: String,
    pub created_at: DateTime<Utc>,
}

/// An account to connect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccount {
    pub brand_id: BrandId,
    pub channel: Channel,
    pub platform_account_id: String,
    pub display_name: String,
    pub base_url: String,
}

/// A trellis user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    /// When an admin deactivated the user; `None` while the user is active. A deactivated user
    /// keeps their history and assignments but can neither sign in nor use a token.
    pub deactivated_at: Option<DateTime<Utc>>,
}

impl User {
    /// Whether the user may sign in and act.
    pub fn is_active(&self) -> bool {
        self.deactivated_at.is_none()
    }
}

/// A user to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// A team of users that conversations are routed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// One human behind several contacts, so their whole history shows in one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: PersonId,
    pub display_name: Option<String>,
    pub created_at: DateTime<Utc>,
}
