//! arpa::read_arpa on arbitrary text; whatever parses is serialised and reopened.
#![no_main]
use keywise_core::ngram::{arpa, NgramModel};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(t) = arpa::read_arpa(data) else {
        return;
    };
    let m = NgramModel::from_bytes(t.to_bytes()).expect("tables from ARPA serialise to a model");
    m.verify().expect("tables from ARPA verify");
});
