//! Keyboard geometry: where each key is, so the decoder can tell which keys a tap could mean.
//!
//! # Coordinate system
//! One unit is the width of a standard letter key horizontally and the pitch of one key row
//! vertically (so a letter key is 1.0 × 1.0 whatever its physical aspect ratio). The origin is
//! the top-left corner of the letter area; x grows to the right and y grows downwards, as on a
//! screen. Rows are staggered as on a phone: on QWERTY the top row starts at x = 0, the home
//! row at x = 0.5 and the bottom letter row at x = 1.5; the space bar is row 3. A caller with
//! pixel coordinates divides x by the key width in pixels and y by the row height in pixels
//! (after subtracting the letter area's top-left corner).
//!
//! # JSON format
//! ```json
//! { "name": "qwerty-en-us",
//!   "rows": [ { "x": 0.0, "y": 0.0, "keys": "qwertyuiop" } ],
//!   "keys": [ { "char": " ", "x": 2.5, "y": 3.0, "width": 5.0, "height": 1.0 } ],
//!   "required": "abcdefghijklmnopqrstuvwxyz " }
//! ```
//! A row places single-character keys side by side from its top-left corner (`x`, `y`), each
//! `key_width` wide (default 1.0) and `height` high (default 1.0). `keys` lists other keys by
//! their top-left corner and size; either may carry `spread_x` / `spread_y`, the standard
//! deviation of taps on that key in key units (default: the decoder's parameter). `required`
//! (default a–z and space) lists characters the layout must have. Key characters are single
//! lower-case characters; duplicates, non-finite numbers, non-positive sizes and missing
//! required keys are errors.

use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::Path;

/// Most keys a layout may have (keeps per-tap tables small and bounded).
pub const MAX_KEYS: usize = 128;
/// Coordinates must lie in this range (in key units); anything else is a broken layout.
const COORD_LIMIT: f32 = 100.0;
/// Key centres closer than this are indistinguishable and make the touch model degenerate.
const MIN_CENTRE_GAP: f32 = 0.05;
const NO_KEY: u8 = u8::MAX;

/// One key: its character, centre and size in key units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Key {
    /// The (lower-case) character the key types.
    pub ch: char,
    /// Centre, x (key widths from the left edge).
    pub x: f32,
    /// Centre, y (rows from the top edge).
    pub y: f32,
    /// Width in key units.
    pub width: f32,
    /// Height in rows.
    pub height: f32,
    /// Per-key tap spread (standard deviation, key units) overriding the decoder default.
    pub spread: Option<(f32, f32)>,
}

/// A keyboard layout: a validated set of keys with a fast character → key lookup.
#[derive(Debug, Clone)]
pub struct Layout {
    name: String,
    keys: Vec<Key>,
    ascii: [u8; 128],
    min: (f32, f32),
    max: (f32, f32),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonLayout {
    name: String,
    #[serde(default)]
    rows: Vec<JsonRow>,
    #[serde(default)]
    keys: Vec<JsonKey>,
    required: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRow {
    x: f32,
    y: f32,
    keys: String,
    key_width: Option<f32>,
    height: Option<f32>,
    spread_x: Option<f32>,
    spread_y: Option<f32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonKey {
    #[serde(rename = "char")]
    ch: String,
    x: f32,
    y: f32,
    width: Option<f32>,
    height: Option<f32>,
    spread_x: Option<f32>,
    spread_y: Option<f32>,
}

const QWERTY_JSON: &str = include_str!("../layouts/qwerty-en-us.json");
const AZERTY_JSON: &str = include_str!("../layouts/azerty-fr.json");
const QWERTZ_JSON: &str = include_str!("../layouts/qwertz-de.json");
const DEFAULT_REQUIRED: &str = "abcdefghijklmnopqrstuvwxyz ";

fn bad(what: impl Into<String>) -> Error {
    Error::InvalidInput(format!("layout: {}", what.into()))
}

fn spread_of(sx: Option<f32>, sy: Option<f32>) -> Option<(f32, f32)> {
    match (sx, sy) {
        (None, None) => None,
        (a, b) => {
            let v = a.or(b).unwrap_or(0.0);
            Some((a.unwrap_or(v), b.unwrap_or(v)))
        }
    }
}

impl Layout {
    /// US English QWERTY (the default).
    pub fn qwerty() -> Layout {
        Self::builtin_or_panic(QWERTY_JSON)
    }

    /// French AZERTY.
    pub fn azerty() -> Layout {
        Self::builtin_or_panic(AZERTY_JSON)
    }

    /// German QWERTZ (with ü, ö, ä).
    pub fn qwertz() -> Layout {
        Self::builtin_or_panic(QWERTZ_JSON)
    }

    // The embedded files are checked by tests, so failing here is a build defect, not input.
    #[allow(clippy::expect_used)]
    fn builtin_or_panic(json: &str) -> Layout {
        Self::from_json(json).expect("embedded layout is valid")
    }

    /// A built-in layout by name: "qwerty-en-us" (or "qwerty"), "azerty-fr" ("azerty"),
    /// "qwertz-de" ("qwertz").
    pub fn builtin(name: &str) -> Result<Layout> {
        match name {
            "qwerty" | "qwerty-en-us" => Ok(Self::qwerty()),
            "azerty" | "azerty-fr" => Ok(Self::azerty()),
            "qwertz" | "qwertz-de" => Ok(Self::qwertz()),
            _ => Err(bad("unknown built-in layout name")),
        }
    }

    /// Read a layout from a JSON file (see the module docs for the format).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Layout> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::from(e).in_file(path))?;
        Self::from_json(&text).map_err(|e| e.in_file(path))
    }

    /// Parse and validate a layout from JSON text.
    pub fn from_json(json: &str) -> Result<Layout> {
        let raw: JsonLayout = serde_json::from_str(json).map_err(|e| Error::Parse {
            line: e.line(),
            what: format!(
                "layout JSON ({:?}) at column {}: {}",
                e.classify(),
                e.column(),
                e
            ),
        })?;
        let mut keys = Vec::new();
        for row in &raw.rows {
            let w = row.key_width.unwrap_or(1.0);
            let h = row.height.unwrap_or(1.0);
            for (i, ch) in row.keys.chars().enumerate() {
                keys.push(Key {
                    ch,
                    x: row.x + (i as f32 + 0.5) * w,
                    y: row.y + 0.5 * h,
                    width: w,
                    height: h,
                    spread: spread_of(row.spread_x, row.spread_y),
                });
            }
        }
        for k in &raw.keys {
            let mut chars = k.ch.chars();
            let (Some(ch), None) = (chars.next(), chars.next()) else {
                return Err(bad("a key's \"char\" must be exactly one character"));
            };
            let w = k.width.unwrap_or(1.0);
            let h = k.height.unwrap_or(1.0);
            keys.push(Key {
                ch,
                x: k.x + 0.5 * w,
                y: k.y + 0.5 * h,
                width: w,
                height: h,
                spread: spread_of(k.spread_x, k.spread_y),
            });
        }
        let required = raw.required.as_deref().unwrap_or(DEFAULT_REQUIRED);
        Self::from_keys(raw.name, keys, required)
    }

    /// Build a layout from explicit keys (centres), checking it the same way as JSON.
    pub fn from_keys(name: String, keys: Vec<Key>, required: &str) -> Result<Layout> {
        if keys.len() < 2 || keys.len() > MAX_KEYS {
            return Err(bad(format!("must have between 2 and {MAX_KEYS} keys")));
        }
        if name.is_empty() || name.len() > 64 {
            return Err(bad("name must be 1 to 64 bytes"));
        }
        let mut ascii = [NO_KEY; 128];
        let mut min = (f32::INFINITY, f32::INFINITY);
        let mut max = (f32::NEG_INFINITY, f32::NEG_INFINITY);
        for (i, k) in keys.iter().enumerate() {
            let nums = [k.x, k.y, k.width, k.height];
            if nums.iter().any(|v| !v.is_finite()) {
                return Err(bad(format!(
                    "key {i}: coordinates and sizes must be finite"
                )));
            }
            if k.x.abs() > COORD_LIMIT || k.y.abs() > COORD_LIMIT {
                return Err(bad(format!("key {i}: centre outside ±{COORD_LIMIT}")));
            }
            if !(k.width > 0.0 && k.height > 0.0 && k.width <= 20.0 && k.height <= 20.0) {
                return Err(bad(format!("key {i}: width and height must be in (0, 20]")));
            }
            if let Some((sx, sy)) = k.spread {
                if !(sx.is_finite()
                    && sy.is_finite()
                    && sx > 0.01
                    && sy > 0.01
                    && sx <= 10.0
                    && sy <= 10.0)
                {
                    return Err(bad(format!("key {i}: spread must be in (0.01, 10]")));
                }
            }
            if k.ch.is_control() || k.ch.to_lowercase().ne(std::iter::once(k.ch)) {
                return Err(bad(format!(
                    "key {i}: character must be lower-case and printable"
                )));
            }
            if keys[..i].iter().any(|o| o.ch == k.ch) {
                return Err(bad(format!("key {i}: duplicate character")));
            }
            if keys[..i]
                .iter()
                .any(|o| (o.x - k.x).abs() < MIN_CENTRE_GAP && (o.y - k.y).abs() < MIN_CENTRE_GAP)
            {
                return Err(bad(format!("key {i}: centre coincides with another key")));
            }
            if (k.ch as u32) < 128 {
                ascii[k.ch as usize] = i as u8;
            }
            min = (
                min.0.min(k.x - k.width / 2.0),
                min.1.min(k.y - k.height / 2.0),
            );
            max = (
                max.0.max(k.x + k.width / 2.0),
                max.1.max(k.y + k.height / 2.0),
            );
        }
        for (n, c) in required.chars().enumerate() {
            if !keys.iter().any(|k| k.ch == c) {
                return Err(bad(format!("required character number {n} has no key")));
            }
        }
        Ok(Layout {
            name,
            keys,
            ascii,
            min,
            max,
        })
    }

    /// The layout's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// All keys, in declaration order; a key's index here is its key index.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// Index of the key that types `c` (already lower-case), if any.
    #[inline]
    pub fn key_index(&self, c: char) -> Option<usize> {
        if (c as u32) < 128 {
            let i = self.ascii[c as usize];
            (i != NO_KEY).then_some(i as usize)
        } else {
            self.keys.iter().position(|k| k.ch == c)
        }
    }

    /// The key centre for character `c`, if the layout has it.
    pub fn centre(&self, c: char) -> Option<(f32, f32)> {
        self.key_index(c).map(|i| (self.keys[i].x, self.keys[i].y))
    }

    /// Bounding box of all keys: ((left, top), (right, bottom)).
    pub fn bounds(&self) -> ((f32, f32), (f32, f32)) {
        (self.min, self.max)
    }

    /// A point moved onto the keyboard's bounding box (taps just off the edge still count
    /// for the nearest keys). Non-finite input is the caller's to reject.
    pub fn clamp(&self, x: f32, y: f32) -> (f32, f32) {
        (
            x.clamp(self.min.0, self.max.0),
            y.clamp(self.min.1, self.max.1),
        )
    }

    /// Index of the key whose rectangle contains the point, else the nearest centre.
    pub fn key_at(&self, x: f32, y: f32) -> usize {
        let mut best = 0;
        let mut best_d = f32::INFINITY;
        for (i, k) in self.keys.iter().enumerate() {
            if (x - k.x).abs() <= k.width / 2.0 && (y - k.y).abs() <= k.height / 2.0 {
                return i;
            }
            let d = (x - k.x).powi(2) + (y - k.y).powi(2);
            if d < best_d {
                best_d = d;
                best = i;
            }
        }
        best
    }
}

impl Default for Layout {
    fn default() -> Self {
        Self::qwerty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_load_and_have_geometry() {
        for name in ["qwerty", "azerty", "qwertz"] {
            let l = Layout::builtin(name).unwrap();
            assert!(l.keys().len() >= 27, "{name}");
            assert!(l.key_index(' ').is_some());
        }
        let q = Layout::qwerty();
        assert_eq!(q.centre('q'), Some((0.5, 0.5)));
        assert_eq!(q.centre('a'), Some((1.0, 1.5)));
        assert_eq!(q.centre('z'), Some((2.0, 2.5)));
        assert_eq!(q.centre(' '), Some((5.0, 3.5)));
        assert_eq!(Layout::azerty().centre('m'), Some((9.5, 1.5)));
        assert!(Layout::qwertz().key_index('ü').is_some());
        assert!(Layout::builtin("dvorak").is_err());
    }

    #[test]
    fn key_at_and_clamp() {
        let q = Layout::qwerty();
        let s = q.key_index('s').unwrap();
        assert_eq!(q.key_at(2.0, 1.5), s);
        assert_eq!(q.keys()[q.key_at(-5.0, 0.2)].ch, 'q');
        assert_eq!(q.clamp(-3.0, 99.0), (0.0, 4.0));
    }

    #[test]
    fn bad_layouts_are_clear_errors() {
        let dup = r#"{"name":"d","rows":[{"x":0,"y":0,"keys":"abca"}],"required":""}"#;
        let e = Layout::from_json(dup).unwrap_err().to_string();
        assert!(e.contains("duplicate"), "{e}");
        let missing = r#"{"name":"m","rows":[{"x":0,"y":0,"keys":"abc"}]}"#;
        let e = Layout::from_json(missing).unwrap_err().to_string();
        assert!(e.contains("required"), "{e}");
        let nan = Layout::from_keys(
            "n".into(),
            vec![
                Key {
                    ch: 'a',
                    x: f32::NAN,
                    y: 0.5,
                    width: 1.0,
                    height: 1.0,
                    spread: None,
                },
                Key {
                    ch: 'b',
                    x: 1.5,
                    y: 0.5,
                    width: 1.0,
                    height: 1.0,
                    spread: None,
                },
            ],
            "",
        );
        assert!(matches!(nan, Err(Error::InvalidInput(_))));
        let zero = r#"{"name":"z","rows":[{"x":0,"y":0,"keys":"ab","key_width":0}],"required":""}"#;
        assert!(Layout::from_json(zero).is_err());
        let upper = r#"{"name":"u","rows":[{"x":0,"y":0,"keys":"aB"}],"required":""}"#;
        assert!(Layout::from_json(upper).is_err());
        let two = r#"{"name":"t","rows":[],"keys":[{"char":"ab","x":0,"y":0}],"required":""}"#;
        assert!(Layout::from_json(two).is_err());
        let extra = r#"{"name":"x","colour":"red","rows":[]}"#;
        assert!(matches!(Layout::from_json(extra), Err(Error::Parse { .. })));
        assert!(matches!(
            Layout::from_json("{not json"),
            Err(Error::Parse { .. })
        ));
        let same = r#"{"name":"s","keys":[{"char":"a","x":0,"y":0},{"char":"b","x":0.01,"y":0}],"required":""}"#;
        assert!(Layout::from_json(same).is_err());
    }

    #[test]
    fn from_file_attributes_errors() {
        let dir = std::env::temp_dir().join(format!("kw-layout-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("l.json");
        std::fs::write(&p, r#"{"name":"x","rows":[{"x":0,"y":0,"keys":"ab"}],"required":"ab","keys":[{"char":"c","x":0,"y":1,"spread_x":0.3}]}"#).unwrap();
        let l = Layout::from_file(&p).unwrap();
        assert_eq!(l.keys()[2].spread, Some((0.3, 0.3)));
        let e = Layout::from_file(dir.join("none.json")).unwrap_err();
        assert!(matches!(e, Error::InFile { .. }));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
