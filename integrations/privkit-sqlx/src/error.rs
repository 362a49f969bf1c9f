//! The crate's error type.

/// An error of a privkit-sqlx store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database reported an error (connection, constraint, SQL).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),

    /// Applying the migrations failed.
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),

    /// privkit refused a value (an invalid purpose, a subject id, a beacon).
    #[error(transparent)]
    Privkit(#[from] privkit::Error),

    /// A stored row does not hold what privkit wrote: the table was edited by hand or
    /// belongs to something else. Names the table and what is wrong.
    #[error("table `{table}` holds a row privkit cannot read: {detail}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// What is wrong with the row.
        detail: String,
    },

    /// A caller-supplied argument is invalid (an SQL identifier, a URL scheme).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;
