//! Who may do what. Every service call takes the [`Principal`] acting, and every rule about roles
//! is in [`Role`]'s table here, so the REST API, the HTML pages and the CLI cannot disagree:
//!
//! | permission | agent | supervisor | admin |
//! |---|---|---|---|
//! | read and work conversations, search, reply, note, moderate | ✓ | ✓ | ✓ |
//! | read accounts' health, teams, users, rules, policies, canned replies | ✓ | ✓ | ✓ |
//! | manage teams, agents, rules, SLA policies, calendars, canned replies | | ✓ | ✓ |
//! | see everyone's figures and reports | | ✓ | ✓ |
//! | manage accounts, users and roles, brands, everyone's API tokens; read the audit log | | | ✓ |
//!
//! Everyone manages their own API tokens, sessions, password and availability.
//!
//! Agents work the conversations of the brands their teams serve ([`BrandScope`]); supervisors
//! and admins work every brand. A conversation outside an agent's brands is answered as if it did
//! not exist, so its id says nothing either.

use serde::Serialize;
use trellis_core::{Actor, BrandId, Role, Store, User, UserId};

use crate::error::ServiceError;

/// Something a role may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read conversations, messages, contacts, the search index and the directory.
    ReadInbox,
    /// Change conversations: assign, tag, status, snooze, reply, note, moderate.
    WorkConversations,
    /// Manage teams and their members, agents' capacity, rules, SLA policies, calendars and
    /// canned replies.
    ManageWorkflow,
    /// See every agent's figures, not only one's own.
    SeeEveryonesFigures,
    /// Connect, pause, resume and remove platform accounts.
    ManageAccounts,
    /// Create users, change roles, deactivate users, manage brands.
    ManageUsers,
    /// List and revoke any user's API tokens.
    ManageAllTokens,
    /// Read the audit log.
    ReadAudit,
}

impl Permission {
    /// Every permission, for tests and documentation tables.
    pub const ALL: [Permission; 8] = [
        Permission::ReadInbox,
        Permission::WorkConversations,
        Permission::ManageWorkflow,
        Permission::SeeEveryonesFigures,
        Permission::ManageAccounts,
        Permission::ManageUsers,
        Permission::ManageAllTokens,
        Permission::ReadAudit,
    ];

    /// The least role that holds this permission: roles are ordered agent < supervisor < admin
    /// and each holds everything the one below holds.
    pub fn least_role(self) -> Role {
        match self {
            Permission::ReadInbox | Permission::WorkConversations => Role::Agent,
            Permission::ManageWorkflow | Permission::SeeEveryonesFigures => Role::Supervisor,
            Permission::ManageAccounts
            | Permission::ManageUsers
            | Permission::ManageAllTokens
            | Permission::ReadAudit => Role::Admin,
        }
    }
}

/// Whether `role` holds `permission`.
pub fn role_allows(role: Role, permission: Permission) -> bool {
    role_at_least(role, permission.least_role())
}

/// Whether `role` is `least` or above.
pub fn role_at_least(role: Role, least: Role) -> bool {
    rank(role) >= rank(least)
}

fn rank(role: Role) -> u8 {
    match role {
        Role::Agent => 0,
        Role::Supervisor => 1,
        Role::Admin => 2,
    }
}

/// How a principal proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Via {
    /// A browser session.
    Session,
    /// A personal API token.
    Token { token_id: i64 },
    /// The `trellis` command line on the server itself: whoever can run it can read the data
    /// dir and the database, so it acts with every permission.
    Cli,
    /// The one-time setup link `serve` logs while no admin exists: it creates the first admin.
    Setup,
}

/// The brands whose conversations a principal works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "brands", rename_all = "snake_case")]
pub enum BrandScope {
    /// Every brand: supervisors, admins, the operator, and agents of a team that serves every
    /// brand (one that names none).
    Every,
    /// These brands only (sorted): an agent's, those their teams serve. Empty for an agent in no
    /// team, who then sees no conversation at all.
    Only(Vec<BrandId>),
}

impl BrandScope {
    /// The brands `user` works: every brand for supervisors and admins, the brands of their
    /// teams for agents.
    pub async fn of(store: &dyn Store, user: &User) -> Result<Self, ServiceError> {
        Ok(match user.role {
            Role::Agent => match store.brands_served_by(user.id).await? {
                None => BrandScope::Every,
                Some(brands) => BrandScope::Only(brands),
            },
            Role::Supervisor | Role::Admin => BrandScope::Every,
        })
    }

    /// Whether a conversation of `brand` is in scope.
    pub fn serves(&self, brand: BrandId) -> bool {
        match self {
            BrandScope::Every => true,
            BrandScope::Only(brands) => brands.binary_search(&brand).is_ok(),
        }
    }

    /// The brands a list may show when the caller asked for `asked` (empty: any): `None` when
    /// nothing can match, else the brands to filter on (empty: any).
    pub fn narrow(&self, asked: &[BrandId]) -> Option<Vec<BrandId>> {
        let brands = match self {
            BrandScope::Every => asked.to_vec(),
            BrandScope::Only(mine) if asked.is_empty() => mine.clone(),
            BrandScope::Only(_) => asked.iter().copied().filter(|b| self.serves(*b)).collect(),
        };
        match self {
            BrandScope::Only(_) if brands.is_empty() => None,
            _ => Some(brands),
        }
    }
}

/// Who is acting: a signed-in user (through a session or a token) or the operator at the CLI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// The user, `None` for the operator at the CLI.
    pub user_id: Option<UserId>,
    pub role: Role,
    pub via: Via,
    /// The network address the request came from, for the audit log.
    pub address: Option<String>,
    /// The brands this principal works. Read once when the principal is made
    /// ([`Principal::signed_in`]); a change to the teams applies from the next request.
    pub brands: BrandScope,
}

impl Principal {
    /// A user signed in through `via`, with the brands their role and teams give them: every
    /// brand for supervisors and admins, the brands of their teams for agents.
    pub async fn signed_in(store: &dyn Store, user: &User, via: Via) -> Result<Self, ServiceError> {
        let brands = BrandScope::of(store, user).await?;
        Ok(Self { user_id: Some(user.id), role: user.role, via, address: None, brands })
    }

    /// A user signed in through `via`, before their brands are read: an agent made this way
    /// works no brand (fail closed). Use [`Principal::signed_in`] to act for a real user.
    pub fn user(user: &User, via: Via) -> Self {
        let brands = match user.role {
            Role::Agent => BrandScope::Only(Vec::new()),
            Role::Supervisor | Role::Admin => BrandScope::Every,
        };
        Self { user_id: Some(user.id), role: user.role, via, address: None, brands }
    }

    /// The operator at the command line.
    pub fn operator() -> Self {
        Self {
            user_id: None,
            role: Role::Admin,
            via: Via::Cli,
            address: None,
            brands: BrandScope::Every,
        }
    }

    /// The operator at the command line acting as `user` (`--as`): recorded as that user, with
    /// that user's role, but every brand: whoever runs the CLI reads the whole database anyway.
    pub fn operator_as(user: &User) -> Self {
        Self { brands: BrandScope::Every, ..Self::user(user, Via::Cli) }
    }

    /// Whether this principal works conversations of `brand`.
    pub fn serves(&self, brand: BrandId) -> bool {
        self.brands.serves(brand)
    }

    pub fn may(&self, permission: Permission) -> bool {
        role_allows(self.role, permission)
    }

    /// `Ok` when this principal holds `permission`, else a `Forbidden` error naming the role
    /// needed.
    pub fn require(&self, permission: Permission) -> Result<(), ServiceError> {
        if self.may(permission) {
            return Ok(());
        }
        Err(ServiceError::Forbidden(format!(
            "this needs the {} role or above; you are {}",
            permission.least_role(),
            self.role
        )))
    }

    /// Whether this principal is `user`.
    pub fn is(&self, user: UserId) -> bool {
        self.user_id == Some(user)
    }

    /// How the timeline and the outbox record this principal.
    pub fn actor(&self) -> Actor {
        match self.user_id {
            Some(id) => Actor::User { id },
            None => Actor::System,
        }
    }

    /// How the audit log names this principal: `user:3`, `user:3 token:7`, `cli`.
    pub fn audit_label(&self) -> String {
        match (self.user_id, self.via) {
            (Some(user), Via::Token { token_id }) => format!("user:{user} token:{token_id}"),
            (Some(user), _) => format!("user:{user}"),
            (None, Via::Setup) => "setup".to_owned(),
            (None, _) => "cli".to_owned(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn user(id: i64, role: Role) -> User {
        User {
            id: UserId(id),
            email: format!("user{id}@example.com"),
            name: format!("User {id}"),
            role,
            created_at: chrono::Utc::now(),
            deactivated_at: None,
        }
    }

    #[test]
    fn each_role_holds_what_the_role_below_holds() {
        for permission in Permission::ALL {
            if role_allows(Role::Agent, permission) {
                assert!(role_allows(Role::Supervisor, permission), "{permission:?}");
            }
            if role_allows(Role::Supervisor, permission) {
                assert!(role_allows(Role::Admin, permission), "{permission:?}");
            }
        }
    }

    #[test]
    fn agents_work_conversations_but_manage_nothing() {
        assert!(role_allows(Role::Agent, Permission::WorkConversations));
        assert!(!role_allows(Role::Agent, Permission::ManageWorkflow));
        assert!(!role_allows(Role::Agent, Permission::ManageAccounts));
    }

    #[test]
    fn supervisors_manage_workflow_but_not_accounts_users_or_the_audit_log() {
        assert!(role_allows(Role::Supervisor, Permission::ManageWorkflow));
        assert!(role_allows(Role::Supervisor, Permission::SeeEveryonesFigures));
        for permission in
            [Permission::ManageAccounts, Permission::ManageUsers, Permission::ReadAudit]
        {
            assert!(!role_allows(Role::Supervisor, permission), "{permission:?}");
        }
    }

    #[test]
    fn a_refusal_names_the_role_needed() {
        let agent = Principal::user(&user(4, Role::Agent), Via::Session);
        let error = agent.require(Permission::ManageUsers).unwrap_err().to_string();
        assert!(error.contains("admin") && error.contains("agent"), "{error}");
        assert!(agent.require(Permission::WorkConversations).is_ok());
    }

    #[test]
    fn agents_work_their_teams_brands_and_the_others_every_brand() {
        let scope = BrandScope::Only(vec![BrandId(2), BrandId(5)]);
        assert!(scope.serves(BrandId(5)) && !scope.serves(BrandId(3)));
        assert_eq!(scope.narrow(&[]), Some(vec![BrandId(2), BrandId(5)]));
        assert_eq!(scope.narrow(&[BrandId(3), BrandId(5)]), Some(vec![BrandId(5)]));
        assert_eq!(scope.narrow(&[BrandId(3)]), None);
        assert_eq!(BrandScope::Only(vec![]).narrow(&[]), None);
        assert_eq!(BrandScope::Every.narrow(&[]), Some(vec![]));
        assert_eq!(BrandScope::Every.narrow(&[BrandId(3)]), Some(vec![BrandId(3)]));
        let agent = Principal::user(&user(4, Role::Agent), Via::Session);
        assert!(!agent.serves(BrandId(1)), "an agent whose teams were not read serves nothing");
        assert!(Principal::user(&user(5, Role::Supervisor), Via::Session).serves(BrandId(1)));
    }

    #[test]
    fn the_audit_label_says_how_the_principal_signed_in() {
        let by_token = Principal::user(&user(3, Role::Admin), Via::Token { token_id: 7 });
        assert_eq!(by_token.audit_label(), "user:3 token:7");
        assert_eq!(Principal::operator().audit_label(), "cli");
        assert_eq!(Principal::operator().actor(), Actor::System);
    }
}
