//! Tokenising committed text and keeping identifiers out of what is learned.
//!
//! The scanner turns text into a stream of [`Event`]s: words to count, chain breaks
//! (punctuation, line ends) and skipped tokens (identifiers). A skipped token also breaks the
//! n-gram chain, so no n-gram ever spans an identifier.
//!
//! Always skipped, whatever the policy: tokens containing a digit (record numbers, phone
//! numbers, dates, SSNs, ages), e-mail addresses and anything containing `@`, URLs and bare
//! domain names, and tokens longer than [`MAX_WORD_BYTES`](super::MAX_WORD_BYTES).
//! Person names depend on [`PhiPolicy`].

use std::borrow::Cow;
use std::collections::HashSet;

use super::{fold, MAX_WORD_BYTES};

/// How hard the filter looks for person names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PhiPolicy {
    /// Names from the caller's list, plus names recognised from context: the word after a
    /// title (`Mr.`, `Mrs.`, `Ms.`, `Miss`, `Mx.`, `Dr.`, `Prof.`), up to four words after
    /// `name:` (as in "Patient name:"), and capitalised words or initials that directly follow
    /// a recognised name (surnames).
    #[default]
    Strict,
    /// Only words in the caller's names list.
    ListOnly,
    /// No name detection (digits, e-mail addresses and URLs are still never learned).
    Off,
}

/// Decides which tokens of committed text may be learned.
#[derive(Debug, Clone, Default)]
pub struct PhiFilter {
    policy: PhiPolicy,
    names: HashSet<String>,
}

impl PhiFilter {
    /// A filter with `policy` and a list of person names (matched case-insensitively; an entry
    /// with spaces is split into its words). The list should leave out names that are also
    /// common words ("will", "may") or they will never be learned in any sense.
    pub fn new(policy: PhiPolicy, names: impl IntoIterator<Item = String>) -> PhiFilter {
        let mut set = HashSet::new();
        for n in names {
            for part in n.split_whitespace() {
                set.insert(fold(part).into_owned());
            }
        }
        PhiFilter { policy, names: set }
    }

    /// The policy in force.
    pub fn policy(&self) -> PhiPolicy {
        self.policy
    }

    /// Number of distinct names in the list.
    pub fn names_len(&self) -> usize {
        self.names.len()
    }

    /// Whether `folded` (or its stem before a possessive, or one of its hyphen parts) is a
    /// listed name.
    fn listed(&self, folded: &str) -> bool {
        if self.names.is_empty() || self.policy == PhiPolicy::Off {
            return false;
        }
        if self.names.contains(folded) {
            return true;
        }
        let stem = folded
            .strip_suffix("'s")
            .or_else(|| folded.strip_suffix("\u{2019}s"))
            .unwrap_or(folded);
        if stem != folded && self.names.contains(stem) {
            return true;
        }
        stem.contains(['-', '\'', '\u{2019}'])
            && stem
                .split(['-', '\'', '\u{2019}'])
                .any(|p| !p.is_empty() && self.names.contains(p))
    }
}

/// What the scanner found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    /// A word that may be learned, as typed and folded.
    Word {
        raw: &'a str,
        folded: &'a str,
        sentence_start: bool,
    },
    /// The n-gram chain ends here (punctuation, line end).
    Break,
    /// An identifier or name was dropped here (also ends the chain).
    Skipped,
}

const TITLES: &[&str] = &["mr", "mrs", "ms", "miss", "mx", "dr", "prof"];
const TLDS: &[&str] = &[
    "com", "net", "org", "edu", "gov", "mil", "int", "io", "co", "us", "uk", "ca", "au", "de",
    "fr", "nl", "eu", "info", "biz", "me", "health", "app", "dev", "ai", "ly",
];
/// Word-internal joiners: kept inside a token when letters or digits stand on both sides.
const JOINERS: &[char] = &['\'', '\u{2019}', '-', '.', '_'];
/// Words after `name:` that are treated as a name.
const NAME_FIELD_WORDS: u8 = 4;
/// Capitalised words after a recognised name that are treated as more of it.
const NAME_TAIL_WORDS: u8 = 2;

/// Punctuation seen between two tokens.
#[derive(Default, Clone, Copy)]
struct Sep {
    period: bool,
    strong: bool,
    sentence_end: bool,
    colon: bool,
}

impl Sep {
    fn add(&mut self, c: char) {
        match c {
            '.' => self.period = true,
            '!' | '?' => {
                self.strong = true;
                self.sentence_end = true;
            }
            ':' => {
                self.strong = true;
                self.colon = true;
            }
            ';' | '(' | ')' | '[' | ']' | '{' | '}' | '"' | '\u{201C}' | '\u{201D}' | '|' => {
                self.strong = true
            }
            _ => {}
        }
    }
}

/// Per-line scanner state.
struct Line {
    sentence_start: bool,
    prev_title: bool,
    prev_initial: bool,
    prev_name_word: bool,
    prev_label: bool,
    name_field: u8,
    name_tail: u8,
}

fn is_address(chunk: &str) -> bool {
    if chunk.contains('@') || chunk.contains("://") {
        return true;
    }
    let core = chunk.trim_matches(|c: char| !c.is_alphanumeric());
    let lower = fold(core);
    if lower.starts_with("www.") {
        return true;
    }
    // A bare domain such as "clinic.org" or "portal.example.com/x".
    let host = lower.split('/').next().unwrap_or("");
    match host.rsplit_once('.') {
        Some((head, tld)) => {
            !head.is_empty()
                && TLDS.contains(&tld)
                && host
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
        }
        None => false,
    }
}

fn capitalised(raw: &str) -> bool {
    raw.chars().next().is_some_and(char::is_uppercase)
}

/// Scan `text` and report events to `f`. Allocates per token only to fold upper case.
pub(crate) fn scan(text: &str, phi: &PhiFilter, mut f: impl FnMut(Event<'_>)) {
    let strict = phi.policy == PhiPolicy::Strict;
    for line in text.split(['\n', '\r', '\u{2028}', '\u{2029}']) {
        f(Event::Break);
        let mut st = Line {
            sentence_start: true,
            prev_title: false,
            prev_initial: false,
            prev_name_word: false,
            prev_label: false,
            name_field: 0,
            name_tail: 0,
        };
        let mut sep = Sep::default();
        let mut chars: Vec<(usize, char)> = Vec::new();
        for chunk in line.split_whitespace() {
            if is_address(chunk) {
                f(Event::Skipped);
                st.prev_title = false;
                st.prev_initial = false;
                st.prev_name_word = false;
                st.prev_label = false;
                sep = Sep::default();
                continue;
            }
            chars.clear();
            chars.extend(chunk.char_indices());
            let mut i = 0;
            while i < chars.len() {
                let (start, c) = chars[i];
                if !c.is_alphanumeric() {
                    sep.add(c);
                    i += 1;
                    continue;
                }
                let mut j = i + 1;
                while j < chars.len() {
                    let cj = chars[j].1;
                    if cj.is_alphanumeric()
                        || (JOINERS.contains(&cj)
                            && chars.get(j + 1).is_some_and(|n| n.1.is_alphanumeric()))
                    {
                        j += 1;
                    } else {
                        break;
                    }
                }
                let end = chars.get(j).map_or(chunk.len(), |p| p.0);
                let raw = &chunk[start..end];
                handle(raw, std::mem::take(&mut sep), &mut st, phi, strict, &mut f);
                i = j;
            }
        }
    }
}

fn handle(
    raw: &str,
    sep: Sep,
    st: &mut Line,
    phi: &PhiFilter,
    strict: bool,
    f: &mut impl FnMut(Event<'_>),
) {
    // A period after a title or an initial ("Dr.", "J.") is not a sentence end.
    let soft_period = st.prev_title || st.prev_initial;
    let prev_title = std::mem::take(&mut st.prev_title);
    let prev_name_word = std::mem::take(&mut st.prev_name_word);
    let prev_label = std::mem::take(&mut st.prev_label);
    st.prev_initial = false;
    let period_break = sep.period && !soft_period;
    let brk = sep.strong || period_break;
    if brk {
        st.name_field = 0;
        st.name_tail = 0;
        f(Event::Break);
    }
    if strict && prev_label && sep.colon {
        st.name_field = NAME_FIELD_WORDS;
    }
    if sep.sentence_end || period_break {
        st.sentence_start = true;
    }
    let sentence_start = std::mem::replace(&mut st.sentence_start, false);

    if raw.len() > MAX_WORD_BYTES || raw.chars().any(char::is_numeric) {
        f(Event::Skipped);
        return;
    }
    let folded: Cow<'_, str> = fold(raw);
    // A name only continues across a soft period ("Mr.", "J."), never across a break.
    let continuing = prev_name_word && !brk;
    // A title is never a name itself, even when a names list holds it ("Mr" from a word list of
    // capitalised entries): it must stay a title so the name after it is recognised.
    let title = strict && TITLES.contains(&folded.as_ref());

    let mut name = !title && phi.listed(&folded);
    if strict && !name && !title {
        name = (prev_title && !brk)
            || st.name_field > 0
            || (st.name_tail > 0 && continuing && capitalised(raw));
    }
    if strict {
        st.name_field = st.name_field.saturating_sub(1);
    }
    if name {
        if strict {
            st.name_tail = if continuing {
                st.name_tail.saturating_sub(1)
            } else {
                NAME_TAIL_WORDS
            };
            st.prev_name_word = true;
            st.prev_initial = raw.chars().count() == 1;
        }
        f(Event::Skipped);
        return;
    }
    st.name_tail = 0;
    if strict {
        st.prev_title = title;
        st.prev_label = folded == "name";
    }
    f(Event::Word {
        raw,
        folded: &folded,
        sentence_start,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str, phi: &PhiFilter) -> Vec<String> {
        let mut out = Vec::new();
        scan(text, phi, |e| match e {
            Event::Word { folded, .. } => out.push(folded.to_string()),
            Event::Break => out.push("|".into()),
            Event::Skipped => out.push("#".into()),
        });
        // Collapse runs of breaks for readable assertions.
        out.dedup_by(|a, b| a == "|" && b == "|");
        out
    }

    fn learned(text: &str, phi: &PhiFilter) -> Vec<String> {
        words(text, phi)
            .into_iter()
            .filter(|w| w != "|" && w != "#")
            .collect()
    }

    #[test]
    fn identifiers_are_skipped() {
        let phi = PhiFilter::default();
        let text = "MRN 4481923 call 555-867-5309 or mail zq.tester@example.org see \
                    https://portal.example.com/x and www.clinic.test plus clinic.org on 03/14/2024 \
                    ssn 123-45-6789 aged 45-year-old";
        let got = learned(text, &phi);
        assert_eq!(
            got,
            ["mrn", "call", "or", "mail", "see", "and", "plus", "on", "ssn", "aged"]
        );
    }

    #[test]
    fn skipped_tokens_break_the_chain() {
        let phi = PhiFilter::default();
        assert_eq!(
            words("take 20 mg daily", &phi),
            ["|", "take", "#", "mg", "daily"]
        );
    }

    #[test]
    fn names_after_titles_and_fields() {
        let phi = PhiFilter::new(PhiPolicy::Strict, Vec::<String>::new());
        let got = learned(
            "Seen by Dr. Quellbrand today. Mrs Ostravia Pemberwick reports pain.\n\
             Patient name: Zorya Blenkinsop\nName: Tavik\nMr. J. Quillon agrees",
            &phi,
        );
        assert_eq!(
            got,
            [
                "seen", "by", "dr", "today", "mrs", "reports", "pain", "patient", "name", "name",
                "mr", "agrees"
            ]
        );
    }

    #[test]
    fn names_from_list() {
        let names = vec!["Zorya".to_string(), "Blenkinsop".to_string()];
        for policy in [PhiPolicy::Strict, PhiPolicy::ListOnly] {
            let phi = PhiFilter::new(policy, names.clone());
            let got = learned("zorya says Blenkinsop's dog and Zorya-Ann came", &phi);
            assert_eq!(got, ["says", "dog", "and", "came"], "{policy:?}");
        }
        // Strict also drops the capitalised surname after a listed first name.
        let phi = PhiFilter::new(PhiPolicy::Strict, names.clone());
        assert_eq!(learned("Zorya Vantwerp came", &phi), ["came"]);
        let phi = PhiFilter::new(PhiPolicy::ListOnly, names.clone());
        assert_eq!(learned("Zorya Vantwerp came", &phi), ["vantwerp", "came"]);
        let phi = PhiFilter::new(PhiPolicy::Off, names);
        assert_eq!(learned("Zorya came", &phi), ["zorya", "came"]);
        // Off is about names only: identifiers are still dropped.
        assert_eq!(
            learned("Dr. Quellbrand 555-0100 q@x.org came", &phi),
            ["dr", "quellbrand", "came"]
        );
    }

    #[test]
    fn surname_after_titled_listed_first_name() {
        // The lead's report: "Mr" and "Jonathan" are both in the pack's names list; the period
        // after "Mr" used to end the name, so the surname "Quixby" was learned.
        let text = "Started Xarelto for afib. Mr. Jonathan Quixby was seen.";
        let want = ["started", "xarelto", "for", "afib", "mr", "was", "seen"];
        for names in [
            vec!["mr".to_string(), "jonathan".to_string()],
            vec!["jonathan".to_string()],
            vec![],
        ] {
            let phi = PhiFilter::new(PhiPolicy::Strict, names.clone());
            assert_eq!(learned(text, &phi), want, "{names:?}");
        }
        // A listed first name after a real sentence end still takes the surname with it.
        let phi = PhiFilter::new(PhiPolicy::Strict, vec!["jonathan".to_string()]);
        assert_eq!(
            learned("Seen today. Jonathan Quixby agrees. Pain Improved", &phi),
            ["seen", "today", "agrees", "pain", "improved"]
        );
        // A name before a break does not carry its surname rule past the break.
        assert_eq!(learned("Jonathan. Improved", &phi), ["improved"]);
    }

    #[test]
    fn list_only_ignores_context() {
        let phi = PhiFilter::new(PhiPolicy::ListOnly, Vec::<String>::new());
        assert_eq!(learned("Dr. Quellbrand", &phi), ["dr", "quellbrand"]);
    }

    #[test]
    fn punctuation_and_sentences() {
        let phi = PhiFilter::default();
        let mut starts = Vec::new();
        scan("Pain, nausea. Xarelto b.i.d. (daily) x-ray", &phi, |e| {
            if let Event::Word {
                raw,
                sentence_start,
                ..
            } = e
            {
                starts.push((raw.to_string(), sentence_start));
            }
        });
        let want = [
            ("Pain", true),
            ("nausea", false),
            ("Xarelto", true),
            ("b.i.d", false),
            ("daily", true),
            ("x-ray", false),
        ];
        let want: Vec<(String, bool)> = want.iter().map(|(a, b)| (a.to_string(), *b)).collect();
        assert_eq!(starts, want);
        assert_eq!(
            words("pain, nausea; vomiting", &phi),
            ["|", "pain", "nausea", "|", "vomiting"]
        );
    }

    #[test]
    fn long_tokens_skipped() {
        let phi = PhiFilter::default();
        let long = "a".repeat(MAX_WORD_BYTES + 1);
        assert_eq!(learned(&format!("ok {long} ok"), &phi), ["ok", "ok"]);
    }
}
