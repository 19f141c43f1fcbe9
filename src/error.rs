//! The one error type of the crate.

use std::io;

/// Everything that can go wrong while compressing, decompressing or reporting.
///
/// Every variant that comes from reading a compressed stream means the input is not a
/// valid kraft stream (or was damaged); they map to [`io::ErrorKind::InvalidData`] when
/// converted into an [`io::Error`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error from the underlying reader or writer.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The input does not start with the kraft magic bytes.
    #[error("not a kraft stream (bad magic bytes)")]
    BadMagic,
    /// The stream was written by a format version this build cannot read.
    #[error("unsupported format version {found} (this build reads version {supported})")]
    UnsupportedVersion {
        /// The version the stream states.
        found: u8,
        /// The version this build reads.
        supported: u8,
    },
    /// The stream names a model id that no registered model has.
    #[error("unknown model id {0}")]
    UnknownModel(u8),
    /// A model name given by the user is not known.
    #[error("unknown model name '{0}'")]
    UnknownModelName(String),
    /// Bytes follow a complete stream that do not start another one.
    #[error("trailing garbage at byte {offset}, after the last complete stream")]
    TrailingGarbage {
        /// Offset of the first byte that is not part of a stream.
        offset: u64,
    },
    /// The stream ends before its end marker.
    #[error("truncated stream: {0}")]
    Truncated(&'static str),
    /// The stream header is damaged (its checksum does not match).
    #[error("stream header is corrupt (checksum {expected:#010x}, computed {got:#010x})")]
    HeaderChecksum {
        /// Checksum stored in the stream.
        expected: u32,
        /// Checksum computed over the bytes read.
        got: u32,
    },
    /// A block decoded to data whose checksum differs from the one stored.
    #[error("block {block} is corrupt (checksum {expected:#010x}, computed {got:#010x})")]
    Checksum {
        /// Index of the block, counting from 0.
        block: u64,
        /// Checksum stored in the stream.
        expected: u32,
        /// Checksum of the decoded data.
        got: u32,
    },
    /// The whole-content checksum or length in the trailer does not match.
    #[error("content check failed: {0}")]
    Content(String),
    /// A field of the stream has a value that is out of range or inconsistent.
    #[error("corrupt stream{}: {what}", block.map(|b| format!(" (block {b})")).unwrap_or_default())]
    Corrupt {
        /// Index of the block the error was found in, if any.
        block: Option<u64>,
        /// Which part of the stream is wrong.
        kind: CorruptKind,
        /// What was wrong.
        what: String,
    },
    /// A model broke its contract (e.g. gave zero probability to a byte that occurs):
    /// a bug in the model, not in the data or the options.
    #[error("model error: {0}")]
    Model(String),
    /// The input is not one stream with a block index ([`crate::Seekable`]).
    #[error("no block index: not one kraft stream written with an index")]
    NoIndex,
    /// A prior file is not one, or is damaged.
    #[error("bad prior: {0}")]
    BadPrior(String),
    /// The stream was coded with a prior that was not given.
    #[error("the stream was coded with prior {id:016x}; give that prior to decode it")]
    PriorMissing {
        /// The id the stream records.
        id: u64,
    },
    /// A compact frame was coded with a prior (it does not record which), and none
    /// was given.
    #[error(
        "the stream was coded with a trained prior (a compact frame does not record its id); give that prior to decode it"
    )]
    PriorUnnamed,
    /// The stream was coded with another prior than the one given.
    #[error(
        "the stream was coded with prior {stream:016x}, not with the prior given ({given:016x})"
    )]
    PriorMismatch {
        /// The id the stream records.
        stream: u64,
        /// The id of the prior given.
        given: u64,
    },
    /// A prior is for another model than the one it is used with.
    #[error("the prior is for model {prior}, not {stream}")]
    PriorModel {
        /// The prior's model.
        prior: String,
        /// The model of the stream or the options.
        stream: String,
    },
    /// An option has a value that is out of range.
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// Coding would need more memory than the limit allows.
    #[error("needs {needed} bytes of memory ({}), more than the limit of {limit} bytes ({})", mib(*needed), mib(*limit))]
    MemoryLimit {
        /// Bytes the stream or the options need at most.
        needed: u64,
        /// The limit in force.
        limit: u64,
    },
}

/// Which part of a stream an [`Error::Corrupt`] is in, for callers that handle the cases
/// apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CorruptKind {
    /// The container: stream header, block frames, trailer, compact frame heads,
    /// their sizes and order.
    Container,
    /// A model's settings or a block's parameters.
    Parameters,
    /// The entropy-coded payload: it does not decode to the block.
    Payload,
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}

impl Error {
    /// A [`Error::Corrupt`] of the container, outside any block.
    pub(crate) fn corrupt(what: impl Into<String>) -> Self {
        Error::corrupt_in(CorruptKind::Container, what)
    }

    /// A [`Error::Corrupt`] of model settings or parameters.
    pub(crate) fn bad_params(what: impl Into<String>) -> Self {
        Error::corrupt_in(CorruptKind::Parameters, what)
    }

    /// A [`Error::Corrupt`] of an entropy-coded payload.
    pub(crate) fn bad_payload(what: impl Into<String>) -> Self {
        Error::corrupt_in(CorruptKind::Payload, what)
    }

    fn corrupt_in(kind: CorruptKind, what: impl Into<String>) -> Self {
        Error::Corrupt {
            block: None,
            kind,
            what: what.into(),
        }
    }

    /// Attach a block index to a corruption error that has none.
    pub(crate) fn in_block(self, index: u64) -> Self {
        match self {
            Error::Corrupt {
                block: None,
                kind,
                what,
            } => Error::Corrupt {
                block: Some(index),
                kind,
                what,
            },
            Error::Truncated(_) => Error::Corrupt {
                block: Some(index),
                kind: CorruptKind::Container,
                what: "block data ends early".into(),
            },
            other => other,
        }
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        match e {
            Error::Io(e) => e,
            Error::InvalidOption(_) | Error::UnknownModelName(_) => {
                io::Error::new(io::ErrorKind::InvalidInput, e)
            }
            Error::MemoryLimit { .. } => io::Error::new(io::ErrorKind::OutOfMemory, e),
            Error::Model(_) => io::Error::other(e),
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
