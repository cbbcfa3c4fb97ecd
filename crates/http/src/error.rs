//! The one error type of the HTTP API. Each variant has a status and a stable snake_case `code`
//! that clients can match on; the body is always `{"error":{"code":"…","message":"…"}}`.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use trellis_app::ServiceError;
use trellis_core::{SearchError, StoreError};
use trellis_sync::accounts::connect::ConnectError;

/// Why a request failed, in terms a client can act on.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The search query does not parse; the message says where and why.
    #[error("{0}")]
    InvalidQuery(String),
    /// A query-string parameter is missing or malformed.
    #[error("{0}")]
    InvalidParameter(String),
    /// The request body is not JSON at all.
    #[error("{0}")]
    MalformedJson(String),
    /// The request body is JSON but not of the expected shape.
    #[error("{0}")]
    InvalidBody(String),
    /// The request body was not declared as `application/json`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The input breaks a rule of the domain.
    #[error("{0}")]
    Invalid(String),
    /// The request did not prove who sent it (a webhook delivery without a valid signature).
    #[error("{0}")]
    Unauthorized(String),
    /// No session or token, or one that no longer holds: sign in.
    #[error("{0}")]
    Unauthenticated(String),
    /// The email or password did not sign anyone in (the same answer whichever was wrong).
    #[error("{0}")]
    InvalidCredentials(String),
    /// A field of the body is wrong; `field` names it.
    #[error("{message}")]
    InvalidField { field: &'static str, message: String },
    /// The request body is larger than the API reads.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Too many attempts; `Retry-After` says when to try again.
    #[error("{message}")]
    TooManyRequests { retry_after_secs: u64, message: String },
    /// The request was understood and refused (a webhook handshake with the wrong verify token).
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Someone answered the conversation since the sender loaded it; `reply` is that answer.
    #[error("{message}")]
    ReplyCollision { message: String, reply: trellis_app::conversations::OtherReply },
    /// A dependency (the database, the index) cannot serve right now; retrying may help.
    #[error("service unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// Anything else: a bug or an unexpected failure. Never shown to the client.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::InvalidQuery(_)
            | AppError::InvalidParameter(_)
            | AppError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            AppError::InvalidBody(_) | AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unauthorized(_)
            | AppError::Unauthenticated(_)
            | AppError::InvalidCredentials(_) => StatusCode::UNAUTHORIZED,
            AppError::InvalidField { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) | AppError::ReplyCollision { .. } => StatusCode::CONFLICT,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::InvalidQuery(_) => "invalid_query",
            AppError::InvalidParameter(_) => "invalid_parameter",
            AppError::MalformedJson(_) => "malformed_json",
            AppError::InvalidBody(_) => "invalid_body",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Invalid(_) => "invalid",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Unauthenticated(_) => "unauthenticated",
            AppError::InvalidCredentials(_) => "invalid_credentials",
            AppError::InvalidField { .. } => "invalid_field",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::ReplyCollision { .. } => "reply_collision",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(error.into())
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
    /// The field at fault, for `invalid_field`.
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    /// The other answer, for `reply_collision`.
    #[serde(skip_serializing_if = "Option::is_none")]
    reply: Option<&'a trellis_app::conversations::OtherReply>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        // Server-side failures are logged with their whole chain here, once; the client only gets
        // the variant's generic message.
        match &self {
            AppError::Internal(source) => {
                tracing::error!(error = format!("{source:#}"), "request failed")
            }
            AppError::Unavailable(source) => {
                tracing::warn!(
                    error = format!("{source:#}"),
                    "request failed: dependency unavailable"
                )
            }
            _ => {}
        }
        let field = match &self {
            AppError::InvalidField { field, .. } => Some(*field),
            _ => None,
        };
        let reply = match &self {
            AppError::ReplyCollision { reply, .. } => Some(reply),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail { code: self.code(), message: self.to_string(), field, reply },
        };
        let mut response = (self.status(), Json(body)).into_response();
        if let AppError::TooManyRequests { retry_after_secs, .. } = &self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        if let AppError::Unauthenticated(_) | AppError::InvalidCredentials(_) = &self {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"trellis\""),
            );
        }
        response
    }
}

impl From<SearchError> for AppError {
    fn from(error: SearchError) -> Self {
        match error {
            SearchError::InvalidQuery(message) => AppError::InvalidQuery(message),
            SearchError::Corrupt(_) => AppError::Unavailable(error.into()),
            SearchError::Internal(_) => AppError::Internal(error.into()),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { .. } => AppError::NotFound(error.to_string()),
            StoreError::Conflict(message) => AppError::Conflict(message),
            StoreError::Invalid(message) => AppError::Invalid(message),
            StoreError::Unavailable(_) => AppError::Unavailable(error.into()),
            StoreError::Corrupt(_) | StoreError::Backend(_) => AppError::Internal(error.into()),
        }
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        let message = rejection.body_text();
        match rejection {
            JsonRejection::JsonDataError(_) => AppError::InvalidBody(message),
            JsonRejection::JsonSyntaxError(_) => AppError::MalformedJson(message),
            JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType(message),
            JsonRejection::BytesRejection(_)
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                AppError::PayloadTooLarge(format!(
                    "the request body is larger than {} bytes",
                    crate::routes::MAX_BODY_BYTES
                ))
            }
            _ => AppError::MalformedJson(message),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        AppError::InvalidParameter(rejection.body_text())
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        AppError::InvalidParameter(rejection.body_text())
    }
}

impl From<ServiceError> for AppError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::InvalidParameter { field, message } => {
                AppError::InvalidField { field, message }
            }
            ServiceError::Invalid(message) => AppError::Invalid(message),
            ServiceError::Forbidden(message) => AppError::Forbidden(message),
            ServiceError::NotFound(message) => AppError::NotFound(message),
            ServiceError::Conflict(message) => AppError::Conflict(message),
            ServiceError::TooManyAttempts { retry_after_secs, message } => {
                AppError::TooManyRequests { retry_after_secs, message }
            }
            ServiceError::Unauthenticated(message) => AppError::InvalidCredentials(message),
            ServiceError::Internal(message) => AppError::Internal(anyhow::anyhow!(message)),
            ServiceError::Store(error) => error.into(),
            ServiceError::Search(error) => error.into(),
        }
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(error: tokio::task::JoinError) -> Self {
        AppError::Internal(anyhow::Error::new(error).context("blocking task failed"))
    }
}

impl From<ConnectError> for AppError {
    fn from(error: ConnectError) -> Self {
        match error {
            ConnectError::NotConfigured(_)
            | ConnectError::Invalid(_)
            | ConnectError::Refused(_) => AppError::Invalid(error.to_string()),
            ConnectError::UnknownFlow(_) => AppError::InvalidParameter(error.to_string()),
            ConnectError::Unreachable(_) => AppError::Unavailable(error.into()),
            ConnectError::Secret(_) => AppError::internal(error),
            ConnectError::Store(error) => error.into(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    async fn body_of(error: AppError) -> (StatusCode, serde_json::Value) {
        let response = error.into_response();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn an_invalid_query_is_a_400_with_its_message() {
        let (status, body) =
            body_of(SearchError::InvalidQuery("unclosed quote at 5".into()).into()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], "invalid_query");
        assert_eq!(body["error"]["message"], "unclosed quote at 5");
    }

    #[tokio::test]
    async fn an_internal_error_never_leaks_its_cause() {
        let error = StoreError::Backend("password authentication failed for user x".into());
        let (status, body) = body_of(error.into()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], "internal");
        assert!(!body.to_string().contains("password"), "{body}");
    }

    #[tokio::test]
    async fn store_errors_map_to_their_statuses() {
        let (status, body) = body_of(StoreError::not_found("conversation", 7).into()).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );
        let (status, _) = body_of(StoreError::Unavailable("refused".into()).into()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let (status, _) = body_of(StoreError::Conflict("duplicate email".into()).into()).await;
        assert_eq!(status, StatusCode::CONFLICT);
    }
}
