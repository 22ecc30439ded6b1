//! Layout::from_json on arbitrary text; a valid layout must give a working decoder.
#![no_main]
use keywise_core::decode::{Decoder, Params, Tap};
use keywise_core::layout::Layout;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(l) = Layout::from_json(s) else {
        return;
    };
    let ((x0, y0), (x1, y1)) = l.bounds();
    assert!(x0.is_finite() && y0.is_finite() && x1.is_finite() && y1.is_finite());
    for k in l.keys() {
        assert_eq!(l.key_index(k.ch).map(|i| l.keys()[i].ch), Some(k.ch));
        let _ = l.centre(k.ch);
    }
    for (x, y) in [(0.0, 0.0), (-1e30, 1e30), (f32::NAN, 0.5), (x1, y1)] {
        let (cx, cy) = l.clamp(x, y);
        let i = l.key_at(cx, cy);
        assert!(i < l.keys().len());
    }
    let _ = Decoder::new(l, Params::default()).map(|d| {
        let _ = d.layout().key_at(0.5, 0.5);
        let _ = Tap { x: 0.0, y: 0.0 };
    });
});
