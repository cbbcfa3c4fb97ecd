//! Content hashes that decide whether a re-delivered message or contact changed anything.
//!
//! FNV-1a over length-prefixed fields: stable across Rust releases and platforms (unlike
//! `DefaultHasher`), cheap, and good enough to detect edits; it is not a security boundary.

use trellis_core::{NewContact, NewMessage};

struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// A field, prefixed by its length so `("ab", "c")` and `("a", "bc")` differ.
    fn field(&mut self, value: &[u8]) {
        self.bytes(&(value.len() as u64).to_le_bytes());
        self.bytes(value);
    }

    fn opt(&mut self, value: Option<&[u8]>) {
        match value {
            None => self.bytes(&[0]),
            Some(value) => {
                self.bytes(&[1]);
                self.field(value);
            }
        }
    }

    fn finish(self) -> i64 {
        i64::from_ne_bytes(self.0.to_ne_bytes())
    }
}

/// Hash of the message fields that matter: kind, text, raw JSON, deleted_at, parent and thread
/// ids, language. The raw JSON is hashed in serde_json's canonical form (sorted keys).
pub(crate) fn message_hash(message: &NewMessage, raw_json: &str) -> i64 {
    let mut h = Fnv::new();
    h.field(message.kind.as_str().as_bytes());
    h.field(message.text.as_bytes());
    h.field(raw_json.as_bytes());
    h.opt(
        message.deleted_at.map(|at| at.timestamp_micros().to_le_bytes()).as_ref().map(|b| &b[..]),
    );
    h.opt(message.parent_platform_id.as_ref().map(|id| id.as_str().as_bytes()));
    h.opt(message.thread_platform_id.as_ref().map(|id| id.as_str().as_bytes()));
    h.opt(message.lang.as_deref().map(str::as_bytes));
    h.finish()
}

/// Hash of a contact's description: handle, display name, follower count, verified.
pub(crate) fn contact_hash(contact: &NewContact) -> i64 {
    let mut h = Fnv::new();
    h.opt(contact.handle.as_ref().map(|handle| handle.as_str().as_bytes()));
    h.opt(contact.display_name.as_deref().map(str::as_bytes));
    h.opt(contact.follower_count.map(i64::to_le_bytes).as_ref().map(|b| &b[..]));
    h.bytes(&[u8::from(contact.verified)]);
    h.finish()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use trellis_core::{MessageKind, PlatformId};

    fn contact() -> NewContact {
        NewContact {
            platform_id: PlatformId::parse("u1").unwrap(),
            handle: None,
            display_name: Some("Jane".into()),
            follower_count: Some(10),
            verified: false,
        }
    }

    #[test]
    fn field_boundaries_matter() {
        let mut a = Fnv::new();
        a.field(b"ab");
        a.field(b"c");
        let mut b = Fnv::new();
        b.field(b"a");
        b.field(b"bc");
        assert_ne!(a.finish(), b.finish());
    }

    #[test]
    fn a_changed_follower_count_changes_the_contact_hash() {
        let before = contact();
        let after = NewContact { follower_count: Some(11), ..contact() };
        assert_eq!(contact_hash(&before), contact_hash(&contact()));
        assert_ne!(contact_hash(&before), contact_hash(&after));
    }

    #[test]
    fn the_author_does_not_take_part_in_the_message_hash() {
        let message = NewMessage {
            platform_id: PlatformId::parse("m1").unwrap(),
            kind: MessageKind::Mention,
            direction: trellis_core::Direction::Inbound,
            author: contact(),
            parent_platform_id: None,
            thread_platform_id: None,
            thread_title: None,
            text: "hi".into(),
            lang: None,
            raw: serde_json::Value::Null,
            created_at: chrono::Utc::now(),
            deleted_at: None,
        };
        let renamed = NewMessage {
            author: NewContact { display_name: None, ..contact() },
            ..message.clone()
        };
        let edited = NewMessage { text: "hi!".into(), ..message.clone() };
        assert_eq!(message_hash(&message, "null"), message_hash(&renamed, "null"));
        assert_ne!(message_hash(&message, "null"), message_hash(&edited, "null"));
    }
}
