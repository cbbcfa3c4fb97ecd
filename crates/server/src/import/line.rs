//! One line of an import file: a `NewMessage` in its serde form plus the account it belongs to.
//! The format is documented in docs/import-format.md.

use serde_json::{Map, Value};
use trellis_core::{Channel, NewMessage};

/// A line that parsed: which account it is for, and the message.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportLine {
    pub channel: Channel,
    /// The brand account's own id on the platform (`acme`, a Page id, a forum host).
    pub account: String,
    pub message: NewMessage,
}

/// Why a line was refused; shown to the operator next to the line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("not valid UTF-8")]
    NotUtf8,
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("expected a JSON object")]
    NotAnObject,
    /// PostgreSQL cannot store U+0000 in text or JSON, so no backend accepts it.
    #[error("contains a NUL character (\\u0000), which cannot be stored")]
    NulCharacter,
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    #[error("invalid `{field}`: {reason}")]
    InvalidField { field: &'static str, reason: String },
    #[error("invalid message: {0}")]
    Message(String),
}

/// Parses one non-blank line.
pub fn parse_line(line: &str) -> Result<ImportLine, LineError> {
    let value: Value =
        serde_json::from_str(line).map_err(|err| LineError::Json(strip_position(&err)))?;
    if contains_nul(&value) {
        return Err(LineError::NulCharacter);
    }
    let Value::Object(mut object) = value else {
        return Err(LineError::NotAnObject);
    };
    let channel = take_string(&mut object, "channel")?;
    let channel = channel
        .parse::<Channel>()
        .map_err(|err| LineError::InvalidField { field: "channel", reason: err.to_string() })?;
    let account = take_string(&mut object, "account")?;
    if account.trim().is_empty() {
        return Err(LineError::InvalidField {
            field: "account",
            reason: "must not be empty".to_owned(),
        });
    }
    // What is left is exactly a NewMessage; serde names the missing or invalid field.
    let message: NewMessage = serde_json::from_value(Value::Object(object))
        .map_err(|err| LineError::Message(strip_position(&err)))?;
    Ok(ImportLine { channel, account, message })
}

fn contains_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(contains_nul),
        Value::Object(object) => {
            object.iter().any(|(key, value)| key.contains('\0') || contains_nul(value))
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

fn take_string(object: &mut Map<String, Value>, field: &'static str) -> Result<String, LineError> {
    match object.remove(field) {
        None | Some(Value::Null) => Err(LineError::MissingField(field)),
        Some(Value::String(text)) => Ok(text),
        Some(other) => Err(LineError::InvalidField {
            field,
            reason: format!("expected a string, found {other}"),
        }),
    }
}

/// serde_json appends " at line 1 column 17"; the column is worth keeping for a syntax error in a
/// long line, but "line 1" is misleading next to the file's own line number.
fn strip_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) if err.line() > 0 => {
            if err.is_syntax() || err.is_eof() {
                format!("{} at column {}", &text[..at], err.column())
            } else {
                text[..at].to_owned()
            }
        }
        _ => text,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use trellis_core::{Direction, MessageKind};

    const GOOD: &str = r#"{"channel":"x","account":"acme","platform_id":"1790001","kind":"mention","author":{"platform_id":"42","handle":"@jane"},"text":"hi @acme #latte","created_at":"2024-05-01T12:00:00Z"}"#;

    fn with(field: &str, value: Value) -> String {
        let mut object: Map<String, Value> = serde_json::from_str(GOOD).unwrap();
        object.insert(field.to_owned(), value);
        Value::Object(object).to_string()
    }

    fn without(field: &str) -> String {
        let mut object: Map<String, Value> = serde_json::from_str(GOOD).unwrap();
        object.remove(field);
        Value::Object(object).to_string()
    }

    #[test]
    fn a_complete_line_parses_into_account_and_message() {
        let line = parse_line(GOOD).unwrap();
        assert_eq!(line.channel, Channel::X);
        assert_eq!(line.account, "acme");
        assert_eq!(line.message.kind, MessageKind::Mention);
        assert_eq!(line.message.direction, Direction::Inbound, "direction defaults to inbound");
        assert_eq!(line.message.author.handle.as_ref().unwrap().as_str(), "jane");
    }

    #[test]
    fn bad_json_reports_the_column_but_not_a_fake_line() {
        let err = parse_line(r#"{"channel": "x", "#).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("invalid JSON") && text.contains("column"), "{text}");
        assert!(!text.contains("line 1"), "{text}");
    }

    #[test]
    fn missing_routing_fields_are_named() {
        assert_eq!(parse_line(&without("channel")), Err(LineError::MissingField("channel")));
        assert_eq!(parse_line(&without("account")), Err(LineError::MissingField("account")));
    }

    #[test]
    fn a_missing_message_field_is_named() {
        let err = parse_line(&without("text")).unwrap_err();
        assert!(err.to_string().contains("missing field `text`"), "{err}");
    }

    #[test]
    fn an_unknown_channel_or_kind_lists_the_choices() {
        let err = parse_line(&with("channel", "myspace".into())).unwrap_err();
        assert!(err.to_string().contains("x facebook discourse"), "{err}");
        let err = parse_line(&with("kind", "tweet".into())).unwrap_err();
        assert!(err.to_string().contains("unknown variant `tweet`"), "{err}");
    }

    #[test]
    fn an_invalid_handle_is_refused() {
        let author = serde_json::json!({"platform_id": "42", "handle": "jane doe"});
        let err = parse_line(&with("author", author)).unwrap_err();
        assert!(err.to_string().contains("handle"), "{err}");
    }

    #[test]
    fn a_bad_timestamp_is_refused() {
        let err = parse_line(&with("created_at", "yesterday".into())).unwrap_err();
        assert!(matches!(err, LineError::Message(_)), "{err}");
    }

    #[test]
    fn a_nul_character_anywhere_is_refused() {
        assert_eq!(parse_line(&with("text", "a\u{0}b".into())), Err(LineError::NulCharacter));
        let raw = serde_json::json!({"nested": ["ok", {"k": "x\u{0}"}]});
        assert_eq!(parse_line(&with("raw", raw)), Err(LineError::NulCharacter));
    }

    #[test]
    fn a_line_that_is_not_an_object_is_refused() {
        assert_eq!(parse_line("[1,2]"), Err(LineError::NotAnObject));
        assert!(matches!(
            parse_line(&with("account", 7.into())),
            Err(LineError::InvalidField { field: "account", .. })
        ));
    }
}
