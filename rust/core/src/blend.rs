//! The user's words in the suggestions: the personal model mixed with the pack's, user shortcuts,
//! and the pack's clinical abbreviation expansions (offered, never applied).

use crate::decode::Tap;
use crate::engine::{Cursor, Engine, Suggestion, SuggestionKind};
use crate::error::Result;
use crate::lexicon::flags;
use crate::personal::UserModel;
use crate::text::{self, Token};

/// Weight of the user's model in the mixture: USER_WEIGHT_MIN where the user never typed the
/// context, rising towards USER_WEIGHT_MAX the more often they did (half way at
/// USER_EVIDENCE_HALF uses), so the user's habits win where they are strong.
const USER_WEIGHT_MIN: f64 = 0.05;
const USER_WEIGHT_MAX: f64 = 0.35;
const USER_EVIDENCE_HALF: f64 = 1.0;
/// Candidates taken from the pack when a user model takes part: the mixture may lift a word
/// from below the pack's top k.
const USER_POOL: usize = 12;

fn user_weight(evidence: f64) -> f64 {
    USER_WEIGHT_MIN
        + (USER_WEIGHT_MAX - USER_WEIGHT_MIN) * evidence / (evidence + USER_EVIDENCE_HALF)
}

/// Days since the Unix epoch, the clock of the personal model's forgetting curve.
pub fn now_days() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() / 86_400.0)
        .unwrap_or(0.0)
}

impl Engine {
    /// The last two words before the partial word, folded (for the user's n-grams).
    fn prev_words(&self, before: &str) -> Vec<String> {
        let mut prev: Vec<String> = Vec::new();
        for tok in text::tokens(text::tail(before, crate::engine::MAX_CONTEXT_BYTES)) {
            match tok {
                Token::Word(w) => {
                    if prev.len() == 2 {
                        prev.remove(0);
                    }
                    prev.push(text::fold(w));
                }
                Token::Num | Token::Comma => {}
                Token::Boundary | Token::LineBreak => prev.clear(),
            }
        }
        prev
    }

    /// Suggestions mixing the pack with `user`'s model, plus shortcut and abbreviation expansions.
    pub fn suggest_for_user(
        &self,
        text: &str,
        taps: Option<&[Tap]>,
        k: usize,
        user: Option<&UserModel>,
        out: &mut Vec<Suggestion>,
    ) -> Result<()> {
        self.suggest_blended(text, taps, k, user, true, out)
    }

    /// [`Self::suggest_for_user`] with the decoder optional (`decode: false` gives literal
    /// completions only: the "decoder off" benchmark variant).
    pub fn suggest_blended(
        &self,
        text: &str,
        taps: Option<&[Tap]>,
        k: usize,
        user: Option<&UserModel>,
        decode: bool,
        out: &mut Vec<Suggestion>,
    ) -> Result<()> {
        self.suggest_blended_at(text, &self.parse(text), taps, k, user, decode, out)
    }

    /// [`Self::suggest_blended`] with `text` already parsed into `cur`: the text is read once.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn suggest_blended_at(
        &self,
        text: &str,
        cur: &Cursor<'_>,
        taps: Option<&[Tap]>,
        k: usize,
        user: Option<&UserModel>,
        decode: bool,
        out: &mut Vec<Suggestion>,
    ) -> Result<()> {
        let user = user.filter(|u| !u.is_empty());
        let pool = if user.is_some() { k.max(USER_POOL) } else { k };
        if decode {
            self.suggest_with_taps_at(cur, taps, pool, out)?;
        } else {
            self.suggest_at(cur, pool, out)?;
        }
        let mut expansions: Vec<Suggestion> = Vec::new();
        let before = &text[..text.len() - cur.partial.len()];
        let prev = user.map(|_| self.prev_words(before)).unwrap_or_default();
        let prev: Vec<&str> = prev.iter().map(String::as_str).collect();
        if let Some((u, q)) = user.and_then(|u| Some((u, u.query(&prev, now_days())?))) {
            let w = user_weight(q.evidence());
            let mix = |base: f32, pu: Option<f32>| {
                let pu = pu.map_or(0.0, |u| 10f64.powf(f64::from(u)));
                ((1.0 - w) * 10f64.powf(f64::from(base)) + w * pu).log10() as f32
            };
            for s in out.iter_mut() {
                s.score = mix(s.score, q.log10_prob(&s.text));
            }
            let kind = if cur.partial.is_empty() {
                SuggestionKind::Next
            } else {
                SuggestionKind::Completion
            };
            let ctx = self.context(&cur.state);
            // Each word folded once (comparing pairs folded 2 x pool x candidates strings).
            let mut keys: Vec<String> = out.iter().map(|s| text::fold(&s.text)).collect();
            for (word, pu) in q.candidates(cur.partial, pool) {
                let key = text::fold(&word);
                if keys.contains(&key) {
                    continue;
                }
                let base = self
                    .lexicon
                    .id(&key)
                    .map_or(-12.0, |id| self.log10_prob(&ctx, id));
                keys.push(key);
                out.push(Suggestion {
                    text: word,
                    score: mix(base, Some(pu)),
                    kind,
                });
            }
            self.sort_by_saving(out, cur.partial.chars().count());
            if let Some(e) = u.expand(cur.partial) {
                expansions.push(Suggestion {
                    text: e.to_string(),
                    score: 0.0,
                    kind: SuggestionKind::Shortcut,
                });
            }
        } else {
            out.sort_by(|a, b| b.score.total_cmp(&a.score));
        }
        if let Some(e) = self.abbreviation(cur.partial) {
            if !expansions.iter().any(|s| s.text == e) {
                expansions.push(Suggestion {
                    text: e.to_string(),
                    score: -99.0,
                    kind: SuggestionKind::Shortcut,
                });
            }
        }
        out.dedup_by(|a, b| a.text == b.text);
        place_expansions(out, expansions, k);
        Ok(())
    }

    /// The expansion of a known clinical abbreviation typed as `typed`: only when written in
    /// capitals or when it is not an ordinary word, so "all" never becomes a diagnosis.
    pub fn abbreviation(&self, typed: &str) -> Option<&str> {
        if typed.chars().count() < 2 {
            return None;
        }
        let key = text::fold(typed);
        let e = self.abbreviations.get(&key)?;
        let upper = typed.chars().all(|c| !c.is_lowercase());
        let ordinary = self
            .lexicon
            .id(&key)
            .is_some_and(|id| self.lexicon.flags(id) & flags::GENERAL != 0);
        (upper || !ordinary).then_some(e.as_str())
    }
}

/// Keep `k` suggestions: the best of `out` first, then `expansions` in the last slots (at least
/// one slot stays for `out`, so the best completion stays first).
pub(crate) fn place_expansions(out: &mut Vec<Suggestion>, expansions: Vec<Suggestion>, k: usize) {
    out.truncate(k.saturating_sub(expansions.len().min(k.saturating_sub(1))));
    for e in expansions {
        if out.len() < k {
            out.push(e);
        }
    }
}
