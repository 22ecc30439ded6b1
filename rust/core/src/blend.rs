//! The user's words in the suggestions: the personal model mixed with the pack's, user shortcuts,
//! and the pack's clinical abbreviation expansions (offered, never applied).

use crate::decode::Tap;
use crate::engine::{Engine, Suggestion, SuggestionKind};
use crate::error::Result;
use crate::lexicon::flags;
use crate::personal::UserModel;
use crate::text::{self, Token};

/// Weight of the user's model in the mixture: strong user habits (a high P_user) win.
const USER_WEIGHT: f64 = 0.35;

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
        if decode {
            self.suggest_with_taps(text, taps, k, out)?;
        } else {
            self.suggest(text, k, out)?;
        }
        let cur = self.parse(text);
        let mut expansions: Vec<Suggestion> = Vec::new();
        if let Some(u) = user.filter(|u| !u.is_empty()) {
            let now = now_days();
            let before = &text[..text.len() - cur.partial.len()];
            let prev = self.prev_words(before);
            let prev: Vec<&str> = prev.iter().map(String::as_str).collect();
            for s in out.iter_mut() {
                if let Some(pu) = u.log10_prob(&prev, &s.text, now) {
                    s.score = mix(s.score, pu);
                }
            }
            for (word, pu) in u.candidates(&prev, cur.partial, k, now) {
                let shown = word.clone();
                if out
                    .iter()
                    .any(|s| text::fold(&s.text) == text::fold(&shown))
                {
                    continue;
                }
                let base = self.lexicon.id(&text::fold(&word)).map_or(-12.0, |id| {
                    let ctx = self.context(&cur.state);
                    self.log10_prob(&ctx, id)
                });
                out.push(Suggestion {
                    text: shown,
                    score: mix(base, pu),
                    kind: if cur.partial.is_empty() {
                        SuggestionKind::Next
                    } else {
                        SuggestionKind::Completion
                    },
                });
            }
            if let Some(e) = u.expand(cur.partial) {
                expansions.push(Suggestion {
                    text: e.to_string(),
                    score: 0.0,
                    kind: SuggestionKind::Shortcut,
                });
            }
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
        out.sort_by(|a, b| b.score.total_cmp(&a.score));
        out.dedup_by(|a, b| a.text == b.text);
        // Expansions take the last slots, so the best completion stays first.
        out.truncate(k.saturating_sub(expansions.len().min(k.saturating_sub(1))));
        for e in expansions {
            if out.len() < k {
                out.push(e);
            }
        }
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

fn mix(base_log10: f32, user_log10: f32) -> f32 {
    let p = (1.0 - USER_WEIGHT) * 10f64.powf(base_log10 as f64)
        + USER_WEIGHT * 10f64.powf(user_log10 as f64);
    p.log10() as f32
}
