//! Strings with rules. Constructing one validates and normalizes it, so code holding a [`Handle`] or
//! a [`TagName`] never re-checks.

use serde::{Deserialize, Serialize};
use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// Why a string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("{what} must not be empty")]
    Empty { what: &'static str },
    #[error("{what} is longer than {max} characters")]
    TooLong { what: &'static str, max: usize },
    #[error("{what} contains {found:?}, which is not allowed")]
    BadCharacter { what: &'static str, found: char },
}

fn check_len(what: &'static str, value: &str, max: usize) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::Empty { what });
    }
    if value.chars().count() > max {
        return Err(ValidationError::TooLong { what, max });
    }
    Ok(())
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValidationError;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                $name::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = ValidationError;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                $name::parse(value)
            }
        }
    };
}

/// An identifier a platform gave to something (tweet id, Graph object id, Discourse post id, a DM
/// conversation id). Opaque, non-empty, at most 256 characters, no whitespace or control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PlatformId(String);

impl PlatformId {
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        const WHAT: &str = "platform id";
        check_len(WHAT, value, 256)?;
        if let Some(found) = value.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(ValidationError::BadCharacter { what: WHAT, found });
        }
        Ok(Self(value.to_owned()))
    }
}
string_newtype!(PlatformId);

/// A person's handle on a platform (`@jane` on X, a Discourse username, a Page-scoped name).
/// Stored without the leading `@`; at most 100 characters, no whitespace or control characters.
/// Handles compare case-insensitively on every platform trellis speaks, so [`Handle::key`] gives the
/// folded form used for lookups while the handle keeps its display spelling.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Handle(String);

impl Handle {
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        const WHAT: &str = "handle";
        let value = value.trim();
        let value = value.strip_prefix('@').unwrap_or(value);
        check_len(WHAT, value, 100)?;
        if let Some(found) =
            value.chars().find(|c| c.is_whitespace() || c.is_control() || *c == '@')
        {
            return Err(ValidationError::BadCharacter { what: WHAT, found });
        }
        Ok(Self(value.nfc().collect()))
    }

    /// The case-folded form used to match `from:@handle` and author rules.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}
string_newtype!(Handle);

/// A tag on a conversation or contact: lowercase letters, digits (any script), `-`, `_`, `:` and `/`,
/// at most 64 characters. Input is trimmed and lowercased, and a leading `#` dropped, so `#Billing`
/// and `billing` are the same tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TagName(String);

impl TagName {
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        const WHAT: &str = "tag";
        let value = value.trim();
        let value = value.strip_prefix('#').unwrap_or(value);
        let folded: String = value.nfc().collect::<String>().to_lowercase();
        check_len(WHAT, &folded, 64)?;
        if let Some(found) =
            folded.chars().find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | ':' | '/')))
        {
            return Err(ValidationError::BadCharacter { what: WHAT, found });
        }
        Ok(Self(folded))
    }
}
string_newtype!(TagName);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_drops_its_at_sign_and_keeps_its_spelling() {
        let handle = Handle::parse("@JaneDoe").unwrap();
        assert_eq!(handle.as_str(), "JaneDoe");
        assert_eq!(handle.key(), "janedoe");
    }

    #[test]
    fn a_handle_with_a_space_is_refused() {
        assert_eq!(
            Handle::parse("jane doe"),
            Err(ValidationError::BadCharacter { what: "handle", found: ' ' })
        );
        assert!(matches!(Handle::parse("@"), Err(ValidationError::Empty { .. })));
    }

    #[test]
    fn tags_fold_case_and_hash_signs() {
        assert_eq!(TagName::parse("#Billing").unwrap(), TagName::parse("billing").unwrap());
        assert_eq!(TagName::parse("vip/gold").unwrap().as_str(), "vip/gold");
        assert_eq!(TagName::parse("réclamation").unwrap().as_str(), "réclamation");
    }

    #[test]
    fn tags_refuse_spaces_and_overlong_names() {
        assert!(TagName::parse("two words").is_err());
        assert!(matches!(
            TagName::parse(&"a".repeat(65)),
            Err(ValidationError::TooLong { max: 64, .. })
        ));
    }

    #[test]
    fn platform_ids_are_opaque_but_never_blank() {
        assert!(PlatformId::parse("1234567890_987654321").is_ok());
        assert!(PlatformId::parse("").is_err());
        assert!(PlatformId::parse("12 34").is_err());
    }

    #[test]
    fn validated_strings_refuse_bad_json() {
        let parsed: Result<TagName, _> = serde_json::from_str("\"no spaces allowed\"");
        assert!(parsed.is_err());
    }
}
