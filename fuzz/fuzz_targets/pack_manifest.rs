//! pack::read_manifest and pack::load on an arbitrary manifest.json placed beside the tiny
//! pack's real files (so a manifest that names them gets as far as loading).
#![no_main]
#[path = "../common.rs"]
mod common;
use keywise_core::pack;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn dir() -> &'static std::path::Path {
    static D: OnceLock<tempfile::TempDir> = OnceLock::new();
    D.get_or_init(|| {
        let d = tempfile::tempdir().expect("tempdir");
        for e in std::fs::read_dir(common::tiny_pack()).expect("pack dir") {
            let e = e.expect("entry");
            std::fs::copy(e.path(), d.path().join(e.file_name())).expect("copy");
        }
        d
    })
    .path()
}

fuzz_target!(|data: &[u8]| {
    let d = dir();
    std::fs::write(d.join("manifest.json"), data).expect("write manifest");
    let Ok(m) = pack::read_manifest(d) else {
        return;
    };
    for f in [&m.lexicon, &m.ngram] {
        assert!(!f.contains('/') && !f.starts_with('.'));
    }
    if let Ok(e) = pack::load(d) {
        let mut out = Vec::new();
        let _ = e.suggest("the patient ", 3, &mut out);
    }
});
