//! The `Store` trait for a backend: each method forwards to the shared implementation.

macro_rules! store_impl {
    () => {
        #[async_trait::async_trait]
        impl Store for This {
            fn backend(&self) -> Backend {
                <This as crate::dialect::Dialect>::BACKEND
            }

            async fn migrate(&self) -> StoreResult<()> {
                self.migrate_impl().await
            }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("select 1").execute(self.reader()).await.db().map(|_| ())
            }

            async fn create_brand(&self, name: &str) -> StoreResult<Brand> {
                self.create_brand_impl(name).await
            }

            async fn list_brands(&self) -> StoreResult<Vec<Brand>> {
                self.list_brands_impl().await
            }

            async fn create_account(&self, account: NewAccount) -> StoreResult<Account> {
                self.create_account_impl(account).await
            }

            async fn get_account(&self, id: AccountId) -> StoreResult<Account> {
                self.get_account_impl(id).await
            }

            async fn list_accounts(&self) -> StoreResult<Vec<Account>> {
                self.list_accounts_impl().await
            }

            async fn create_user(&self, user: NewUser) -> StoreResult<User> {
                self.create_user_impl(user).await
            }

            async fn get_user(&self, id: UserId) -> StoreResult<User> {
                self.get_user_impl(id).await
            }

            async fn list_users(&self) -> StoreResult<Vec<User>> {
                self.list_users_impl().await
            }

            async fn create_team(&self, name: &str) -> StoreResult<Team> {
                self.create_team_impl(name).await
            }

            async fn list_teams(&self) -> StoreResult<Vec<Team>> {
                self.list_teams_impl().await
            }

            async fn add_team_member(&self, team: TeamId, user: UserId) -> StoreResult<()> {
                self.add_team_member_impl(team, user).await
            }

            async fn team_members(&self, team: TeamId) -> StoreResult<Vec<UserId>> {
                self.team_members_impl(team).await
            }

            async fn user_teams(&self, user: UserId) -> StoreResult<Vec<TeamId>> {
                self.user_teams_impl(user).await
            }

            async fn ingest(&self, batch: IngestBatch) -> StoreResult<IngestOutcome> {
                self.ingest_impl(batch).await
            }

            async fn cursor(
                &self,
                account: AccountId,
                stream: &str,
            ) -> StoreResult<Option<String>> {
                self.cursor_impl(account, stream).await
            }

            async fn get_message(&self, id: MessageId) -> StoreResult<Message> {
                self.get_message_impl(id).await
            }

            async fn conversation_messages(&self, id: ConversationId) -> StoreResult<Vec<Message>> {
                self.conversation_messages_impl(id).await
            }

            async fn get_contact(&self, id: ContactId) -> StoreResult<Contact> {
                self.get_contact_impl(id).await
            }

            async fn get_conversation(&self, id: ConversationId) -> StoreResult<Conversation> {
                self.get_conversation_impl(id).await
            }

            async fn list_conversations(
                &self,
                filter: &ConversationFilter,
            ) -> StoreResult<ConversationPage> {
                self.list_conversations_impl(filter).await
            }

            async fn message_count(&self) -> StoreResult<u64> {
                self.message_count_impl().await
            }

            async fn update_conversation(
                &self,
                id: ConversationId,
                patch: ConversationPatch,
            ) -> StoreResult<Conversation> {
                self.update_conversation_impl(id, patch).await
            }

            async fn link_contact(
                &self,
                contact: ContactId,
                person: Option<PersonId>,
            ) -> StoreResult<Person> {
                self.link_contact_impl(contact, person).await
            }

            async fn person_contacts(&self, person: PersonId) -> StoreResult<Vec<Contact>> {
                self.person_contacts_impl(person).await
            }

            async fn changes_since(&self, after: Seq, limit: u32) -> StoreResult<Vec<Change>> {
                self.changes_since_impl(after, limit).await
            }

            async fn latest_seq(&self) -> StoreResult<Seq> {
                self.latest_seq_impl().await
            }

            async fn index_docs(&self, messages: &[MessageId]) -> StoreResult<Vec<IndexDoc>> {
                self.index_docs_impl(messages).await
            }

            async fn conversation_index_docs(
                &self,
                conversations: &[ConversationId],
            ) -> StoreResult<Vec<IndexDoc>> {
                self.conversation_index_docs_impl(conversations).await
            }

            async fn scan_index_docs(
                &self,
                after: MessageId,
                limit: u32,
            ) -> StoreResult<Vec<IndexDoc>> {
                self.scan_index_docs_impl(after, limit).await
            }
        }
    };
}
pub(crate) use store_impl;
