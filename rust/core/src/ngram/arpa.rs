//! ARPA text format, the lingua franca of n-gram models (KenLM, SRILM): read and write.

use std::io::{BufRead, Write};

use super::build::{pack, unpack};
use super::model::{NgramModel, Tables, MAX_ORDER};
use crate::error::{Error, Result};

/// Write `model` as ARPA. Word ids are written as their folded keys.
pub fn write_arpa(model: &NgramModel, out: &mut impl Write) -> Result<()> {
    writeln!(out, "\n\\data\\")?;
    for n in 1..=model.order() {
        writeln!(out, "ngram {n}={}", model.entries(n))?;
    }
    let mut cur = 0usize;
    let mut err: Option<std::io::Error> = None;
    model.for_each(|ids, p, bow| {
        if err.is_some() {
            return;
        }
        let r = (|| -> std::io::Result<()> {
            if ids.len() != cur {
                cur = ids.len();
                write!(out, "\n\\{cur}-grams:\n")?;
            }
            write!(out, "{p:.6}\t")?;
            for (i, &w) in ids.iter().enumerate() {
                if i > 0 {
                    out.write_all(b" ")?;
                }
                out.write_all(model.word(w).as_bytes())?;
            }
            match bow {
                Some(b) => writeln!(out, "\t{b:.6}"),
                None => writeln!(out),
            }
        })();
        if let Err(e) = r {
            err = Some(e);
        }
    });
    if let Some(e) = err {
        return Err(e.into());
    }
    writeln!(out, "\n\\end\\")?;
    Ok(())
}

/// Read an ARPA model. The vocabulary is its unigrams, sorted, with `<unk>`, `<s>`, `</s>` as
/// ids 0, 1, 2 (added when missing). Missing prefixes of an n-gram are an error.
pub fn read_arpa(input: impl BufRead) -> Result<Tables> {
    let mut declared: Vec<usize> = Vec::new();
    let mut grams: Vec<Vec<(Vec<String>, f32, f32)>> = Vec::new();
    let mut section = 0usize; // 0 = before data, usize::MAX = in \data\, n = in n-grams
    let mut ended = false;
    for (ln, line) in input.lines().enumerate() {
        let line = line.map_err(|_| Error::Parse {
            line: ln + 1,
            what: "not valid UTF-8 text".into(),
        })?;
        let perr = |what: &str| Error::Parse {
            line: ln + 1,
            what: what.to_string(),
        };
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if t == "\\data\\" {
            section = usize::MAX;
            continue;
        }
        if t == "\\end\\" {
            ended = true;
            break;
        }
        if let Some(rest) = t.strip_prefix('\\') {
            let n: usize = rest
                .strip_suffix("-grams:")
                .and_then(|x| x.parse().ok())
                .ok_or_else(|| perr("unknown section header"))?;
            if n == 0 || n > MAX_ORDER || n > declared.len() {
                return Err(perr(
                    "n-gram section not declared in \\data\\ or order too high",
                ));
            }
            section = n;
            continue;
        }
        if section == usize::MAX {
            let rest = t
                .strip_prefix("ngram ")
                .ok_or_else(|| perr("expected 'ngram N=COUNT'"))?;
            let (n, c) = rest
                .split_once('=')
                .ok_or_else(|| perr("expected 'ngram N=COUNT'"))?;
            let n: usize = n.trim().parse().map_err(|_| perr("bad order"))?;
            let c: usize = c.trim().parse().map_err(|_| perr("bad count"))?;
            if n != declared.len() + 1 || n > MAX_ORDER {
                return Err(perr("orders must be declared 1, 2, ... up to 6"));
            }
            declared.push(c);
            grams.push(Vec::with_capacity(c.min(1 << 20)));
            continue;
        }
        if section == 0 {
            return Err(perr("text before \\data\\"));
        }
        let n = section;
        let mut f = t.split('\t');
        let (p, words, bow) = match (f.next(), f.next(), f.next()) {
            (Some(p), Some(w), b) => (p, w, b),
            _ => {
                // Some writers use spaces only.
                let parts: Vec<&str> = t.split_whitespace().collect();
                if parts.len() < n + 1 {
                    return Err(perr("too few fields"));
                }
                let bow = parts.get(n + 1).copied();
                let p = parts[0];
                let ws = parts[1..=n].join(" ");
                let p: f32 = p.parse().map_err(|_| perr("bad probability"))?;
                let b: f32 = bow
                    .map_or(Ok(0.0), str::parse)
                    .map_err(|_| perr("bad backoff"))?;
                let ws: Vec<String> = ws.split(' ').map(crate::text::fold).collect();
                grams[n - 1].push((ws, p, b));
                continue;
            }
        };
        let p: f32 = p.trim().parse().map_err(|_| perr("bad probability"))?;
        let b: f32 = bow
            .map_or(Ok(0.0), |b| b.trim().parse())
            .map_err(|_| perr("bad backoff"))?;
        if !p.is_finite() || !b.is_finite() {
            return Err(perr("probability or backoff is not finite"));
        }
        let ws: Vec<String> = words.split_whitespace().map(crate::text::fold).collect();
        if ws.len() != n {
            return Err(perr("wrong number of words for this section"));
        }
        grams[n - 1].push((ws, p, b));
        if grams[n - 1].len() > declared[n - 1] {
            return Err(perr("more n-grams than declared"));
        }
    }
    if !ended {
        return Err(Error::Parse {
            line: 0,
            what: "missing \\end\\".into(),
        });
    }
    if grams.is_empty() || grams[0].is_empty() {
        return Err(Error::Parse {
            line: 0,
            what: "no unigrams".into(),
        });
    }
    let order = grams.len();
    // Vocabulary: specials first, then the sorted unigrams.
    let mut words: Vec<String> = grams[0]
        .iter()
        .map(|g| g.0[0].clone())
        .filter(|w| !matches!(w.as_str(), "<unk>" | "<s>" | "</s>"))
        .collect();
    words.sort();
    words.dedup();
    let mut vocab: Vec<String> = vec!["<unk>".into(), "<s>".into(), "</s>".into()];
    vocab.extend(words);
    if vocab.len() as u32 >= super::build::MAX_VOCAB {
        return Err(Error::InvalidInput("ARPA vocabulary too large".into()));
    }
    let id = |w: &str| match w {
        "<unk>" => Some(0),
        "<s>" => Some(1),
        "</s>" => Some(2),
        _ => vocab[3..]
            .binary_search_by(|x| x.as_str().cmp(w))
            .ok()
            .map(|i| i + 3),
    };
    let v = vocab.len();
    let mut t = Tables {
        order,
        p1: vec![-99.0; v],
        bow1: vec![0.0; v],
        ..Default::default()
    };
    for (ws, p, b) in &grams[0] {
        let i = id(&ws[0]).unwrap_or(0);
        t.p1[i] = *p;
        t.bow1[i] = *b;
    }
    let mut keys: Vec<Vec<(u128, f32, f32)>> = vec![Vec::new()];
    for gs in grams.iter().skip(1) {
        let mut ks = Vec::with_capacity(gs.len());
        for (ws, p, b) in gs {
            let mut ids = [0u32; MAX_ORDER];
            for (j, w) in ws.iter().enumerate() {
                ids[j] = id(w).ok_or_else(|| Error::Parse {
                    line: 0,
                    what: "an n-gram uses a word missing from the unigrams".into(),
                })? as u32;
            }
            ks.push((pack(&ids[..ws.len()]), *p, *b));
        }
        ks.sort_unstable_by_key(|x| x.0);
        ks.dedup_by_key(|x| x.0);
        keys.push(ks);
    }
    let mut ids = [0u32; MAX_ORDER];
    for n in 2..=order {
        let ks = &keys[n - 1];
        t.words.push(
            ks.iter()
                .map(|x| {
                    unpack(x.0, n, &mut ids);
                    ids[n - 1]
                })
                .collect(),
        );
        t.probs.push(ks.iter().map(|x| x.1).collect());
        t.bows.push(if n < order {
            ks.iter().map(|x| x.2).collect()
        } else {
            Vec::new()
        });
    }
    for n in 1..order {
        let parents = if n == 1 { v } else { keys[n - 1].len() };
        let mut counts = vec![0u32; parents + 1];
        for x in &keys[n] {
            unpack(x.0, n + 1, &mut ids);
            let j = if n == 1 {
                Some(ids[0] as usize)
            } else {
                let pk = pack(&ids[..n]);
                keys[n - 1].binary_search_by_key(&pk, |y| y.0).ok()
            };
            match j {
                Some(j) => counts[j + 1] += 1,
                None => {
                    return Err(Error::Parse {
                        line: 0,
                        what: format!("an {}-gram has no {n}-gram prefix", n + 1),
                    })
                }
            }
        }
        for j in 1..counts.len() {
            counts[j] += counts[j - 1];
        }
        t.child.push(counts);
    }
    t.vocab = vocab;
    Ok(t)
}
