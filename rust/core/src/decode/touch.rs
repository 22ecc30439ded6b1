//! Spatial touch model: a 2-D Gaussian around each key, and a per-user offset correction.

use super::params::Params;
use super::Tap;
use crate::error::{Error, Result};
use crate::layout::Layout;

#[derive(Debug, Clone, Copy)]
struct KeyModel {
    x: f32,
    y: f32,
    sx: f32,
    sy: f32,
    ln_norm: f32,
}

/// Per-layout precomputed touch model (immutable; shared by all decodes).
#[derive(Debug, Clone)]
pub(crate) struct TouchModel {
    keys: Vec<KeyModel>,
    /// `typed[t * K + k]`: cost of intending key k when key t was reported (no coordinates).
    typed: Vec<f32>,
    /// `spelling[t * K + k]`: the most intending key k can cost when key t was reported and the
    /// two letters sound alike (`Params::spelling`); infinite otherwise.
    spelling: Vec<f32>,
    floor: f32,
    cap: f32,
}

// Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): std has no erf.
fn erf(x: f32) -> f32 {
    let s = x.signum();
    let x = x.abs() as f64;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * (-x * x).exp();
    s * y as f32
}

fn phi(z: f32) -> f32 {
    0.5 * (1.0 + erf(z / std::f32::consts::SQRT_2))
}

impl TouchModel {
    pub(crate) fn new(layout: &Layout, p: &Params) -> TouchModel {
        let keys: Vec<KeyModel> = layout
            .keys()
            .iter()
            .map(|k| {
                let (sx, sy) = k
                    .spread
                    // Taps spread along the whole key: the space bar's reach the letters above it.
                    .unwrap_or((p.spread_x * k.width, p.spread_y * k.height));
                KeyModel {
                    x: k.x,
                    y: k.y,
                    sx,
                    sy,
                    ln_norm: -(sx * sy).ln(),
                }
            })
            .collect();
        let n = keys.len();
        let floor = p.touch_floor / n as f32;
        let mut typed = vec![0.0; n * n];
        for (t, kt) in layout.keys().iter().enumerate() {
            let (l, r) = (kt.x - kt.width / 2.0, kt.x + kt.width / 2.0);
            let (top, bot) = (kt.y - kt.height / 2.0, kt.y + kt.height / 2.0);
            for (k, m) in keys.iter().enumerate() {
                // Mass of key k's tap distribution that lands inside key t's rectangle.
                let px = phi((r - m.x) / m.sx) - phi((l - m.x) / m.sx);
                let py = phi((bot - m.y) / m.sy) - phi((top - m.y) / m.sy);
                let mass = (px * py).max(0.0);
                typed[t * n + k] =
                    (-((1.0 - p.touch_floor) * mass + floor).ln()).min(p.substitution);
            }
        }
        let mut spelling = vec![f32::INFINITY; n * n];
        if p.spelling < p.substitution {
            for (t, kt) in layout.keys().iter().enumerate() {
                for (k, kk) in layout.keys().iter().enumerate() {
                    if super::sounds_alike(kt.ch, kk.ch) {
                        spelling[t * n + k] = p.spelling;
                    }
                }
            }
        }
        TouchModel {
            keys,
            typed,
            spelling,
            floor,
            cap: p.substitution,
        }
    }

    pub(crate) fn n_keys(&self) -> usize {
        self.keys.len()
    }

    /// Costs of each key for a typed key index (no coordinates).
    pub(crate) fn typed_row(&self, t: usize) -> &[f32] {
        let n = self.keys.len();
        &self.typed[t * n..(t + 1) * n]
    }

    /// Spelling caps of each key for a reported key index (see `spelling`).
    pub(crate) fn spelling_row(&self, t: usize) -> &[f32] {
        let n = self.keys.len();
        &self.spelling[t * n..(t + 1) * n]
    }

    /// Costs of each key for a tap: -ln of the floored posterior, capped at the substitution
    /// cost. `out` has one slot per key. The tap must be finite and already clamped.
    pub(crate) fn tap_row(
        &self,
        layout: &Layout,
        tap: Tap,
        offsets: Option<&UserOffsets>,
        out: &mut [f32],
    ) {
        let mut max = f32::NEG_INFINITY;
        for (k, m) in self.keys.iter().enumerate() {
            let (ox, oy) = match offsets {
                Some(o) => o.offset(layout.keys()[k].ch),
                None => (0.0, 0.0),
            };
            let dx = (tap.x - m.x - ox) / m.sx;
            let dy = (tap.y - m.y - oy) / m.sy;
            let ll = -0.5 * (dx * dx + dy * dy) + m.ln_norm;
            out[k] = ll;
            max = max.max(ll);
        }
        let mut sum = 0.0;
        for v in out.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        let one_minus = 1.0 - self.floor * self.keys.len() as f32;
        for v in out.iter_mut() {
            *v = (-(one_minus * *v / sum + self.floor).ln()).min(self.cap);
        }
    }
}

/// Most observations a key's running mean remembers: older taps fade out beyond this.
const MAX_WEIGHT: f32 = 200.0;
/// Pseudo-count pulling a key's mean towards the keyboard-wide mean (shrinkage).
const PRIOR_WEIGHT: f32 = 5.0;
/// Taps further than this (key units) from the intended key are not evidence of an offset.
const MAX_OFFSET: f32 = 1.2;
const MAGIC: &[u8; 4] = b"KWTO";
const VERSION: u16 = 1;
const MAX_ENTRIES: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq)]
struct OffsetEntry {
    ch: char,
    weight: f32,
    sum_dx: f32,
    sum_dy: f32,
}

/// Per-user touch offsets: where this user's taps land relative to each key's centre, learned
/// from accepted words. Holds no text, only per-key averages; serialisable for the user store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserOffsets {
    entries: Vec<OffsetEntry>,
    weight: f32,
    sum_dx: f32,
    sum_dy: f32,
}

impl UserOffsets {
    /// No observations: every offset is zero.
    pub fn new() -> UserOffsets {
        UserOffsets::default()
    }

    /// Record one tap that was meant for `intended`. Taps far from that key are ignored.
    pub fn observe(&mut self, layout: &Layout, tap: Tap, intended: char) -> Result<()> {
        if !(tap.x.is_finite() && tap.y.is_finite()) {
            return Err(Error::InvalidInput("tap coordinates must be finite".into()));
        }
        let Some((cx, cy)) = layout.centre(intended) else {
            return Ok(());
        };
        let (x, y) = layout.clamp(tap.x, tap.y);
        let (dx, dy) = (x - cx, y - cy);
        if dx.abs() > MAX_OFFSET || dy.abs() > MAX_OFFSET {
            return Ok(());
        }
        let i = match self.entries.binary_search_by(|e| e.ch.cmp(&intended)) {
            Ok(i) => i,
            Err(i) => {
                if self.entries.len() >= MAX_ENTRIES {
                    return Ok(());
                }
                let e = OffsetEntry {
                    ch: intended,
                    weight: 0.0,
                    sum_dx: 0.0,
                    sum_dy: 0.0,
                };
                self.entries.insert(i, e);
                i
            }
        };
        let e = &mut self.entries[i];
        Self::add(&mut e.weight, &mut e.sum_dx, &mut e.sum_dy, dx, dy);
        Self::add(&mut self.weight, &mut self.sum_dx, &mut self.sum_dy, dx, dy);
        Ok(())
    }

    fn add(w: &mut f32, sx: &mut f32, sy: &mut f32, dx: f32, dy: f32) {
        if *w >= MAX_WEIGHT {
            let f = (MAX_WEIGHT - 1.0) / *w;
            *w *= f;
            *sx *= f;
            *sy *= f;
        }
        *w += 1.0;
        *sx += dx;
        *sy += dy;
    }

    /// Learn from an accepted word and the taps that typed it (one tap per character; a word
    /// whose length differs from the taps is skipped, since the alignment is unknown).
    pub fn learn_word(&mut self, layout: &Layout, word: &str, taps: &[Tap]) -> Result<()> {
        if word.chars().count() != taps.len() {
            return Ok(());
        }
        if taps.iter().any(|t| !(t.x.is_finite() && t.y.is_finite())) {
            return Err(Error::InvalidInput("tap coordinates must be finite".into()));
        }
        for (c, t) in word.chars().zip(taps) {
            for lc in c.to_lowercase().take(1) {
                self.observe(layout, *t, lc)?;
            }
        }
        Ok(())
    }

    /// The learned mean offset of taps for key `ch` (shrunk towards the keyboard-wide mean).
    pub fn offset(&self, ch: char) -> (f32, f32) {
        let gw = self.weight + PRIOR_WEIGHT;
        let (gx, gy) = (self.sum_dx / gw, self.sum_dy / gw);
        match self.entries.binary_search_by(|e| e.ch.cmp(&ch)) {
            Ok(i) => {
                let e = &self.entries[i];
                let w = e.weight + PRIOR_WEIGHT;
                (
                    (e.sum_dx + PRIOR_WEIGHT * gx) / w,
                    (e.sum_dy + PRIOR_WEIGHT * gy) / w,
                )
            }
            Err(_) => (gx, gy),
        }
    }

    /// Serialise: magic "KWTO", u16 version, u16 count, then global and per-key records
    /// (little-endian f32 weight, dx sum, dy sum; per key a u32 character first).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(20 + 16 * self.entries.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(self.entries.len() as u16).to_le_bytes());
        for v in [self.weight, self.sum_dx, self.sum_dy] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for e in &self.entries {
            out.extend_from_slice(&(e.ch as u32).to_le_bytes());
            for v in [e.weight, e.sum_dx, e.sum_dy] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        out
    }

    /// Parse bytes written by [`UserOffsets::to_bytes`]; anything malformed is `Corrupt`.
    pub fn from_bytes(bytes: &[u8]) -> Result<UserOffsets> {
        let corrupt = |w: &str| Error::Corrupt(format!("touch offsets: {w}"));
        if bytes.len() < 20 || &bytes[..4] != MAGIC {
            return Err(corrupt("bad magic or too short"));
        }
        let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
        let version = u16_at(4);
        if version != VERSION {
            return Err(Error::Version {
                found: version,
                supported: VERSION,
            });
        }
        let n = u16_at(6) as usize;
        if n > MAX_ENTRIES || bytes.len() != 20 + 16 * n {
            return Err(corrupt("bad length"));
        }
        let f32_at =
            |i: usize| f32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let check = |w: f32, x: f32, y: f32| {
            w.is_finite()
                && (0.0..=MAX_WEIGHT * MAX_ENTRIES as f32 + 1.0).contains(&w)
                && x.is_finite()
                && y.is_finite()
                && x.abs() <= w * MAX_OFFSET + 1e-3
                && y.abs() <= w * MAX_OFFSET + 1e-3
        };
        let (weight, sum_dx, sum_dy) = (f32_at(8), f32_at(12), f32_at(16));
        if !check(weight, sum_dx, sum_dy) {
            return Err(corrupt("bad global record"));
        }
        let mut entries = Vec::with_capacity(n);
        for i in 0..n {
            let o = 20 + 16 * i;
            let code = u32::from_le_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]);
            let ch = char::from_u32(code).ok_or_else(|| corrupt("bad key character"))?;
            let e = OffsetEntry {
                ch,
                weight: f32_at(o + 4),
                sum_dx: f32_at(o + 8),
                sum_dy: f32_at(o + 12),
            };
            if !check(e.weight, e.sum_dx, e.sum_dy) || e.weight > MAX_WEIGHT {
                return Err(corrupt("bad key record"));
            }
            if entries.last().is_some_and(|p: &OffsetEntry| p.ch >= ch) {
                return Err(corrupt("key records out of order"));
            }
            entries.push(e);
        }
        Ok(UserOffsets {
            entries,
            weight,
            sum_dx,
            sum_dy,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_known_values() {
        assert!((erf(0.0)).abs() < 1e-6);
        assert!((erf(1.0) - 0.842_700_8).abs() < 1e-5);
        assert!((phi(-1.0) - 0.158_655_3).abs() < 1e-5);
    }

    #[test]
    fn tap_between_keys_counts_for_both() {
        let l = Layout::qwerty();
        let tm = TouchModel::new(&l, &Params::default());
        let mut row = vec![0.0; tm.n_keys()];
        let (a, s, d) = (
            l.key_index('a').unwrap(),
            l.key_index('s').unwrap(),
            l.key_index('d').unwrap(),
        );
        tm.tap_row(&l, Tap { x: 1.5, y: 1.5 }, None, &mut row);
        assert!(
            (row[a] - row[s]).abs() < 1e-3 && row[a] < 0.8,
            "{} {}",
            row[a],
            row[s]
        );
        assert!(row[d] > 3.0);
        tm.tap_row(&l, Tap { x: 2.0, y: 1.5 }, None, &mut row);
        assert!(row[s] < 0.1 && row[a] > 3.0);
        // Typed keys: a neighbour is cheaper than a far key; exact is nearly free.
        let t = tm.typed_row(s);
        let p = l.key_index('p').unwrap();
        assert!(t[s] < 0.1 && t[a] < t[p] && t[a] > 2.0);
    }

    #[test]
    fn offsets_learn_and_round_trip() {
        let l = Layout::qwerty();
        let mut o = UserOffsets::new();
        assert_eq!(o.offset('a'), (0.0, 0.0));
        for _ in 0..50 {
            o.learn_word(&l, "as", &[Tap { x: 1.0, y: 1.8 }, Tap { x: 2.0, y: 1.8 }])
                .unwrap();
        }
        let (dx, dy) = o.offset('a');
        assert!(dx.abs() < 0.01 && (dy - 0.3).abs() < 0.03, "{dx} {dy}");
        // Unseen keys borrow the keyboard-wide mean.
        assert!(o.offset('k').1 > 0.25);
        let b = o.to_bytes();
        assert_eq!(UserOffsets::from_bytes(&b).unwrap(), o);
        let mut bad = b.clone();
        bad[0] = b'X';
        assert!(matches!(
            UserOffsets::from_bytes(&bad),
            Err(Error::Corrupt(_))
        ));
        assert!(UserOffsets::from_bytes(&b[..b.len() - 1]).is_err());
        let mut nan = b.clone();
        nan[24..28].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(UserOffsets::from_bytes(&nan).is_err());
        assert!(o
            .observe(
                &l,
                Tap {
                    x: f32::NAN,
                    y: 0.0
                },
                'a'
            )
            .is_err());
        // The weight is bounded: old taps fade.
        for _ in 0..1000 {
            o.observe(&l, Tap { x: 1.0, y: 1.5 }, 'a').unwrap();
        }
        assert!(o.offset('a').1.abs() < 0.05);
        assert!(UserOffsets::from_bytes(&o.to_bytes()).is_ok());
    }
}
