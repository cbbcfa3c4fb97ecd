//! The service layer's one error: what went wrong in terms every transport can render (an HTTP
//! status and code, a CLI message).

use trellis_core::{SearchError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A parameter is malformed: the message names it.
    #[error("{message}")]
    InvalidParameter { field: &'static str, message: String },
    /// The input breaks a rule of the domain.
    #[error("{0}")]
    Invalid(String),
    /// The caller is known but its role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts: try again after this many seconds.
    #[error("{message}")]
    TooManyAttempts { retry_after_secs: u64, message: String },
    /// The credentials do not sign anyone in: the same answer whatever was wrong.
    #[error("{0}")]
    Unauthenticated(String),
    /// A failure that is not the caller's (a task that died, a hasher that failed).
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Search(SearchError),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    pub fn invalid_parameter(field: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidParameter { field, message: message.into() }
    }
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { .. } => ServiceError::NotFound(error.to_string()),
            StoreError::Conflict(message) => ServiceError::Conflict(message),
            StoreError::Invalid(message) => ServiceError::Invalid(message),
            other => ServiceError::Store(other),
        }
    }
}

impl From<SearchError> for ServiceError {
    fn from(error: SearchError) -> Self {
        ServiceError::Search(error)
    }
}
