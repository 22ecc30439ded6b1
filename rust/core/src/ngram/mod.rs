//! The n-gram language model: counting and modified Kneser-Ney estimation ([`build`]), the
//! mmap-able binary model and its queries ([`model`]), and ARPA in and out ([`arpa`]).

pub mod arpa;
pub mod build;
pub mod model;

pub use build::{BuildOptions, NgramBuilder};
pub use model::{Context, LmState, NgramModel, Tables, MAX_ORDER};
