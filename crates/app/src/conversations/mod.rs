//! Conversations as agents work them: the list with its filters and views ([`list`]), one
//! conversation with everything read before answering ([`detail`]), and the changes agents make
//! ([`commands`]), and answering it without answering twice ([`replies`]).

pub mod commands;
pub mod detail;
pub mod list;
pub mod notes;
pub mod replies;

pub use commands::{bulk_update, patch, take, BulkOutcome, ConversationChange};
pub use detail::{conversation_detail, ConversationDetail};
pub use list::{list_conversations, AssigneeParam, ConversationList, ConversationQuery, View};
pub use notes::{add_note, Note};
pub use replies::{reply, OtherReply, ReplyError, ReplyOptions};
