//! Closed vocabularies of the domain. Each has one stable lowercase spelling used in storage, the
//! API, the query language and the CLI.

/// An unknown spelling of one of the enums below.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}, expected one of: {expected}")]
pub struct UnknownVariant {
    pub kind: &'static str,
    pub value: String,
    pub expected: &'static str,
}

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident, $kind:literal { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable spelling used in storage and on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::enums::UnknownVariant;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value.trim().to_ascii_lowercase().as_str() {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::enums::UnknownVariant {
                        kind: $kind,
                        value: value.to_owned(),
                        expected: concat!($($text, " "),+),
                    }),
                }
            }
        }
    };
}

pub(crate) use string_enum as string_enum_pub;

string_enum!(
    /// The platform a message came from or goes to.
    Channel, "channel" {
        X = "x",
        Facebook = "facebook",
        Discourse = "discourse",
    }
);

string_enum!(
    /// What a message is on its platform. Decides how it groups into a conversation
    /// (see [`crate::ConversationKey::for_message`]).
    MessageKind, "message kind" {
        /// A public post that names the brand's account (X mention).
        Mention = "mention",
        /// A public reply in a reply chain (X reply to the brand or within a thread).
        Reply = "reply",
        /// A comment or reply-to-comment under a Page post (Facebook).
        Comment = "comment",
        /// A post on the brand's Page or timeline, starting its own comment thread.
        Post = "post",
        /// A private message (X DM, Messenger, Discourse private message).
        DirectMessage = "direct_message",
        /// A post in a forum topic (Discourse).
        ForumPost = "forum_post",
    }
);

string_enum!(
    /// Whether the brand received or sent a message.
    Direction, "direction" {
        Inbound = "inbound",
        Outbound = "outbound",
    }
);

string_enum!(
    /// Where a conversation stands in the agents' work.
    #[derive(Default)]
    ConversationStatus, "status" {
        /// Waiting on the team.
        #[default]
        Open = "open",
        /// Waiting on the customer; SLA clocks pause.
        Pending = "pending",
        /// Put aside until a time; SLA clocks pause.
        Snoozed = "snoozed",
        /// Done; SLA clocks stop. A new inbound message reopens it.
        Resolved = "resolved",
    }
);

string_enum!(
    /// How urgent a conversation is. Ordered: `Low < Normal < High < Urgent`.
    #[derive(Default)]
    Priority, "priority" {
        Low = "low",
        #[default]
        Normal = "normal",
        High = "high",
        Urgent = "urgent",
    }
);

string_enum!(
    /// What a user may do.
    Role, "role" {
        Agent = "agent",
        Supervisor = "supervisor",
        Admin = "admin",
    }
);

impl MessageKind {
    /// Whether messages of this kind are private to their participants.
    pub fn is_private(self) -> bool {
        matches!(self, MessageKind::DirectMessage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_round_trips_through_its_spelling() {
        for channel in Channel::ALL {
            assert_eq!(channel.as_str().parse::<Channel>(), Ok(*channel));
        }
        for kind in MessageKind::ALL {
            assert_eq!(kind.as_str().parse::<MessageKind>(), Ok(*kind));
        }
        for status in ConversationStatus::ALL {
            assert_eq!(status.as_str().parse::<ConversationStatus>(), Ok(*status));
        }
    }

    #[test]
    fn parsing_ignores_case_and_names_the_choices_on_error() {
        assert_eq!("Facebook".parse::<Channel>(), Ok(Channel::Facebook));
        let err = "myspace".parse::<Channel>().unwrap_err();
        assert!(err.to_string().contains("x facebook discourse"), "{err}");
    }

    #[test]
    fn priorities_are_ordered_by_urgency() {
        assert!(Priority::Low < Priority::Normal);
        assert!(Priority::High < Priority::Urgent);
    }

    #[test]
    fn serde_uses_the_stable_spelling() {
        let json = serde_json::to_string(&MessageKind::DirectMessage).unwrap();
        assert_eq!(json, "\"direct_message\"");
    }
}
