//! Model packs: a folder with `manifest.json`, `lexicon.kwl` and `ngram.kwm` (and, read by the
//! Python side, `neural/`). [`build`] makes one from a [`Recipe`] of corpora and word lists.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::lexicon::{flags, Lexicon, LexiconBuilder};
use crate::ngram::{BuildOptions, NgramBuilder, NgramModel};
use crate::text::{self, Token};

/// Pack format version written in the manifest.
pub const PACK_FORMAT: u32 = 1;

/// `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Pack format version.
    pub format: u32,
    /// Pack name, e.g. "en-clinical".
    pub name: String,
    /// Lexicon file name.
    pub lexicon: String,
    /// n-gram model file name.
    pub ngram: String,
    /// In-domain n-gram model file, interpolated with `ngram`.
    #[serde(default)]
    pub domain_ngram: Option<String>,
    /// Weight of the in-domain model.
    #[serde(default)]
    pub domain_weight: f64,
    /// Weight of the cache model (words already in the text).
    #[serde(default)]
    pub cache_weight: f64,
    /// Weight of the bigram cache (what followed the previous word earlier in the text).
    #[serde(default)]
    pub cache_bigram_weight: f64,
    /// Exponent of the keystroke-saving factor in the ranking.
    #[serde(default)]
    pub length_weight: f32,
    /// Names list (one folded name a line) for the PHI filter, if any.
    #[serde(default)]
    pub names: Option<String>,
    /// Abbreviation expansions (TSV), if any.
    #[serde(default)]
    pub abbreviations: Option<String>,
    /// Decoder parameters that differ from `decode::Params::default()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoder: Option<crate::decode::Params>,
    /// Free-form build facts (counts, sizes, seconds).
    #[serde(default)]
    pub stats: serde_json::Value,
}

/// Read a pack's manifest.
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let p = dir.join("manifest.json");
    let s = std::fs::read_to_string(&p).map_err(|e| Error::from(e).in_file(&p))?;
    let m: Manifest = serde_json::from_str(&s).map_err(|e| {
        Error::Parse {
            line: e.line(),
            what: "manifest.json is not a valid pack manifest".into(),
        }
        .in_file(&p)
    })?;
    if m.format != PACK_FORMAT {
        return Err(Error::Version {
            found: m.format.min(u16::MAX as u32) as u16,
            supported: PACK_FORMAT as u16,
        }
        .in_file(&p));
    }
    for f in [&m.lexicon, &m.ngram]
        .into_iter()
        .chain(m.domain_ngram.as_ref())
        .chain(m.names.as_ref())
        .chain(m.abbreviations.as_ref())
    {
        if f.contains('/') || f.contains('\\') || f.starts_with('.') {
            return Err(Error::corrupt("manifest names a file outside the pack").in_file(&p));
        }
    }
    Ok(m)
}

/// Load a pack, verifying every checksum and structure.
pub fn load(dir: &Path) -> Result<Engine> {
    let m = read_manifest(dir)?;
    let lp = dir.join(&m.lexicon);
    let bytes = std::fs::read(&lp).map_err(|e| Error::from(e).in_file(&lp))?;
    let lexicon = Lexicon::from_bytes(&bytes, true).map_err(|e| e.in_file(&lp))?;
    let np = dir.join(&m.ngram);
    let lm = NgramModel::open(&np)?;
    lm.verify().map_err(|e| e.in_file(&np))?;
    let mut engine = Engine::new(lexicon, lm)
        .and_then(|e| e.with_cache_weight(m.cache_weight))
        .and_then(|e| e.with_cache_bigram_weight(m.cache_bigram_weight))
        .and_then(|e| e.with_length_weight(m.length_weight))
        .and_then(|e| match &m.decoder {
            Some(p) => e.with_decoder_params(p.clone()),
            None => Ok(e),
        })
        .map_err(|e| e.in_file(dir))?;
    if let Some(d) = &m.domain_ngram {
        let dp = dir.join(d);
        let dm = NgramModel::open(&dp)?;
        dm.verify().map_err(|e| e.in_file(&dp))?;
        engine = engine
            .with_domain(dm, m.domain_weight)
            .map_err(|e| e.in_file(&dp))?;
    }
    if let Some(a) = &m.abbreviations {
        let ap = dir.join(a);
        let tsv = std::fs::read_to_string(&ap).map_err(|e| Error::from(e).in_file(&ap))?;
        engine = engine.with_abbreviations(&tsv);
    }
    Ok(engine)
}

/// One corpus file and how many times its counts are added.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Corpus {
    /// Path of a UTF-8 text file, one unit a line.
    pub path: PathBuf,
    /// Repetitions (domain weight).
    #[serde(default = "one")]
    pub weight: u32,
}

fn one() -> u32 {
    1
}

/// What a pack is built from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recipe {
    /// Pack name.
    pub name: String,
    /// Training corpora (never an `eval/` split).
    pub corpora: Vec<Corpus>,
    /// Corpora of the in-domain model (a subset of `corpora`), if any.
    #[serde(default)]
    pub domain_corpora: Vec<Corpus>,
    /// Interpolation weight of the in-domain model.
    #[serde(default)]
    pub domain_weight: f64,
    /// Weight of the cache model.
    #[serde(default)]
    pub cache_weight: f64,
    /// Weight of the bigram cache.
    #[serde(default)]
    pub cache_bigram_weight: f64,
    /// Exponent of the keystroke-saving factor in the ranking.
    #[serde(default)]
    pub length_weight: f32,
    /// Order of the in-domain model.
    #[serde(default = "four")]
    pub domain_order: usize,
    /// Corpora whose words count as clinical vocabulary.
    #[serde(default)]
    pub medical_corpora: Vec<PathBuf>,
    /// Word lists, one word a line (SCOWL).
    #[serde(default)]
    pub word_lists: Vec<PathBuf>,
    /// `word count` unigram frequency lists.
    #[serde(default)]
    pub word_counts: Vec<PathBuf>,
    /// `variant<TAB>canonical` drug names.
    #[serde(default)]
    pub drug_names: Vec<PathBuf>,
    /// `abbreviation<TAB>expansion` lists.
    #[serde(default)]
    pub abbreviations: Vec<PathBuf>,
    /// n-gram order.
    #[serde(default = "four")]
    pub order: usize,
    /// Minimum corpus count for a corpus-only word to enter the lexicon.
    #[serde(default = "two")]
    pub min_word_count: u32,
    /// Minimum raw count per order (index n − 1).
    #[serde(default)]
    pub min_count: Vec<u32>,
    /// Decoder parameters that differ from the defaults, copied to the manifest.
    #[serde(default)]
    pub decoder: Option<crate::decode::Params>,
    /// Size budget for the n-gram file, bytes.
    #[serde(default)]
    pub max_ngram_bytes: Option<usize>,
    /// Word-list entries from `word_counts` beyond this rank are left out.
    #[serde(default)]
    pub max_count_rank: Option<usize>,
}

impl Recipe {
    /// The small recipe over the committed test fixtures (`tests/fixtures` of the repository:
    /// corpus.txt, words.txt, word_counts.txt, drugs.tsv, abbreviations.tsv), order 3, with an
    /// in-domain model of the same corpus. Shared by the tests, property tests and fuzz targets.
    pub fn fixture(dir: &Path, name: &str) -> Recipe {
        let corpus = Corpus {
            path: dir.join("corpus.txt"),
            weight: 1,
        };
        Recipe {
            name: name.into(),
            corpora: vec![corpus.clone()],
            domain_corpora: vec![corpus],
            domain_weight: 0.5,
            domain_order: 3,
            cache_weight: 0.05,
            cache_bigram_weight: 0.0,
            length_weight: 0.0,
            medical_corpora: vec![],
            word_lists: vec![dir.join("words.txt")],
            word_counts: vec![dir.join("word_counts.txt")],
            drug_names: vec![dir.join("drugs.tsv")],
            abbreviations: vec![dir.join("abbreviations.tsv")],
            order: 3,
            min_word_count: 1,
            min_count: vec![],
            decoder: None,
            max_ngram_bytes: None,
            max_count_rank: None,
        }
    }
}

/// Occurrences inside sentences: [lower, capitalised] alone, then the same after a capitalised
/// word.
#[derive(Default)]
struct CaseCounts([u64; 4]);

impl CaseCounts {
    /// The case flags the counts support. Shares chosen on held-out train lines (kebbie replay,
    /// `benches/kebbie_replay.py`, SGD and notes): a name goes on with the word when 90% of at
    /// least 30 uses after a capitalised word are capitalised (fewer let headings in from
    /// small files); 30% lower-case uses elsewhere make a capital optional.
    fn flags(&self) -> u8 {
        let [lower, cap, lower_n, cap_n] = self.0;
        let mut f = 0;
        if cap_n + lower_n >= 30 && cap_n * 10 >= (cap_n + lower_n) * 9 {
            f |= flags::CAPITAL_AFTER_NAME;
        }
        if cap + lower >= 2 && lower * 10 >= (cap + lower) * 3 {
            f |= flags::LOWER_ALONE;
        }
        f
    }
}

fn four() -> usize {
    4
}
fn two() -> u32 {
    2
}

fn refuse_eval(p: &Path) -> Result<()> {
    if p.components().any(|c| c.as_os_str() == "eval") {
        return Err(Error::InvalidInput(format!(
            "{}: evaluation splits are never used to build a pack",
            p.display()
        )));
    }
    Ok(())
}

fn lines(p: &Path) -> Result<impl Iterator<Item = String>> {
    let f = std::fs::File::open(p).map_err(|e| Error::from(e).in_file(p))?;
    Ok(std::io::BufReader::with_capacity(1 << 20, f)
        .lines()
        .map_while(std::result::Result::ok))
}

/// Progress callback: (stage, fraction done 0..1).
pub type Progress<'a> = &'a mut dyn FnMut(&str, f64);

/// Build a pack into `out` (created if missing). Returns the manifest written.
pub fn build(recipe: &Recipe, out: &Path, progress: Progress<'_>) -> Result<Manifest> {
    let t0 = std::time::Instant::now();
    for c in &recipe.corpora {
        refuse_eval(&c.path)?;
    }
    for p in recipe
        .word_lists
        .iter()
        .chain(&recipe.word_counts)
        .chain(&recipe.drug_names)
        .chain(&recipe.abbreviations)
        .chain(&recipe.medical_corpora)
    {
        refuse_eval(p)?;
    }
    std::fs::create_dir_all(out).map_err(|e| Error::from(e).in_file(out))?;
    // Pass 1: word counts and case forms from the corpora.
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut forms: HashMap<String, HashMap<String, u32>> = HashMap::new();
    let mut medical: std::collections::HashSet<String> = Default::default();
    // Inside sentences: how often each word is capitalised, after a capitalised word or not.
    let mut case_counts: HashMap<String, CaseCounts> = HashMap::new();
    let total = recipe.corpora.len().max(1) as f64;
    let mut key = String::new();
    for (ci, c) in recipe.corpora.iter().enumerate() {
        progress("counting words", ci as f64 / total);
        let is_med = recipe.medical_corpora.iter().any(|m| m == &c.path);
        for line in lines(&c.path)? {
            let mut initial = true;
            let mut after_name = false;
            for tok in text::tokens(&line) {
                match tok {
                    Token::Word(w) => {
                        text::fold_into(w, &mut key);
                        *counts.entry(key.clone()).or_insert(0) += c.weight as u64;
                        if is_med {
                            medical.insert(key.clone());
                        }
                        let capital = w.starts_with(char::is_uppercase);
                        // Headings in capitals ("HISTORY OF COUGH") say nothing of names.
                        let shouted = text::is_all_caps(w);
                        if !initial && !shouted {
                            let slot = 2 * usize::from(after_name) + usize::from(capital);
                            match case_counts.get_mut(key.as_str()) {
                                Some(cc) => cc.0[slot] += c.weight as u64,
                                None => {
                                    let mut cc = CaseCounts::default();
                                    cc.0[slot] = c.weight as u64;
                                    case_counts.insert(key.clone(), cc);
                                }
                            }
                        }
                        if !initial || w == "I" {
                            let f = forms.entry(key.clone()).or_default();
                            if f.len() < 8 || f.contains_key(w) {
                                *f.entry(w.to_string()).or_insert(0) += c.weight;
                            }
                        }
                        after_name = !initial && capital && !shouted && w != "I";
                        initial = false;
                    }
                    Token::Num | Token::Comma => {
                        initial = false;
                        after_name = false;
                    }
                    Token::Boundary | Token::LineBreak => {
                        initial = true;
                        after_name = false;
                    }
                }
            }
        }
    }
    progress("building the lexicon", 0.0);
    let mut lb = LexiconBuilder::new();
    let mut prior_extra: HashMap<String, f64> = HashMap::new();
    for p in &recipe.word_lists {
        for w in lines(p)? {
            let w = w.trim();
            if w.is_empty() || w.chars().any(|c| c.is_ascii_digit()) {
                continue;
            }
            let f = if w.chars().next().is_some_and(char::is_uppercase) {
                flags::GENERAL | flags::NAME
            } else {
                flags::GENERAL
            };
            lb.add(w, 0, f);
        }
    }
    for p in &recipe.word_counts {
        for (rank, line) in lines(p)?.enumerate() {
            if recipe.max_count_rank.is_some_and(|m| rank >= m) {
                break;
            }
            let mut it = line.split_whitespace();
            if let (Some(w), Some(c)) = (it.next(), it.next().and_then(|c| c.parse::<f64>().ok())) {
                if w.chars().all(char::is_alphabetic) || w.contains('\'') {
                    lb.add(w, 0, flags::GENERAL);
                    *prior_extra.entry(text::fold(w)).or_insert(0.0) += c;
                }
            }
        }
    }
    for p in &recipe.drug_names {
        for line in lines(p)?.skip(1) {
            for name in line.split('\t') {
                let name = name.trim().trim_matches('\'');
                if name.len() >= 3 && name.chars().all(|c| c.is_alphabetic() || c == '-') {
                    lb.add(name, 0, flags::DRUG | flags::MEDICAL);
                }
            }
        }
    }
    for p in &recipe.abbreviations {
        for line in lines(p)?.skip(1) {
            if let Some((a, _)) = line.split_once('\t') {
                let a = a.trim();
                if !a.is_empty() && !a.contains(' ') && a.chars().any(char::is_alphabetic) {
                    lb.add(a, 0, flags::ABBREV | flags::MEDICAL);
                }
            }
        }
    }
    for (k, &c) in &counts {
        let listed = lb_has(&lb, k);
        if c >= recipe.min_word_count as u64 || listed {
            let mut f = if medical.contains(k) {
                flags::MEDICAL
            } else {
                0
            };
            if let Some(cc) = case_counts.get(k) {
                f |= cc.flags();
            }
            // The most frequent written form becomes the display form.
            let disp = forms
                .get(k)
                .and_then(|f| {
                    f.iter()
                        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                        .map(|x| x.0.clone())
                })
                .unwrap_or_else(|| k.clone());
            lb.add(&disp, c.min(u32::MAX as u64 / 2) as u32 + 1, f);
        }
    }
    lb.add(text::NUM, 0, flags::NO_SUGGEST);
    lb.add(text::COMMA, 0, flags::NO_SUGGEST);
    lb.add(text::PARA, 0, flags::NO_SUGGEST);
    let lexicon = lb.build();
    drop(forms);
    drop(case_counts);
    for c in &recipe.domain_corpora {
        refuse_eval(&c.path)?;
    }
    let vocab: Vec<String> = (0..lexicon.len())
        .map(|i| lexicon.key(i).to_string())
        .collect();
    // Unigram prior: corpus counts plus scaled general frequencies, so that listed words unseen in
    // the corpora still complete, in a sensible order.
    let gb_total: f64 = prior_extra.values().sum::<f64>().max(1.0);
    let mut prior: Vec<f64> = vocab
        .iter()
        .enumerate()
        .map(|(i, k)| {
            if i < crate::lexicon::FIRST_WORD as usize && i != crate::lexicon::EOS as usize {
                return if i == 0 { 1.0 } else { 0.0 };
            }
            if k == text::PARA {
                return 0.0;
            }
            1.0 + counts.get(k).copied().unwrap_or(0) as f64
                + 1e6 * prior_extra.get(k).copied().unwrap_or(0.0) / gb_total
        })
        .collect();
    let ps: f64 = prior.iter().sum();
    prior.iter_mut().for_each(|p| *p /= ps);
    drop(counts);
    // Pass 2: n-grams.
    let para_id = lexicon.id(text::PARA);
    let opts = BuildOptions {
        order: recipe.order,
        max_bytes: recipe.max_ngram_bytes,
        line_start: para_id,
        min_count: if recipe.min_count.is_empty() {
            BuildOptions::default().min_count
        } else {
            recipe.min_count.clone()
        },
        ..BuildOptions::default()
    };
    let num_id = lexicon.id(text::NUM).unwrap_or(0);
    let comma_id = lexicon.id(text::COMMA).unwrap_or(0);
    let (nb, sentences, tokens) = count_ngrams(
        &lexicon,
        vocab.clone(),
        opts,
        &recipe.corpora,
        [num_id, comma_id],
        progress,
    )?;
    progress("estimating Kneser-Ney", 0.0);
    let tables = nb.estimate(Some(&prior))?;
    progress("writing", 0.0);
    let nbytes = tables.to_bytes();
    let lbytes = lexicon.to_bytes();
    let model = NgramModel::from_bytes(nbytes.clone())?;
    // Write beside, then rename: a process with the old file mapped keeps reading the old bytes.
    let write = |name: &str, bytes: &[u8]| -> Result<()> {
        let p = out.join(name);
        let tmp = out.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, bytes)
            .and_then(|_| std::fs::rename(&tmp, &p))
            .map_err(|e| Error::from(e).in_file(&p))
    };
    write("lexicon.kwl", &lbytes)?;
    write("ngram.kwm", &nbytes)?;
    let mut domain_bytes = 0;
    if !recipe.domain_corpora.is_empty() {
        let dopts = BuildOptions {
            order: recipe.domain_order,
            min_count: vec![1; 6],
            line_start: para_id,
            ..BuildOptions::default()
        };
        let (db, _, _) = count_ngrams(
            &lexicon,
            vocab,
            dopts,
            &recipe.domain_corpora,
            [num_id, comma_id],
            progress,
        )?;
        progress("estimating the domain model", 0.0);
        let dbytes = db.estimate(Some(&prior))?.to_bytes();
        domain_bytes = dbytes.len();
        write("ngram-domain.kwm", &dbytes)?;
    }
    let mut names: Vec<&str> = (0..lexicon.len())
        // Drug names and abbreviations ("Tylenol", "MRI") are vocabulary, not identifiers.
        .filter(|&i| {
            lexicon.flags(i) & flags::NAME != 0
                && lexicon.flags(i) & (flags::DRUG | flags::ABBREV) == 0
        })
        .map(|i| lexicon.key(i))
        .collect();
    names.sort_unstable();
    write("names.txt", (names.join("\n") + "\n").as_bytes())?;
    // The abbreviation expansions the engine offers (first expansion of each).
    let mut abbrevs = String::new();
    for p in &recipe.abbreviations {
        for line in lines(p)?.skip(1) {
            if let Some((a, e)) = line.split_once('\t') {
                let e = e.split(['|', ';']).next().unwrap_or("").trim();
                if !a.trim().is_empty() && !a.contains(' ') && !e.is_empty() && !e.contains('\t') {
                    abbrevs.push_str(a.trim());
                    abbrevs.push('\t');
                    abbrevs.push_str(e);
                    abbrevs.push('\n');
                }
            }
        }
    }
    let has_abbrevs = !abbrevs.is_empty();
    if has_abbrevs {
        write("abbreviations.tsv", abbrevs.as_bytes())?;
    }
    let mut stats = serde_json::json!({
        "words": lexicon.len(),
        "sentences": sentences,
        "tokens": tokens,
        "order": model.order(),
        "ngram_bytes": nbytes.len(),
        "lexicon_bytes": lbytes.len(),
        "domain_ngram_bytes": domain_bytes,
        "build_seconds": t0.elapsed().as_secs_f64(),
    });
    for n in 1..=model.order() {
        stats[format!("{n}-grams")] = serde_json::json!(model.entries(n));
    }
    let m = Manifest {
        format: PACK_FORMAT,
        name: recipe.name.clone(),
        lexicon: "lexicon.kwl".into(),
        ngram: "ngram.kwm".into(),
        domain_ngram: (!recipe.domain_corpora.is_empty()).then(|| "ngram-domain.kwm".into()),
        domain_weight: recipe.domain_weight,
        cache_weight: recipe.cache_weight,
        cache_bigram_weight: recipe.cache_bigram_weight,
        length_weight: recipe.length_weight,
        names: Some("names.txt".into()),
        abbreviations: has_abbrevs.then(|| "abbreviations.tsv".into()),
        decoder: recipe.decoder.clone(),
        stats,
    };
    let js =
        serde_json::to_string_pretty(&m).map_err(|_| Error::InvalidInput("manifest".into()))?;
    write("manifest.json", js.as_bytes())?;
    progress("done", 1.0);
    Ok(m)
}

fn lb_has(lb: &LexiconBuilder, key: &str) -> bool {
    lb.contains(key)
}

/// Count the n-grams of `corpora` over the lexicon's ids.
fn count_ngrams(
    lexicon: &Lexicon,
    vocab: Vec<String>,
    opts: BuildOptions,
    corpora: &[Corpus],
    [num_id, comma_id]: [u32; 2],
    progress: Progress<'_>,
) -> Result<(NgramBuilder, u64, u64)> {
    let mut nb = NgramBuilder::new(vocab, opts)?;
    let mut ids: Vec<u32> = Vec::new();
    let mut key = String::new();
    let (mut sentences, mut tokens) = (0u64, 0u64);
    let para = nb_line_start(&nb);
    let total = corpora.len().max(1) as f64;
    for (ci, c) in corpora.iter().enumerate() {
        progress("counting n-grams", ci as f64 / total);
        for line in lines(&c.path)? {
            ids.clear();
            let mut start = para;
            for tok in text::tokens(&line).chain(std::iter::once(Token::Boundary)) {
                match tok {
                    Token::Word(w) => {
                        text::fold_into(w, &mut key);
                        ids.push(lexicon.id(&key).unwrap_or(0));
                    }
                    Token::Num => ids.push(num_id),
                    Token::Comma => {
                        if !ids.is_empty() {
                            ids.push(comma_id)
                        }
                    }
                    Token::Boundary | Token::LineBreak => {
                        if !ids.is_empty() {
                            tokens += ids.len() as u64;
                            sentences += 1;
                            nb.add_sentence_from(&ids, c.weight, start)?;
                            ids.clear();
                            start = crate::lexicon::BOS;
                        }
                    }
                }
            }
        }
    }
    Ok((nb, sentences, tokens))
}

fn nb_line_start(nb: &NgramBuilder) -> u32 {
    nb.line_start().unwrap_or(crate::lexicon::BOS)
}

#[cfg(test)]
mod tests {
    use super::{flags, CaseCounts};

    #[test]
    fn case_flags_need_evidence() {
        // [lower, capitalised] alone, then after a capitalised word.
        let park = CaseCounts([60, 40, 5, 95]);
        assert_eq!(park.flags(), flags::CAPITAL_AFTER_NAME | flags::LOWER_ALONE);
        // Too few uses after a name to say; capitalised nearly always alone.
        assert_eq!(CaseCounts([1, 99, 0, 5]).flags(), 0);
        // Mostly lower case after names too ("John cough").
        assert_eq!(CaseCounts([300, 20, 60, 40]).flags(), flags::LOWER_ALONE);
    }
}
