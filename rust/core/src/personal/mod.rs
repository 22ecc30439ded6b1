//! Personal learning: the user's own words, n-grams and shortcuts, kept in one encrypted file.
//!
//! - [`UserModel`] learns from text the user committed ([`UserModel::learn`]): words enter the
//!   user's lexicon after [`LearnConfig::min_uses`] uses (default 2); unigrams, bigrams and
//!   trigrams are counted with an exponential forgetting curve (half-life in days, default 90;
//!   the clock is passed in as `now_days`, e.g. days since the Unix epoch, so callers and tests
//!   control it). It answers the engine's per-keystroke questions without touching the disk:
//!   [`UserModel::candidates`] and [`UserModel::log10_prob`] (interpolated Witten-Bell over
//!   the user's trigram/bigram/unigram counts), [`UserModel::knows`], [`UserModel::expand`].
//!   The engine blends these with the pack (and skips `learn` in incognito mode).
//! - Visible and under control: [`UserModel::words`], `add_word`, `forget` (the word and every
//!   n-gram containing it), `wipe`, shortcuts, `export_words` / `import_words` (plain list or
//!   Hunspell `.dic`; the export is the one plain-text output, made on the user's request).
//! - [`PhiFilter`] keeps identifiers (digits, e-mail addresses, URLs, person names) out of what
//!   is learned; n-grams never span a dropped token.
//! - [`UserStore`] owns a model and its file: XChaCha20-Poly1305 with a raw 32-byte key or an
//!   Argon2id passphrase, the header authenticated, saves atomic (temp file, fsync, rename,
//!   fsync folder). Any damage or a wrong key gives `Error::Integrity` and leaves the file as
//!   it was. Keys and decrypted buffers are zeroized on drop; the model's strings are zeroized
//!   when forgotten, wiped or dropped (best effort: the allocator may have moved copies).
//!
//! Conventions. Words are keyed by their folded form ([`fold`], lower case); the display form
//! is the spelling the user typed most often, sentence-initial capitals not counted
//! ("Xarelto", "MRI"). `prev` arguments are the words before the cursor in the current
//! sentence, oldest first, as typed (only the last two are used; pass `&[]` at a sentence
//! start). A `now_days` earlier than the latest day given to `learn` is treated as that day
//! (a clock that goes backwards never inflates counts). Capacities are bounded
//! ([`LearnConfig::max_words`], [`LearnConfig::max_ngrams`], 200k each by default; the
//! weakest decayed counts go first, added words never). One `UserStore` per file at a time: a
//! lock file enforces it (`Error::InUse`).
//!
//! ```no_run
//! use keywise_core::personal::{PhiFilter, PhiPolicy, StoreKey, UserStore};
//! # fn main() -> keywise_core::error::Result<()> {
//! let mut store = UserStore::open("user.kws".as_ref(), StoreKey::Raw([7; 32]))?;
//! let phi = PhiFilter::new(PhiPolicy::Strict, ["Alice".to_string()]);
//! store.model_mut().learn("started Xarelto today, Xarelto 20 mg", &phi, 19_000.0)?;
//! let top = store.model().candidates(&["started"], "xa", 3, 19_000.5);
//! store.save()?;
//! # let _ = top; Ok(()) }
//! ```

mod codec;
mod learn;
mod phi;
mod store;
mod table;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

pub use learn::{LearnConfig, LearnReport, UserModel, UserQuery};
pub use phi::{PhiFilter, PhiPolicy};
pub use store::{KdfParams, StoreKey, UserStore};

/// Longest word (UTF-8 bytes) that is learned, added or imported.
pub const MAX_WORD_BYTES: usize = 64;
/// Longest shortcut abbreviation (bytes).
pub const MAX_ABBREV_BYTES: usize = 32;
/// Longest shortcut expansion (bytes).
pub const MAX_EXPANSION_BYTES: usize = 1024;
/// Most shortcuts a store holds.
pub const MAX_SHORTCUTS: usize = 10_000;
/// Largest text accepted by one `learn` call (bytes).
pub const MAX_LEARN_BYTES: usize = 1 << 20;

/// The folded (lower-case) form of a word; borrows when there is nothing to fold.
pub fn fold(w: &str) -> Cow<'_, str> {
    if w.is_ascii() {
        if w.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(w.to_ascii_lowercase())
        } else {
            Cow::Borrowed(w)
        }
    } else if w.chars().any(|c| c.to_lowercase().ne(std::iter::once(c))) {
        Cow::Owned(w.to_lowercase())
    } else {
        Cow::Borrowed(w)
    }
}

/// Why a word given by the user is not acceptable (never quotes the word).
fn check_word(w: &str) -> Result<(), &'static str> {
    if w.is_empty() {
        return Err("word is empty");
    }
    if w.len() > MAX_WORD_BYTES {
        return Err("word is longer than 64 bytes");
    }
    if w.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("word contains whitespace or control characters");
    }
    Ok(())
}
