//! Database errors in domain terms. Callers never see a backend error code: uniqueness breaks become
//! `Conflict`, broken references and checks `Invalid`, lost connections `Unavailable`.

use sqlx::error::ErrorKind;
use trellis_core::StoreError;

/// Maps a driver error to a [`StoreError`]. The message keeps the database's wording (constraint
/// names included) because it is what an operator needs, but never the bound values.
pub(crate) fn map(err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::Database(db) => match db.kind() {
            ErrorKind::UniqueViolation => StoreError::Conflict(db.message().to_owned()),
            ErrorKind::ForeignKeyViolation => {
                StoreError::Invalid(format!("reference to a missing row: {}", db.message()))
            }
            ErrorKind::CheckViolation | ErrorKind::NotNullViolation => {
                StoreError::Invalid(db.message().to_owned())
            }
            _ => StoreError::Backend(Box::new(sqlx::Error::Database(db))),
        },
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err.to_string()),
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_) => StoreError::Corrupt(err.to_string()),
        other => StoreError::Backend(Box::new(other)),
    }
}

/// `?`-friendly form of [`map`].
pub(crate) trait ResultExt<T> {
    fn db(self) -> Result<T, StoreError>;
}

impl<T> ResultExt<T> for Result<T, sqlx::Error> {
    fn db(self) -> Result<T, StoreError> {
        self.map_err(map)
    }
}

/// A stored string that does not parse back into its domain type.
pub(crate) fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
}

/// A migration that failed or a database whose applied migrations do not match this build.
pub(crate) fn migrate(err: sqlx::migrate::MigrateError) -> StoreError {
    match err {
        sqlx::migrate::MigrateError::Execute(err) => map(err),
        other => StoreError::Backend(Box::new(other)),
    }
}
