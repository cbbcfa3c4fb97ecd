//! The trellis domain: what a channel, account, contact, message and conversation are, how messages
//! group into conversations, and the seams ([`store::Store`], [`search::SearchIndex`]) that the
//! storage and search crates implement.
//!
//! Nothing in this crate does IO or needs an async runtime; its tests run in microseconds.

pub mod access;
pub mod change;
pub mod connection;
pub mod connector;
pub mod conversation;
pub mod directory;
pub mod enums;
pub mod ids;
pub mod message;
pub mod outbound;
pub mod query;
pub mod search;
pub mod sla;
pub mod store;
pub mod validated;
pub mod workflow;

pub use access::{
    AccessStore, ApiToken, AuditEntry, AuditFilter, LoginFailures, NewApiToken, NewAuditEntry,
    NewSession, Session, SessionWithUser,
};
pub use change::{Change, ChangeKind};
pub use connection::{
    AccountHealth, AccountStatus, ConnectFlow, ConnectionStore, IngestError, IngestSource,
    NewIngestError, NewOutboxItem, OutboxFilter, OutboxId, OutboxItem, OutboxResult, OutboxState,
    PollReport, SealedSecret, StoredCredentials,
};
pub use connector::{
    AccountAccess, AccountIdentity, Backoff, Connector, ConnectorError, Credentials, Delivered,
    DmTarget, FlagReason, OutboundAction, PollOutcome, PollRequest, RateLimit, StreamOutcome,
    StreamPoll,
};
pub use conversation::{
    AssigneeFilter, Conversation, ConversationFilter, ConversationKey, ConversationPage,
    ConversationPatch, PageCursor,
};
pub use directory::{Account, Brand, NewAccount, NewUser, Person, Team, User};
pub use enums::{Channel, ConversationStatus, Direction, MessageKind, Priority, Role};
pub use ids::{
    AccountId, ApiTokenId, AuditId, BrandId, ContactId, ConversationId, MessageId, PersonId, Seq,
    TeamId, UserId,
};
pub use message::{
    Contact, CursorUpdate, IngestBatch, IngestOutcome, Message, NewContact, NewMessage,
};
pub use query::{Query, QueryError};
pub use search::{
    IndexDoc, SearchError, SearchHit, SearchIndex, SearchRequest, SearchResults, SortOrder,
};
pub use sla::{SlaLevel, SlaSummary};
pub use store::{Backend, Store, StoreError, StoreResult};
pub use validated::{Handle, PlatformId, TagName, ValidationError};
pub use workflow::{
    Actor, AgentState, AssignmentMode, Availability, CalendarId, CalendarInput, CalendarRecord,
    CannedReply, CannedReplyId, CannedReplyInput, ConversationSla, NewNotification,
    NewTimelineEvent, Notification, NotificationId, PresenceEntry, PresenceState, RuleInput,
    RuleRecord, RuleRecordId, SlaClockRecord, SlaPolicyId, SlaPolicyInput, SlaPolicyRecord,
    TeamSettings, TimelineEvent, WorkflowStore,
};
