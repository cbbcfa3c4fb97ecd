//! The same scenario on a real store through the real `Assigner`, observed through the store's
//! own answers (`agent_states`, `assignment_queue`).

use super::{AgentView, Event, Observed, Scenario, Step};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;
use trellis_core::{
    Account, Actor, Availability, Channel, ConversationId, ConversationPatch, ConversationStatus,
    Direction, IngestBatch, MessageKind, NewAccount, NewContact, NewMessage, NewUser, PlatformId,
    Role, Store, TeamId, TeamSettings, UserId,
};
use trellis_triage::assign::Assigner;

/// A migrated store on a temp SQLite file; the file goes when this is dropped.
pub struct TempStore {
    pub store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

pub async fn sqlite() -> TempStore {
    let dir = tempfile::tempdir().unwrap();
    let url = trellis_store::testing::temp_sqlite_url(dir.path());
    let store = trellis_store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    TempStore { store, _dir: dir }
}

pub async fn account(store: &dyn Store) -> Account {
    let brand = store.create_brand("Acme").await.unwrap();
    let account = NewAccount {
        brand_id: brand.id,
        channel: Channel::X,
        platform_account_id: "acme".to_owned(),
        display_name: "@acme".to_owned(),
        base_url: "http://127.0.0.1:1".to_owned(),
    };
    store.create_account(account).await.unwrap()
}

pub async fn agent(store: &dyn Store, name: &str) -> UserId {
    let user =
        NewUser { email: format!("{name}@acme.test"), name: name.to_owned(), role: Role::Agent };
    store.create_user(user).await.unwrap().id
}

/// A new conversation: one mention by its own customer, written at `at`.
pub async fn conversation(
    store: &dyn Store,
    account: &Account,
    n: usize,
    at: DateTime<Utc>,
) -> ConversationId {
    let message = NewMessage {
        platform_id: PlatformId::parse(&format!("m{n}")).unwrap(),
        kind: MessageKind::Mention,
        direction: Direction::Inbound,
        author: NewContact {
            platform_id: PlatformId::parse(&format!("customer-{n}")).unwrap(),
            handle: None,
            display_name: None,
            follower_count: None,
            verified: false,
        },
        parent_platform_id: None,
        thread_platform_id: None,
        thread_title: None,
        text: format!("help with order {n}"),
        lang: None,
        raw: serde_json::Value::Null,
        created_at: at,
        deleted_at: None,
    };
    let batch = IngestBatch { account_id: account.id, messages: vec![message], cursors: vec![] };
    store.ingest(batch).await.unwrap().conversations[0]
}

pub struct StoredWorld {
    _temp: TempStore,
    store: Arc<dyn Store>,
    assigner: Assigner,
    account: Account,
    users: Vec<UserId>,
    teams: Vec<TeamId>,
    agent_of: HashMap<UserId, usize>,
    conversations: Vec<ConversationId>,
    index_of: HashMap<ConversationId, usize>,
}

impl StoredWorld {
    pub async fn new(scenario: &Scenario) -> Self {
        let temp = sqlite().await;
        let store = temp.store.clone();
        let account = account(&*store).await;
        let mut users = Vec::new();
        for (i, spec) in scenario.agents.iter().enumerate() {
            let user = agent(&*store, &format!("agent{i}")).await;
            store.set_capacity(user, Some(spec.capacity)).await.unwrap();
            // Through online so `since` is the scenario's start, as in the model.
            store.set_availability(user, Availability::Online, scenario.start).await.unwrap();
            store.set_availability(user, spec.initial, scenario.start).await.unwrap();
            users.push(user);
        }
        let mut teams = Vec::new();
        for (i, spec) in scenario.teams.iter().enumerate() {
            let team = store.create_team(&format!("team{i}")).await.unwrap().id;
            for &member in &spec.members {
                store.add_team_member(team, users[member]).await.unwrap();
            }
            let settings = TeamSettings {
                team_id: team,
                assignment: spec.mode,
                default_capacity: 10,
                return_after_offline_secs: spec.return_after_offline_secs,
                round_robin_last: None,
            };
            store.update_team_settings(settings).await.unwrap();
            teams.push(team);
        }
        let agent_of = users.iter().enumerate().map(|(i, user)| (*user, i)).collect();
        Self {
            assigner: Assigner::new(store.clone()),
            _temp: temp,
            store,
            account,
            users,
            teams,
            agent_of,
            conversations: Vec::new(),
            index_of: HashMap::new(),
        }
    }

    /// Applies one step like the triage service would; the assignments the `Assigner`
    /// reported, as `(conversation, agent)` indexes.
    pub async fn apply(&mut self, step: &Step) -> Vec<(usize, usize)> {
        let made = match step.event {
            Event::Arrive { team, priority } => {
                let n = self.conversations.len();
                let id = conversation(&*self.store, &self.account, n, step.at).await;
                self.conversations.push(id);
                self.index_of.insert(id, n);
                let patch = ConversationPatch {
                    team_id: Some(Some(self.teams[team])),
                    priority: Some(priority),
                    ..Default::default()
                };
                self.store.patch_conversation(id, patch, Actor::System).await.unwrap();
                self.assigner.on_routed(id, step.at).await.unwrap()
            }
            Event::Resolve { pick } => {
                let held = self.open_assigned().await;
                if held.is_empty() {
                    return Vec::new();
                }
                let (conversation, agent) = held[(pick % held.len() as u64) as usize];
                let user = self.users[agent];
                let patch = ConversationPatch {
                    status: Some(ConversationStatus::Resolved),
                    ..Default::default()
                };
                let id = self.conversations[conversation];
                self.store.patch_conversation(id, patch, Actor::User { id: user }).await.unwrap();
                self.assigner.on_agent_changed(user, step.at).await.unwrap()
            }
            Event::Availability { agent, availability } => {
                let user = self.users[agent];
                self.store.set_availability(user, availability, step.at).await.unwrap();
                self.assigner.on_agent_changed(user, step.at).await.unwrap()
            }
            Event::ReturnOffline => self.assigner.return_offline(step.at).await.unwrap(),
        };
        made.into_iter().map(|(id, user)| (self.index_of[&id], self.agent_of[&user])).collect()
    }

    pub async fn observe(&self) -> Observed {
        let mut agents = vec![None; self.users.len()];
        for state in self.store.agent_states(None).await.unwrap() {
            let agent = self.agent_of[&state.user_id];
            agents[agent] = Some(AgentView {
                availability: state.availability,
                capacity: state.capacity.unwrap(),
                open: state.open_conversations,
            });
        }
        let mut waiting = Vec::new();
        for &team in &self.teams {
            waiting.push(!self.store.assignment_queue(team, 1).await.unwrap().is_empty());
        }
        Observed { agents: agents.into_iter().map(Option::unwrap).collect(), waiting }
    }

    /// Open assigned conversations in arrival order, with their agent, as the store has them.
    async fn open_assigned(&self) -> Vec<(usize, usize)> {
        let mut held = Vec::new();
        for (agent, user) in self.users.iter().enumerate() {
            for conversation in self.store.open_assigned(*user).await.unwrap() {
                held.push((self.index_of[&conversation.id], agent));
            }
        }
        held.sort_unstable();
        held
    }
}
