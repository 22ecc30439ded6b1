//! One error type for the core. Messages never contain user text: they name files,
//! offsets and limits, so they are safe to log.

use std::path::PathBuf;

/// Every failure the core reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A model or store file is malformed (bad magic, bad lengths, bad checksum...).
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// The file was written by an incompatible format version.
    #[error("unsupported format version {found} (this build reads version {supported})")]
    Version {
        /// Version in the file.
        found: u16,
        /// Version this build understands.
        supported: u16,
    },
    /// The file is a valid keywise file of another kind.
    #[error("wrong file kind: expected {expected}, found kind {found}")]
    WrongKind {
        /// What the caller wanted.
        expected: &'static str,
        /// Kind code found in the header.
        found: u16,
    },
    /// A caller-supplied value is out of range. The message names the parameter, not its content.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A resource is held by someone else (a user store open in another process).
    #[error("in use: {0}")]
    InUse(String),
    /// Authentication of encrypted data failed: wrong key or tampered file.
    #[error("integrity check failed: {0}")]
    Integrity(String),
    /// A text format (ARPA, layout JSON, word list) could not be parsed.
    #[error("parse error at line {line}: {what}")]
    Parse {
        /// 1-based line number.
        line: usize,
        /// What was wrong (never the line's content).
        what: String,
    },
    /// Any of the above, attributed to a file.
    #[error("{}: {source}", path.display())]
    InFile {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: Box<Error>,
    },
}

impl Error {
    /// Attribute this error to `path` (idempotent for errors already attributed).
    pub fn in_file(self, path: impl Into<PathBuf>) -> Error {
        match self {
            e @ Error::InFile { .. } => e,
            e => Error::InFile {
                path: path.into(),
                source: Box::new(e),
            },
        }
    }

    /// The innermost error, without file attribution.
    pub fn root(&self) -> &Error {
        match self {
            Error::InFile { source, .. } => source.root(),
            e => e,
        }
    }

    pub(crate) fn corrupt(what: impl Into<String>) -> Error {
        Error::Corrupt(what.into())
    }
}

/// Result alias used throughout the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
