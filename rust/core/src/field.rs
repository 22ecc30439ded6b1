//! A text field's memory of what it showed for the word being typed. A word the strip showed
//! and the user typed past ("pa" showed "patient", they typed "t") is not the word they want,
//! so while they go on typing that word it gives its slot to another one. The memory holds only
//! the words shown for the current word, in memory (zeroized), and forgets them as soon as the
//! text stops extending that word (a space, a deletion, another field). Of the typed text it
//! keeps only hashes.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use zeroize::Zeroize;

use crate::blend::place_expansions;
use crate::decode::Tap;
use crate::engine::{Engine, Suggestion, SuggestionKind, MAX_K};
use crate::error::Result;
use crate::personal::UserModel;
use crate::text;

/// Words remembered for one word at most (a long word typed letter by letter).
const MAX_REMEMBERED: usize = 48;
/// The word is recognised by the last this many bytes of the text before it, so a caller that
/// passes a sliding window of the text (the last N characters, as keyboards do) keeps the
/// memory.
const KEY_BYTES: usize = 16;

/// What one text field showed for the word being typed (see the module docs).
#[derive(Default)]
pub struct FieldMemory {
    /// Hash of the end of the text before the word; the memory belongs to that word only.
    before: u64,
    /// Length and hash of the partial word the last recorded list was shown for.
    partial_len: usize,
    partial: u64,
    /// Folded words shown, each with the length (bytes) of the partial word it was shown for.
    shown: Vec<(usize, String)>,
}

impl FieldMemory {
    /// An empty memory.
    pub fn new() -> FieldMemory {
        FieldMemory::default()
    }

    /// Forget everything shown.
    pub fn clear(&mut self) {
        for (_, w) in self.shown.iter_mut() {
            w.zeroize();
        }
        self.shown.clear();
        (self.before, self.partial_len, self.partial) = (0, 0, hash(""));
    }

    /// Keep the memory only if `partial` (after the text hashing to `before`) extends the word
    /// it was recorded for.
    fn sync(&mut self, before: u64, partial: &str) {
        let extends = partial
            .get(..self.partial_len)
            .is_some_and(|p| hash(p) == self.partial);
        if before != self.before || !extends {
            self.clear();
            self.before = before;
        }
    }

    /// Words shown for a shorter partial of the current word: the user typed past them.
    fn passed_over(&self, partial_len: usize) -> impl Iterator<Item = &str> {
        self.shown
            .iter()
            .filter(move |(n, _)| *n < partial_len)
            .map(|(_, w)| w.as_str())
    }

    fn record(&mut self, partial: &str, shown: &[&str]) {
        let n = partial.len();
        // Asked again for the same text: the new list replaces the old one.
        self.shown.retain_mut(|(m, w)| {
            let keep = *m < n;
            if !keep {
                w.zeroize();
            }
            keep
        });
        for w in shown {
            if self.shown.len() == MAX_REMEMBERED {
                let (_, mut old) = self.shown.remove(0);
                old.zeroize();
            }
            self.shown.push((n, text::fold(w)));
        }
        (self.partial_len, self.partial) = (partial.len(), hash(partial));
    }
}

fn hash(s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

impl std::fmt::Debug for FieldMemory {
    // Sizes only: the content is what the user typed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldMemory")
            .field("shown", &self.shown.len())
            .finish()
    }
}

impl Drop for FieldMemory {
    fn drop(&mut self) {
        self.clear();
    }
}

impl Engine {
    /// Hash of the end of the text before the partial word of `text`, and that partial word.
    fn field_key<'a>(&self, text: &'a str) -> (u64, &'a str) {
        key_of(text, self.partial(text))
    }

    /// [`Engine::suggest_blended`] for a text field: the words `field` showed earlier for the
    /// word being typed are left out, and, with `record`, what this call returns is
    /// remembered (without it, call [`Engine::record_shown`] with what was shown in the end).
    #[allow(clippy::too_many_arguments)]
    pub fn suggest_in_field(
        &self,
        text: &str,
        taps: Option<&[Tap]>,
        k: usize,
        user: Option<&UserModel>,
        decode: bool,
        field: &mut FieldMemory,
        record: bool,
        out: &mut Vec<Suggestion>,
    ) -> Result<()> {
        let cur = self.parse(text);
        let (before, partial) = key_of(text, cur.partial);
        field.sync(before, partial);
        let passed: Vec<&str> = field.passed_over(partial.len()).collect();
        if passed.is_empty() {
            self.suggest_blended_at(text, &cur, taps, k, user, decode, out)?;
        } else {
            let pool = (k + passed.len()).min(MAX_K);
            self.suggest_blended_at(text, &cur, taps, pool, user, decode, out)?;
            // Choose the k best as the ranking does (probability times saving), show them by
            // probability; expansions keep the last slots, as in `suggest_blended`.
            let mut expansions: Vec<Suggestion> = Vec::new();
            let mut left_out: Vec<Suggestion> = Vec::new();
            out.retain(|s| {
                let shortcut = s.kind == SuggestionKind::Shortcut;
                if passed.contains(&text::fold(&s.text).as_str()) {
                    if !shortcut {
                        left_out.push(s.clone());
                    }
                    return false;
                }
                if shortcut {
                    expansions.push(s.clone());
                    return false;
                }
                true
            });
            if out.is_empty() {
                // Every word left was typed past (the whole word is typed, say): show them again
                // rather than an empty strip.
                *out = left_out;
            }
            self.sort_by_saving(out, partial.chars().count());
            place_expansions(out, expansions, k);
            let n = out
                .iter()
                .take_while(|s| s.kind != SuggestionKind::Shortcut)
                .count();
            out[..n].sort_by(|a, b| b.score.total_cmp(&a.score));
        }
        if record {
            let shown: Vec<&str> = out.iter().map(|s| s.text.as_str()).collect();
            field.record(partial, &shown);
        }
        Ok(())
    }

    /// Remember that `shown` was displayed for `text` in `field` (after a caller reranked the
    /// list that [`Engine::suggest_in_field`] gave without recording).
    pub fn record_shown(&self, text: &str, shown: &[&str], field: &mut FieldMemory) {
        let (before, partial) = self.field_key(text);
        field.sync(before, partial);
        field.record(partial, shown);
    }
}

/// [`Engine::field_key`] for a partial word already split off `text` (a suffix of it).
fn key_of<'a>(text: &str, partial: &'a str) -> (u64, &'a str) {
    let text = text::tail(text, crate::engine::MAX_CONTEXT_BYTES);
    let before = &text[..text.len() - partial.len()];
    (hash(text::tail(before, KEY_BYTES)), partial)
}
