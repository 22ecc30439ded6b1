//! keywise-core: the per-keystroke path of the keywise prediction engine, in pure Rust.
#![deny(missing_docs)]

pub mod blend;
pub mod correct;
pub mod decode;
pub mod engine;
pub mod error;
pub mod field;
pub mod format;
pub mod layout;
pub mod lexicon;
pub mod ngram;
pub mod pack;
pub mod personal;
pub mod text;

pub use error::{Error, Result};
