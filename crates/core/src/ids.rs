//! Database identities. Each is a distinct type so a conversation id can never be passed where a
//! message id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<i64> for $name {
            fn from(value: i64) -> Self {
                Self(value)
            }
        }
    };
}

id_type!(
    /// A brand: the set of accounts one team serves.
    BrandId
);
id_type!(
    /// A brand's connected account on one platform.
    AccountId
);
id_type!(
    /// A person's identity on one platform.
    ContactId
);
id_type!(
    /// One human, linking their contacts across platforms.
    PersonId
);
id_type!(
    /// A stored message.
    MessageId
);
id_type!(
    /// The unit agents work.
    ConversationId
);
id_type!(
    /// A trellis user (agent, supervisor, admin).
    UserId
);
id_type!(
    /// A team of users.
    TeamId
);
id_type!(
    /// A position in the change feed. Strictly increasing in commit order.
    Seq
);
id_type!(
    /// A personal API token.
    ApiTokenId
);
id_type!(
    /// An entry of the audit log. Newer entries have larger ids.
    AuditId
);
