//! The autocorrect decision (should the typed word be replaced on space?) and the clinical
//! safety guard.
//!
//! Rule: the candidates' scores and a "keep what was typed" hypothesis (the word itself when
//! it is known, else an out-of-vocabulary word at `oov_log10`) form a posterior; confidence is
//! the best replacement's posterior times (1 - edit distance / length), as in LatinIME, and must
//! pass the level's threshold. A word the user taught is never replaced. A lexicon word is
//! replaced only by a single edit: when the posterior is at least the level's
//! `known_word_posterior` (a real-word error the context makes plain: "injection yo" ->
//! "to"; never at the conservative level), or when it is rare (`rare_word_log10`: big word
//! lists carry misspellings like "hte") and the posterior is at least `rare_word_posterior`
//! (abbreviations, drugs and names never).
//!
//! Guard (general, from flags and number/unit rules): text with digits, and dose units, are
//! never changed; a replacement that is or contains a dose unit or a digit is only offered; a
//! drug name is never replaced by anything, and a replacement that is a drug is only offered
//! when another drug scores within `drug_margin` nats, or another drug in the search's pool is
//! at most one edit further from the typed text, or any other drug in the vocabulary is one
//! edit from the typed text, or the edit is longer than `drug_max_edits`.
//! Offered-but-not-applied results say why in [`Correction::guard`].

use super::search::compact_pool;
use super::{DecodeOptions, Decoder, Scratch, Tap, Vocab, ABBREV, DRUG, FIRST_WORD_ID, NAME};
use crate::error::Result;

const LN10: f32 = std::f32::consts::LN_10;
/// Drug candidates checked as look-alike rivals per decision (bounds the work).
const MAX_DRUG_RIVALS: usize = 64;
/// Longest typed word whose one-edit variants are looked up for rival drugs.
const MAX_VARIANT_CHARS: usize = 40;

/// How eagerly to replace what was typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// Never replace.
    Off,
    /// Only clear-cut fixes of unknown words.
    Conservative,
    /// The default.
    Normal,
    /// Also fixes with less margin, and known words with overwhelming evidence.
    Aggressive,
}

/// Why a correction is offered but must not be applied automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Guard {
    /// Nothing stops it: apply.
    None,
    /// It would change a drug name, or pick one of several look-alike drugs.
    Drug,
    /// It would change a number or a dose unit.
    Dose,
}

/// A proposed replacement for the word just typed.
#[derive(Debug, Clone, PartialEq)]
pub struct Correction {
    /// Replacement text (folded keys; two words joined by a space for a missed space).
    pub text: String,
    /// Id of the (first) word.
    pub id: u32,
    /// Id of the second word for a split.
    pub second: Option<u32>,
    /// Posterior × (1 - edit distance / length), in [0, 1].
    pub confidence: f32,
    /// Safety verdict; anything but `Guard::None` means "offer, don't apply".
    pub guard: Guard,
    /// Whether to replace automatically (`guard == Guard::None`).
    pub apply: bool,
}

/// Dose and measurement units: changing one of these changes a dose. Compounds like "mg/kg"
/// count when every part is a unit or a number.
pub fn is_dose_unit(word: &str) -> bool {
    const UNITS: &[&str] = &[
        "g", "gm", "gram", "grams", "mg", "mgs", "mcg", "mcgs", "ug", "µg", "μg", "ng", "kg", "lb",
        "lbs", "l", "ml", "mls", "dl", "ul", "µl", "μl", "cc", "mol", "mmol", "umol", "µmol",
        "nmol", "meq", "eq", "iu", "u", "unit", "units", "mu", "tab", "tabs", "cap", "caps",
        "puff", "puffs", "gtt", "gtts", "drop", "drops", "mm", "cm", "mmhg", "%", "h", "hr", "hrs",
        "min",
    ];
    let w = word.trim_end_matches('.');
    if w.is_empty() || w.len() > 16 {
        return false;
    }
    let mut any_unit = false;
    for part in w.split('/') {
        let lower_is = |u: &&str| part.eq_ignore_ascii_case(u);
        if UNITS.iter().any(lower_is) {
            any_unit = true;
        } else if part.is_empty() || !part.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return false;
        }
    }
    any_unit
}

fn has_digit(s: &str) -> bool {
    s.chars().any(|c| c.is_numeric())
}

/// Optimal-string-alignment distance between `a` and `b` using the caller's buffer.
fn osa_distance(a: &[char], b: &[char], buf: &mut Vec<u32>) -> u32 {
    let w = b.len() + 1;
    buf.clear();
    buf.resize(3 * w, 0);
    let (mut r0, mut r1, mut r2) = (0usize, w, 2 * w); // rows i-2, i-1, i
    for j in 0..w {
        buf[r1 + j] = j as u32;
    }
    for i in 1..=a.len() {
        buf[r2] = i as u32;
        for j in 1..w {
            let cost = u32::from(a[i - 1] != b[j - 1]);
            let mut v = (buf[r1 + j] + 1)
                .min(buf[r2 + j - 1] + 1)
                .min(buf[r1 + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(buf[r0 + j - 2] + 1);
            }
            buf[r2 + j] = v;
        }
        (r0, r1, r2) = (r1, r2, r0);
    }
    buf[r1 + w - 1]
}

/// Is a drug other than `best` (and than the typed word) one edit from `typed`? Looks every
/// one-edit variant up in the vocabulary, so it finds look-alikes the search pruned (a changed
/// first letter: "herobin" is one edit from heroin and from aerobin). Bounded: at most
/// 54·n + 26 lookups, only for words of at most `MAX_VARIANT_CHARS` characters.
fn other_drug_one_edit(
    vocab: &dyn Vocab,
    typed: &[char],
    best: u32,
    self_id: Option<u32>,
    buf: &mut String,
) -> bool {
    const LETTERS: &str = "abcdefghijklmnopqrstuvwxyz";
    if typed.len() > MAX_VARIANT_CHARS {
        return true; // too long to check: treat as ambiguous (offer, don't apply)
    }
    let check = |buf: &String| {
        vocab
            .id(buf)
            .is_some_and(|id| id != best && Some(id) != self_id && vocab.flags(id) & DRUG != 0)
    };
    let n = typed.len();
    for i in 0..=n {
        for c in LETTERS.chars() {
            // insertion before i
            buf.clear();
            buf.extend(typed[..i].iter());
            buf.push(c);
            buf.extend(typed[i..].iter());
            if check(buf) {
                return true;
            }
            // substitution at i
            if i < n && typed[i] != c {
                buf.clear();
                buf.extend(typed[..i].iter());
                buf.push(c);
                buf.extend(typed[i + 1..].iter());
                if check(buf) {
                    return true;
                }
            }
        }
        if i < n {
            // omission of i
            buf.clear();
            buf.extend(typed[..i].iter());
            buf.extend(typed[i + 1..].iter());
            if check(buf) {
                return true;
            }
            // transposition of i, i + 1
            if i + 1 < n && typed[i] != typed[i + 1] {
                buf.clear();
                buf.extend(typed[..i].iter());
                buf.push(typed[i + 1]);
                buf.push(typed[i]);
                buf.extend(typed[i + 2..].iter());
                if check(buf) {
                    return true;
                }
            }
        }
    }
    false
}

fn log_sum_exp(xs: impl Iterator<Item = f32> + Clone) -> f32 {
    let m = xs.clone().fold(f32::NEG_INFINITY, f32::max);
    if !m.is_finite() {
        return m;
    }
    m + xs.map(|x| (x - m).exp()).sum::<f32>().ln()
}

impl Decoder {
    /// Decide, on space, whether `typed` should be replaced. `pair_lm` scores a split's second
    /// word in context. `known_to_user`: the typed word is one of the user's own words.
    /// `rejected(typed, replacement)`: the user undid this before. Returns `None` to keep what
    /// was typed.
    #[allow(clippy::too_many_arguments)]
    pub fn autocorrect(
        &self,
        vocab: &dyn Vocab,
        typed: &str,
        taps: Option<&[Tap]>,
        lm: &dyn Fn(u32) -> f32,
        pair_lm: Option<super::PairLm<'_>>,
        level: Level,
        known_to_user: bool,
        rejected: &dyn Fn(&str, &str) -> bool,
        scratch: &mut Scratch,
    ) -> Result<Option<Correction>> {
        let p = self.params();
        if level == Level::Off || known_to_user {
            // Still validate input so bad taps are reported consistently.
            if let Some(t) = taps {
                if t.iter().any(|t| !(t.x.is_finite() && t.y.is_finite())) {
                    return Err(crate::error::Error::InvalidInput(
                        "tap coordinates must be finite".into(),
                    ));
                }
            }
            return Ok(None);
        }
        let opts = DecodeOptions {
            k: p.autocorrect_k,
            allow_completion: false,
            allow_split: true,
            offsets: None,
            pair_lm,
        };
        self.run(vocab, typed, taps, lm, &opts, scratch)?;
        let s = scratch;
        let n = s.input.chars.len();
        if n == 0 || s.pool.is_empty() {
            return Ok(None);
        }
        // Numbers and units are never touched (the input is already validated and bounded).
        if has_digit(typed) || is_dose_unit(typed) {
            return Ok(None);
        }
        s.text.clear();
        s.text.extend(s.input.chars.iter());
        let self_id = vocab.id(&s.text).filter(|&id| id >= FIRST_WORD_ID);
        // Drugs anywhere in the search's pool (before it is cut to `autocorrect_k`): a rival
        // look-alike of the chosen drug must be seen even when the context ranks it low.
        let is_drug = |id: u32| vocab.flags(id) & DRUG != 0;
        let mut drugs: Vec<(u32, u32, f32)> = Vec::new(); // (id, edits from the input, score)
        for c in s
            .pool
            .iter()
            .filter(|c| c.second.is_none() && is_drug(c.id))
        {
            if drugs.len() >= MAX_DRUG_RIVALS {
                break;
            }
            s.rchars.clear();
            s.rchars.extend(vocab.key(c.id).chars());
            let d = osa_distance(&s.input.chars, &s.rchars, &mut s.dist);
            drugs.push((c.id, d, c.score));
        }
        compact_pool(&mut s.pool, p.autocorrect_k);
        let keep_score = match self_id {
            Some(id) => s
                .pool
                .iter()
                .find(|c| c.id == id && c.second.is_none())
                .map_or_else(|| p.lm_weight * LN10 * lm(id), |c| c.score),
            None => {
                let extra = n.saturating_sub(8) as f32 * p.oov_log10_per_char;
                p.lm_weight * LN10 * (p.oov_log10 - extra)
            }
        };
        let others = s
            .pool
            .iter()
            .filter(|c| !(Some(c.id) == self_id && c.second.is_none()));
        let lse = log_sum_exp(
            others
                .clone()
                .map(|c| c.score)
                .chain(std::iter::once(keep_score)),
        );
        // Best replacement the user has not rejected.
        let mut best = None;
        for c in others {
            s.text.clear();
            s.text.push_str(vocab.key(c.id));
            if let Some(b) = c.second {
                s.text.push(' ');
                s.text.push_str(vocab.key(b));
            }
            if rejected(typed, &s.text) {
                continue;
            }
            best = Some(*c);
            break;
        }
        let Some(best) = best else {
            return Ok(None);
        };
        // s.text holds the replacement; measure its distance from the input.
        s.rchars.clear();
        s.rchars.extend(s.text.chars());
        let dist = osa_distance(&s.input.chars, &s.rchars, &mut s.dist);
        let posterior = (best.score - lse).exp();
        let confidence = (posterior * (1.0 - dist as f32 / n as f32)).max(0.0);
        let threshold = match level {
            Level::Conservative => p.threshold[0],
            Level::Normal => p.threshold[1],
            _ => p.threshold[2],
        };
        if confidence < threshold {
            return Ok(None);
        }
        if let Some(id) = self_id {
            let li = match level {
                Level::Conservative => 0,
                Level::Normal => 1,
                _ => 2,
            };
            let any_known = dist <= 1 && posterior >= p.known_word_posterior[li];
            let rare = dist <= 1
                && vocab.flags(id) & (ABBREV | DRUG | NAME) == 0
                && vocab.log10_unigram(id) <= p.rare_word_log10
                && posterior >= p.rare_word_posterior[li];
            if !(any_known || rare) {
                return Ok(None);
            }
        }
        let repl_drug = is_drug(best.id) || best.second.is_some_and(is_drug);
        let mut guard = Guard::None;
        let unit_or_number = |id: u32| is_dose_unit(vocab.key(id)) || has_digit(vocab.key(id));
        if unit_or_number(best.id) || best.second.is_some_and(unit_or_number) {
            guard = Guard::Dose;
        } else if self_id.is_some_and(is_drug) {
            guard = Guard::Drug;
        } else if repl_drug && p.never_apply_drugs {
            // Into a drug name: always offered, never applied. A rival look-alike two edits
            // away ("lssix": Lasix or elsix?) is not reliably found, and a wrong drug is harm.
            guard = Guard::Drug;
        } else if repl_drug {
            let near_score = s.pool.iter().any(|c| {
                (c.id, c.second) != (best.id, best.second)
                    && Some(c.id) != self_id
                    && (is_drug(c.id) || c.second.is_some_and(is_drug))
                    && c.score >= best.score - p.drug_margin
            });
            // Another drug about as close to what was typed (edits), however the context
            // ranks it: "prednisoone" is one edit from prednisone and from prednisolone.
            let near_edits = drugs.iter().any(|&(id, d, score)| {
                (id, None) != (best.id, best.second)
                    && Some(id) != self_id
                    && (d <= dist + 1 || score >= best.score - p.drug_margin)
            });
            let rival = near_score
                || near_edits
                || other_drug_one_edit(vocab, &s.input.chars, best.id, self_id, &mut String::new());
            if rival || dist > p.drug_max_edits {
                guard = Guard::Drug;
            }
        }
        Ok(Some(Correction {
            text: s.text.clone(),
            id: best.id,
            second: best.second,
            confidence,
            guard,
            apply: guard == Guard::None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_distance() {
        for u in ["mg", "mcg", "mL", "L", "units", "mg/kg", "5/mg", "IU"] {
            assert!(is_dose_unit(u), "{u}");
        }
        for w in ["patient", "", "mgx", "5", "/"] {
            assert!(!is_dose_unit(w), "{w}");
        }
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        let mut b = Vec::new();
        assert_eq!(osa_distance(&c("pstient"), &c("patient"), &mut b), 1);
        assert_eq!(osa_distance(&c("ptaient"), &c("patient"), &mut b), 1);
        assert_eq!(osa_distance(&c("ofthe"), &c("of the"), &mut b), 1);
        assert_eq!(osa_distance(&c(""), &c("abc"), &mut b), 3);
        assert_eq!(osa_distance(&c("kitten"), &c("sitting"), &mut b), 3);
    }
}
