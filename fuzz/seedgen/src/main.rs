//! Writes the committed seed corpus: `cargo run --release --manifest-path fuzz/Cargo.toml -p keywise-seedgen -- fuzz/seeds`.
//! Every seed is small (a few KiB at most) and built from code or tests/fixtures.
#[path = "../../common.rs"]
mod common;

use std::fs;
use std::path::Path;

use keywise_core::format;
use keywise_core::lexicon::{flags, LexiconBuilder};
use keywise_core::ngram::{arpa, NgramModel};
use keywise_core::personal::{PhiFilter, PhiPolicy, StoreKey, UserStore};

const ARPA: &str = "\n\\data\\\nngram 1=6\nngram 2=4\n\n\\1-grams:\n-1.0\t<unk>\n-99\t<s>\t-0.3\n-0.7\t</s>\n-0.6\tchest\t-0.2\n-0.8\tpain\t-0.2\n-0.9\tthe\t-0.3\n\n\\2-grams:\n-0.2\t<s> the\n-0.1\tthe chest\n-0.1\tchest pain\n-0.1\tpain </s>\n\n\\end\\\n";

const LAYOUT: &str = r#"{ "name": "mini",
  "rows": [ { "x": 0.0, "y": 0.0, "keys": "qwertyuiop" },
            { "x": 0.5, "y": 1.0, "keys": "asdfghjkl" },
            { "x": 1.5, "y": 2.0, "keys": "zxcvbnm", "key_width": 1.0, "height": 1.0 } ],
  "keys": [ { "char": " ", "x": 2.5, "y": 3.0, "width": 5.0, "height": 1.0, "spread_x": 0.4 } ],
  "required": "abcdefghijklmnopqrstuvwxyz " }"#;

fn put(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let d = dir.join(target);
    fs::create_dir_all(&d).expect("mkdir");
    fs::write(d.join(name), bytes).expect("write seed");
}

fn with_mode(mode: u8, b: &[u8]) -> Vec<u8> {
    let mut v = vec![mode];
    v.extend_from_slice(b);
    v
}

fn taps_text(head: &[u8], taps: &[(f32, f32)], text: &str) -> Vec<u8> {
    let mut v = head.to_vec();
    v.push(taps.len() as u8);
    for (x, y) in taps {
        v.extend_from_slice(&x.to_le_bytes());
        v.extend_from_slice(&y.to_le_bytes());
    }
    v.extend_from_slice(text.as_bytes());
    v
}

fn main() {
    let out = std::env::args()
        .nth(1)
        .expect("usage: keywise-seedgen OUT_DIR");
    let out = Path::new(&out);

    // lexicon: a few words, as a payload (mode 1/3: header fixed up) and as a whole file
    let mut b = LexiconBuilder::new();
    for (w, c, f) in [
        ("chest", 50, flags::GENERAL),
        ("MRI", 9, flags::ABBREV | flags::MEDICAL),
        ("pain", 40, 0),
        ("Tylenol", 3, flags::DRUG),
        ("damn", 2, flags::NO_SUGGEST),
    ] {
        b.add(w, c, f);
    }
    let lex = b.build().to_bytes();
    put(out, "lexicon", "file", &with_mode(2, &lex));
    put(
        out,
        "lexicon",
        "payload",
        &with_mode(3, &lex[format::HEADER_LEN..]),
    );
    put(out, "format_header", "lexicon", &lex);
    put(out, "format_header", "short", b"KWSE\x01\x00\x02\x00");

    // n-gram: the tiny ARPA above as a model
    let t = arpa::read_arpa(ARPA.as_bytes()).expect("seed ARPA parses");
    let kwm = t.to_bytes();
    NgramModel::from_bytes(kwm.clone())
        .expect("model")
        .verify()
        .expect("verify");
    put(out, "ngram", "file", &with_mode(0, &kwm));
    put(
        out,
        "ngram",
        "payload",
        &with_mode(1, &kwm[format::HEADER_LEN..]),
    );
    put(out, "format_header", "ngram", &kwm);
    put(out, "arpa", "bigram", ARPA.as_bytes());
    put(
        out,
        "arpa",
        "unigram",
        b"\\data\\\nngram 1=2\n\n\\1-grams:\n-0.3\ta\n-0.3\tb\n\n\\end\\\n",
    );

    // pack manifest: the tiny pack's own, and one naming a file outside the pack
    let man = fs::read(common::tiny_pack().join("manifest.json")).expect("manifest");
    put(out, "pack_manifest", "tiny", &man);
    put(
        out,
        "pack_manifest",
        "outside",
        br#"{"format":1,"name":"x","lexicon":"../lexicon.kwl","ngram":"ngram.kwm"}"#,
    );

    put(out, "layout_json", "mini", LAYOUT.as_bytes());
    put(
        out,
        "layout_json",
        "dup",
        br#"{"name":"d","rows":[{"x":0,"y":0,"keys":"aab"}],"required":"ab"}"#,
    );

    // user store: a real saved store (as file, as plaintext, and with flips)
    let d = tempfile::tempdir().expect("tempdir");
    let p = d.path().join("u.kws");
    let mut s = UserStore::open(&p, StoreKey::Raw(common::KEY)).expect("store");
    let phi = PhiFilter::new(PhiPolicy::default(), Vec::<String>::new());
    s.model_mut()
        .learn("patient reports dyspnoea on exertion", &phi, 20000.0)
        .expect("learn");
    s.model_mut()
        .set_shortcut("sob", "shortness of breath")
        .expect("shortcut");
    s.save().expect("save");
    let file = fs::read(&p).expect("read");
    let plain = common::open_store(&common::KEY, &file).expect("decrypt own store");
    put(out, "user_store", "plaintext", &with_mode(0, &plain));
    put(
        out,
        "user_store",
        "flips",
        &with_mode(1, &[3, 0, 70, 0, 0, 90]),
    );
    put(out, "user_store", "file", &with_mode(2, &file));

    // decoder / suggest: [flags][n][taps][text]
    put(
        out,
        "decoder",
        "teh",
        &taps_text(&[0x0f], &[(4.5, 0.5), (5.5, 1.5), (2.5, 0.5)], "teh"),
    );
    put(out, "decoder", "ofthe", &taps_text(&[0x06], &[], "ofthe"));
    put(
        out,
        "decoder",
        "nan",
        &taps_text(&[0x03], &[(f32::NAN, 0.5), (1e30, -1e30)], "pa"),
    );
    put(
        out,
        "suggest",
        "next",
        &taps_text(&[3, 0x02], &[], "The patient denies chest "),
    );
    put(
        out,
        "suggest",
        "taps",
        &taps_text(&[5, 0x0b], &[(0.5, 1.5), (2.5, 0.5)], "He reports sh"),
    );
    put(
        out,
        "suggest",
        "correct",
        &taps_text(&[8, 0x1c], &[], "patinet "),
    );
    put(
        out,
        "suggest",
        "sob",
        &taps_text(&[3, 0x02], &[], "pt has SOB"),
    );
}
