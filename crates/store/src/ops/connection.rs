//! Accounts at work: credentials, health, leases, ingest errors and the outbox.
//!
//! The trait for a backend: each method forwards to the shared implementation in
//! `accounts_state.rs` or `outbox.rs`.

macro_rules! connection_ops {
    () => {
        #[async_trait::async_trait]
        impl trellis_core::ConnectionStore for This {
            async fn find_account(
                &self,
                channel: trellis_core::Channel,
                platform_account_id: &str,
            ) -> StoreResult<Option<trellis_core::Account>> {
                self.find_account_impl(channel, platform_account_id).await
            }

            async fn create_account_with_credentials(
                &self,
                account: trellis_core::NewAccount,
                seal: trellis_core::connection::SealFor<'_>,
                expires_at: Option<chrono::DateTime<chrono::Utc>>,
            ) -> StoreResult<trellis_core::Account> {
                self.create_account_with_credentials_impl(account, seal, expires_at).await
            }

            async fn delete_account(&self, account: AccountId) -> StoreResult<()> {
                self.delete_account_impl(account).await
            }

            async fn set_credentials(
                &self,
                account: AccountId,
                sealed: SealedSecret,
                expires_at: Option<chrono::DateTime<chrono::Utc>>,
            ) -> StoreResult<()> {
                self.set_credentials_impl(account, sealed, expires_at).await
            }

            async fn credentials(
                &self,
                account: AccountId,
            ) -> StoreResult<Option<StoredCredentials>> {
                self.credentials_impl(account).await
            }

            async fn set_account_status(
                &self,
                account: AccountId,
                status: AccountStatus,
                reason: Option<String>,
            ) -> StoreResult<()> {
                self.set_account_status_impl(account, status, reason).await
            }

            async fn account_health(&self, account: AccountId) -> StoreResult<AccountHealth> {
                self.account_health_impl(account).await
            }

            async fn list_account_health(&self) -> StoreResult<Vec<AccountHealth>> {
                self.list_account_health_impl().await
            }

            async fn record_poll(&self, account: AccountId, report: PollReport) -> StoreResult<()> {
                self.record_poll_impl(account, report).await
            }

            async fn acquire_lease(
                &self,
                account: AccountId,
                owner: &str,
                now: chrono::DateTime<chrono::Utc>,
                ttl: chrono::Duration,
            ) -> StoreResult<bool> {
                self.acquire_lease_impl(account, owner, now, ttl).await
            }

            async fn release_lease(&self, account: AccountId, owner: &str) -> StoreResult<()> {
                self.release_lease_impl(account, owner).await
            }

            async fn record_ingest_error(&self, error: NewIngestError) -> StoreResult<IngestError> {
                self.record_ingest_error_impl(error).await
            }

            async fn ingest_errors(
                &self,
                account: AccountId,
                limit: u32,
            ) -> StoreResult<Vec<IngestError>> {
                self.ingest_errors_impl(account, limit).await
            }

            async fn enqueue_outbound(&self, item: NewOutboxItem) -> StoreResult<OutboxItem> {
                self.enqueue_outbound_impl(item).await
            }

            async fn claim_outbound(
                &self,
                owner: &str,
                now: chrono::DateTime<chrono::Utc>,
                claim_for: chrono::Duration,
                limit: u32,
            ) -> StoreResult<Vec<OutboxItem>> {
                self.claim_outbound_impl(owner, now, claim_for, limit).await
            }

            async fn complete_outbound(
                &self,
                id: OutboxId,
                owner: &str,
                result: OutboxResult,
                now: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<OutboxItem> {
                self.complete_outbound_impl(id, owner, result, now).await
            }

            async fn get_outbound(&self, id: OutboxId) -> StoreResult<OutboxItem> {
                self.get_outbound_impl(id).await
            }

            async fn list_outbound(&self, filter: &OutboxFilter) -> StoreResult<Vec<OutboxItem>> {
                self.list_outbound_impl(filter).await
            }

            async fn next_outbound_due(
                &self,
            ) -> StoreResult<Option<chrono::DateTime<chrono::Utc>>> {
                self.next_outbound_due_impl().await
            }

            async fn put_connect_flow(&self, flow: trellis_core::ConnectFlow) -> StoreResult<()> {
                self.put_connect_flow_impl(flow).await
            }

            async fn take_connect_flow(
                &self,
                kind: &str,
                token: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<Option<SealedSecret>> {
                self.take_connect_flow_impl(kind, token, now).await
            }
        }
    };
}
pub(crate) use connection_ops;
