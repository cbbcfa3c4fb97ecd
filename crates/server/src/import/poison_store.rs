//! A store that refuses, as invalid, any ingest batch holding a message whose text contains
//! "poison", and passes everything else to a real store: the import's fallback from whole batches
//! to single lines needs a store that refuses some messages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use async_trait::async_trait;
use std::sync::Arc;
use trellis_core::*;

pub struct PoisonStore(pub Arc<dyn Store>);

#[async_trait]
impl Store for PoisonStore {
    async fn ingest(&self, batch: IngestBatch) -> StoreResult<IngestOutcome> {
        if batch.messages.iter().any(|m| m.text.contains("poison")) {
            return Err(StoreError::Invalid("poisoned message".into()));
        }
        self.0.ingest(batch).await
    }

    fn backend(&self) -> Backend {
        self.0.backend()
    }
    async fn migrate(&self) -> StoreResult<()> {
        self.0.migrate().await
    }
    async fn ping(&self) -> StoreResult<()> {
        self.0.ping().await
    }
    async fn create_brand(&self, name: &str) -> StoreResult<Brand> {
        self.0.create_brand(name).await
    }
    async fn list_brands(&self) -> StoreResult<Vec<Brand>> {
        self.0.list_brands().await
    }
    async fn create_account(&self, account: NewAccount) -> StoreResult<Account> {
        self.0.create_account(account).await
    }
    async fn get_account(&self, id: AccountId) -> StoreResult<Account> {
        self.0.get_account(id).await
    }
    async fn list_accounts(&self) -> StoreResult<Vec<Account>> {
        self.0.list_accounts().await
    }
    async fn create_user(&self, user: NewUser) -> StoreResult<User> {
        self.0.create_user(user).await
    }
    async fn get_user(&self, id: UserId) -> StoreResult<User> {
        self.0.get_user(id).await
    }
    async fn list_users(&self) -> StoreResult<Vec<User>> {
        self.0.list_users().await
    }
    async fn create_team(&self, name: &str) -> StoreResult<Team> {
        self.0.create_team(name).await
    }
    async fn list_teams(&self) -> StoreResult<Vec<Team>> {
        self.0.list_teams().await
    }
    async fn add_team_member(&self, team: TeamId, user: UserId) -> StoreResult<()> {
        self.0.add_team_member(team, user).await
    }
    async fn team_members(&self, team: TeamId) -> StoreResult<Vec<UserId>> {
        self.0.team_members(team).await
    }
    async fn cursor(&self, account: AccountId, stream: &str) -> StoreResult<Option<String>> {
        self.0.cursor(account, stream).await
    }
    async fn get_message(&self, id: MessageId) -> StoreResult<Message> {
        self.0.get_message(id).await
    }
    async fn conversation_messages(&self, id: ConversationId) -> StoreResult<Vec<Message>> {
        self.0.conversation_messages(id).await
    }
    async fn get_contact(&self, id: ContactId) -> StoreResult<Contact> {
        self.0.get_contact(id).await
    }
    async fn get_conversation(&self, id: ConversationId) -> StoreResult<Conversation> {
        self.0.get_conversation(id).await
    }
    async fn list_conversations(
        &self,
        filter: &ConversationFilter,
    ) -> StoreResult<ConversationPage> {
        self.0.list_conversations(filter).await
    }
    async fn message_count(&self) -> StoreResult<u64> {
        self.0.message_count().await
    }
    async fn update_conversation(
        &self,
        id: ConversationId,
        patch: ConversationPatch,
    ) -> StoreResult<Conversation> {
        self.0.update_conversation(id, patch).await
    }
    async fn link_contact(
        &self,
        contact: ContactId,
        person: Option<PersonId>,
    ) -> StoreResult<Person> {
        self.0.link_contact(contact, person).await
    }
    async fn person_contacts(&self, person: PersonId) -> StoreResult<Vec<Contact>> {
        self.0.person_contacts(person).await
    }
    async fn changes_since(&self, after: Seq, limit: u32) -> StoreResult<Vec<Change>> {
        self.0.changes_since(after, limit).await
    }
    async fn latest_seq(&self) -> StoreResult<Seq> {
        self.0.latest_seq().await
    }
    async fn index_docs(&self, messages: &[MessageId]) -> StoreResult<Vec<IndexDoc>> {
        self.0.index_docs(messages).await
    }
    async fn conversation_index_docs(
        &self,
        conversations: &[ConversationId],
    ) -> StoreResult<Vec<IndexDoc>> {
        self.0.conversation_index_docs(conversations).await
    }
    async fn scan_index_docs(&self, after: MessageId, limit: u32) -> StoreResult<Vec<IndexDoc>> {
        self.0.scan_index_docs(after, limit).await
    }
}
