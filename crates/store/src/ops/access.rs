//! `AccessStore` for a backend (migration 0006): each method forwards to the file that implements
//! it: `access/users.rs` (passwords, roles, deactivation, team membership), `access/brands.rs`
//! (the brands teams serve), `access/sessions.rs`,
//! `access/tokens.rs`, `access/audit.rs` (the audit log and the sign-in throttle); their pure
//! rules are in `access/rules.rs`.

pub(crate) mod audit;
pub(crate) mod brands;
pub(crate) mod rules;
pub(crate) mod sessions;
pub(crate) mod tokens;
pub(crate) mod users;

pub(crate) const TOUCH_SESSION_SQL: &str = include_str!("../sql/touch_session.sql");

macro_rules! access_ops {
    () => {
        $crate::ops::access::users::user_access_ops!();
        $crate::ops::access::sessions::session_ops!();
        $crate::ops::access::tokens::api_token_ops!();
        $crate::ops::access::audit::audit_ops!();
        $crate::ops::access::brands::team_brand_ops!();

        impl This {
            /// The database's plan for each lookup of the sign-in tables (a session or a token by
            /// its hash, a user's sessions, the expired ones, audit pages, a key's failures), by
            /// name, one line per plan row.
            pub async fn explain_access_lookups(
                &self,
            ) -> StoreResult<Vec<(&'static str, Vec<String>)>> {
                use crate::ops::access::rules;
                use crate::ops::workflow::ExplainBind::{Int, Text};
                let page = AuditFilter { before_id: Some(AuditId(50)), ..Default::default() };
                let by_entity = AuditFilter { entity: Some("user".into()), ..page.clone() };
                let lookups = [
                    ("session by hash", rules::session_by_hash_sql(), vec![Text("h")]),
                    ("user sessions", rules::user_sessions_sql(), vec![Int(1)]),
                    (
                        "expired sessions",
                        format!("select id_hash from sessions {}", rules::EXPIRED_SESSIONS_WHERE),
                        vec![Int(0)],
                    ),
                    ("token by hash", rules::token_by_hash_sql(), vec![Text("h")]),
                    ("audit page", rules::audit_sql(&page), vec![Int(50), Int(20)]),
                    (
                        "audit by entity",
                        rules::audit_sql(&by_entity),
                        vec![Int(50), Text("user"), Int(20)],
                    ),
                    (
                        "login failures",
                        rules::LOGIN_FAILURES_SQL.to_owned(),
                        vec![Text("k"), Int(0)],
                    ),
                ];
                let mut plans = Vec::with_capacity(lookups.len());
                for (name, sql, binds) in lookups {
                    plans.push((name, self.explain_lines(&sql, &binds).await?));
                }
                Ok(plans)
            }
        }

        #[async_trait::async_trait]
        impl trellis_core::AccessStore for This {
            async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
                self.find_user_by_email_impl(email).await
            }

            async fn user_password_hash(&self, user: UserId) -> StoreResult<Option<String>> {
                self.user_password_hash_impl(user).await
            }

            async fn set_password_hash(
                &self,
                user: UserId,
                hash: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<()> {
                self.set_password_hash_impl(user, hash, at).await
            }

            async fn set_user_role(&self, user: UserId, role: Role) -> StoreResult<User> {
                self.set_user_role_impl(user, role).await
            }

            async fn set_user_name(&self, user: UserId, name: &str) -> StoreResult<User> {
                self.set_user_name_impl(user, name).await
            }

            async fn deactivate_user(
                &self,
                user: UserId,
                at: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<User> {
                self.deactivate_user_impl(user, at).await
            }

            async fn reactivate_user(&self, user: UserId) -> StoreResult<User> {
                self.reactivate_user_impl(user).await
            }

            async fn count_active_admins(&self) -> StoreResult<u64> {
                self.count_active_admins_impl().await
            }

            async fn remove_team_member(&self, team: TeamId, user: UserId) -> StoreResult<()> {
                self.remove_team_member_impl(team, user).await
            }

            async fn set_team_brands(
                &self,
                team: TeamId,
                brands: &[BrandId],
            ) -> StoreResult<Vec<BrandId>> {
                self.set_team_brands_impl(team, brands).await
            }

            async fn team_brands(&self, team: TeamId) -> StoreResult<Vec<BrandId>> {
                self.team_brands_impl(team).await
            }

            async fn brands_served_by(&self, user: UserId) -> StoreResult<Option<Vec<BrandId>>> {
                self.brands_served_by_impl(user).await
            }

            async fn create_session(&self, session: NewSession) -> StoreResult<Session> {
                self.create_session_impl(session).await
            }

            async fn touch_session(
                &self,
                id_hash: &str,
                now: chrono::DateTime<chrono::Utc>,
                idle_expires_at: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<Option<SessionWithUser>> {
                self.touch_session_impl(id_hash, now, idle_expires_at).await
            }

            async fn delete_session(&self, id_hash: &str) -> StoreResult<bool> {
                self.delete_session_impl(id_hash).await
            }

            async fn delete_user_sessions(
                &self,
                user: UserId,
                except: Option<&str>,
            ) -> StoreResult<u64> {
                self.delete_user_sessions_impl(user, except).await
            }

            async fn list_user_sessions(&self, user: UserId) -> StoreResult<Vec<Session>> {
                self.list_user_sessions_impl(user).await
            }

            async fn sweep_expired_sessions(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<u64> {
                self.sweep_expired_sessions_impl(now).await
            }

            async fn create_api_token(&self, token: NewApiToken) -> StoreResult<ApiToken> {
                self.create_api_token_impl(token).await
            }

            async fn api_tokens(&self, user: Option<UserId>) -> StoreResult<Vec<ApiToken>> {
                self.api_tokens_impl(user).await
            }

            async fn get_api_token(&self, id: ApiTokenId) -> StoreResult<ApiToken> {
                self.get_api_token_impl(id).await
            }

            async fn revoke_api_token(
                &self,
                id: ApiTokenId,
                at: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<ApiToken> {
                self.revoke_api_token_impl(id, at).await
            }

            async fn authenticate_api_token(
                &self,
                token_hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<Option<(ApiToken, User)>> {
                self.authenticate_api_token_impl(token_hash, now).await
            }

            async fn record_audit(&self, entry: NewAuditEntry) -> StoreResult<AuditEntry> {
                self.record_audit_impl(entry).await
            }

            async fn audit_log(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditEntry>> {
                self.audit_log_impl(filter).await
            }

            async fn record_login_failure(
                &self,
                key: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<()> {
                self.record_login_failure_impl(key, at).await
            }

            async fn login_failures(
                &self,
                key: &str,
                since: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<LoginFailures> {
                self.login_failures_impl(key, since).await
            }

            async fn clear_login_failures(&self, key: &str) -> StoreResult<()> {
                self.clear_login_failures_impl(key).await
            }

            async fn sweep_login_failures(
                &self,
                older_than: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<u64> {
                self.sweep_login_failures_impl(older_than).await
            }
        }
    };
}
pub(crate) use access_ops;
