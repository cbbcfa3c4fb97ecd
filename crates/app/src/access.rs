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

use serde::Serialize;
use trellis_core::{Actor, Role, User, UserId};

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

/// Who is acting: a signed-in user (through a session or a token) or the operator at the CLI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// The user, `None` for the operator at the CLI.
    pub user_id: Option<UserId>,
    pub role: Role,
    pub via: Via,
    /// The network address the request came from, for the audit log.
    pub address: Option<String>,
}

impl Principal {
    /// A user signed in through `via`.
    pub fn user(user: &User, via: Via) -> Self {
        Self { user_id: Some(user.id), role: user.role, via, address: None }
    }

    /// The operator at the command line.
    pub fn operator() -> Self {
        Self { user_id: None, role: Role::Admin, via: Via::Cli, address: None }
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
    fn the_audit_label_says_how_the_principal_signed_in() {
        let by_token = Principal::user(&user(3, Role::Admin), Via::Token { token_id: 7 });
        assert_eq!(by_token.audit_label(), "user:3 token:7");
        assert_eq!(Principal::operator().audit_label(), "cli");
        assert_eq!(Principal::operator().actor(), Actor::System);
    }
}
