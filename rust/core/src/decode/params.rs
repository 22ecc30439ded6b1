//! Every tuned constant of the decoder, in one place.
//!
//! Costs are negative natural-log probabilities ("nats") of the noisy-channel model
//! P(what was typed | intended word); scores add the language model as
//! `lm_weight * ln(10) * log10 P(word | context)`. The edit costs keep the ratios of AOSP
//! LatinIME's published costs (substitution 0.38, omission 0.467, insertion 0.72,
//! transposition 0.56) scaled so that one substitution costs about what a 1-in-150 event
//! costs. Doubled/undoubled letters and dropped apostrophes/hyphens are far more common than
//! other edits (kebbie's noise model doubles letters when it "adds a char"), so they are cheap.
//! Values were tuned on synthetic kebbie-style noise over words of the clinical *train* text
//! (`examples/quality.rs` of the decoder's scratch crate); nothing from an eval split. The
//! spelling costs and `oov_log10_per_char` were chosen on kebbie runs over held-out train
//! sentences (`python -m benches.holdout kebbie`), likewise never on an eval split.

/// Decoder parameters. `Params::default()` is the tuned set; a pack's manifest may override
/// any of them (`"decoder": {"threshold": [0.5, 0.15, 0.067]}`), the rest keep their defaults.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Default tap spread (standard deviation) in key widths, x.
    pub spread_x: f32,
    /// Default tap spread in rows, y.
    pub spread_y: f32,
    /// Probability that a tap is not explained by its key's Gaussian at all (floor).
    pub touch_floor: f32,
    /// Cost of typing another letter than intended (any key; caps the touch cost, which the
    /// touch floor already bounds at about ln(keys / touch_floor) = 7.3).
    pub substitution: f32,
    /// Cost of leaving out an intended letter.
    pub omission: f32,
    /// Cost of an extra typed letter.
    pub insertion: f32,
    /// Cost of swapping two adjacent letters (plus the touch costs of both).
    pub transposition: f32,
    /// A spelling error rather than a slip: a letter that sounds like the intended one typed on
    /// purpose (a vowel for another vowel, "c" for "s" or "k", "m" for "n"), however far apart
    /// their keys are ("seperate", "comfirm"). Caps the substitution cost of such pairs.
    pub spelling: f32,
    /// An extra vowel or "h" after the first letter, as spellers add them ("compleat",
    /// "whould"); caps the insertion cost there.
    pub spelling_insertion: f32,
    /// Extra letter that repeats the previous typed letter ("pattient").
    pub doubled_insertion: f32,
    /// A doubled letter typed once ("ocur" for "occur").
    pub doubled_omission: f32,
    /// Left out an apostrophe or hyphen ("dont" for "don't").
    pub symbol_omission: f32,
    /// A letter typed without its accent ("cafe" for "café").
    pub accent: f32,
    /// An extra space inside a word ("pa tient").
    pub extra_space: f32,
    /// A missing space between two words ("ofthe").
    pub missing_space: f32,
    /// The space bar missed for a letter just above it ("ofvthe": c, v, b, n, m on QWERTY).
    pub mistyped_space: f32,
    /// Added to omissions and insertions at the first letter: people rarely miss it.
    pub first_letter_extra: f32,
    /// Cost added to each completion (the word goes on past the typed prefix).
    pub completion: f32,
    /// Language model weight (scales ln P(word | context)).
    pub lm_weight: f32,
    /// Unigram weight for the second word of a split ("of the"), which has no context score.
    pub split_unigram_weight: f32,
    /// Beam width: trie nodes kept per depth.
    pub beam_width: usize,
    /// Nodes within this many nats of the best node at a depth survive (before the width cap).
    pub beam_margin: f32,
    /// The beam ranks a prefix by its cost less this share of the ln unigram probability of
    /// the best word below it, so a costly prefix of common words ("t" left out of "today")
    /// outlives a clean prefix of rare ones.
    pub prefix_weight: f32,
    /// Total alignment cost bound: `max_cost_base + max_cost_per_char * chars`.
    pub max_cost_base: f32,
    /// See `max_cost_base`.
    pub max_cost_per_char: f32,
    /// Longest word (in characters or taps) decoded; longer input gets no candidates.
    pub max_chars: usize,
    /// Completions looked at per matching trie node (highest unigram first).
    pub completions_per_node: usize,
    /// Candidate pool size before the final top-k.
    pub pool: usize,
    /// Best split points ("of" + "the") tried per word.
    pub max_splits: usize,
    /// log10 probability of an out-of-vocabulary word (the "keep what was typed" hypothesis).
    pub oov_log10: f32,
    /// Subtracted from `oov_log10` for each character past the eighth: a long unknown string
    /// is less likely a word of its own than two words run together ("limitingsalt").
    pub oov_log10_per_char: f32,
    /// Confidence thresholds, conservative / normal / aggressive. Confidence is the posterior of
    /// the best candidate times (1 - edit distance / length), as in LatinIME (0.185 "modest",
    /// 0.067 "aggressive").
    pub threshold: [f32; 3],
    /// Any word in the lexicon may be replaced (a real-word error: "yo" for "to"), only by a
    /// single edit, and only when the replacement's posterior over the typed word is at least
    /// this (conservative / normal / aggressive; above 1 = never).
    pub known_word_posterior: [f32; 3],
    /// A *rare* lexicon word (log10 unigram at most `rare_word_log10`: large word lists hold
    /// many misspellings such as "hte", "wtih", "teh") may be replaced at a level by a single
    /// edit when the replacement's posterior is at least this (conservative / normal /
    /// aggressive; above 1 = never). Abbreviations, drug names and person names never are.
    pub rare_word_posterior: [f32; 3],
    /// See `rare_word_posterior`.
    pub rare_word_log10: f32,
    /// Never apply a correction into a drug name (offer it): the clinical default.
    pub never_apply_drugs: bool,
    /// A drug correction is guarded when another drug scores within this many nats of it.
    pub drug_margin: f32,
    /// A drug correction further than this many edits from the typed text is guarded.
    pub drug_max_edits: u32,
    /// Candidates kept for the autocorrect decision.
    pub autocorrect_k: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            spread_x: 0.22,
            spread_y: 0.22,
            touch_floor: 0.02,
            substitution: 7.5,
            omission: 5.0,
            insertion: 8.0,
            transposition: 4.6,
            spelling: 5.0,
            spelling_insertion: 5.5,
            doubled_insertion: 4.0,
            doubled_omission: 3.0,
            symbol_omission: 1.0,
            accent: 1.0,
            extra_space: 4.5,
            missing_space: 4.5,
            mistyped_space: 5.0,
            first_letter_extra: 1.0,
            completion: 0.3,
            lm_weight: 1.0,
            split_unigram_weight: 1.0,
            beam_width: 40,
            beam_margin: 8.0,
            prefix_weight: 0.6,
            max_cost_base: 6.0,
            max_cost_per_char: 1.4,
            max_chars: 48,
            completions_per_node: 8,
            pool: 512,
            max_splits: 2,
            oov_log10: -8.5,
            oov_log10_per_char: 0.4,
            threshold: [0.5, 0.185, 0.067],
            known_word_posterior: [2.0, 0.6, 0.995],
            rare_word_posterior: [2.0, 0.99, 0.95],
            rare_word_log10: -6.0,
            drug_margin: 7.0,
            never_apply_drugs: true,
            drug_max_edits: 1,
            autocorrect_k: 8,
        }
    }
}

impl Params {
    /// Check that every value is usable (finite, positive where it must be, bounded sizes).
    pub fn validate(&self) -> crate::error::Result<()> {
        let costs = [
            self.spread_x,
            self.spread_y,
            self.substitution,
            self.omission,
            self.insertion,
            self.transposition,
            self.spelling,
            self.spelling_insertion,
            self.doubled_insertion,
            self.doubled_omission,
            self.symbol_omission,
            self.accent,
            self.extra_space,
            self.missing_space,
            self.mistyped_space,
            self.first_letter_extra,
            self.completion,
            self.lm_weight,
            self.split_unigram_weight,
            self.beam_margin,
            self.prefix_weight,
            self.max_cost_base,
            self.max_cost_per_char,
            self.drug_margin,
        ];
        let ok = costs.iter().all(|c| c.is_finite() && *c >= 0.0)
            && self.spread_x > 0.01
            && self.spread_y > 0.01
            && self.touch_floor > 0.0
            && self.touch_floor < 1.0
            && self.oov_log10.is_finite()
            && self.oov_log10_per_char.is_finite()
            && self.oov_log10_per_char >= 0.0
            && self.threshold.iter().all(|t| t.is_finite())
            && self.known_word_posterior.iter().all(|t| t.is_finite())
            && self.rare_word_posterior.iter().all(|t| t.is_finite())
            && self.rare_word_log10.is_finite()
            && (1..=1024).contains(&self.beam_width)
            && (1..=256).contains(&self.max_chars)
            && self.completions_per_node <= 256
            && (8..=65536).contains(&self.pool)
            && self.max_splits <= 16
            && (1..=64).contains(&self.autocorrect_k);
        if ok {
            Ok(())
        } else {
            Err(crate::error::Error::InvalidInput(
                "decoder parameters out of range".into(),
            ))
        }
    }
}
