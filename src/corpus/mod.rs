//! Synthetic corpora.
