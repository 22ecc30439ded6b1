//! The header shared by every keywise binary file, and bounds-checked readers over bytes.
//!
//! Layout (little-endian, 32 bytes): magic `KWSE`, format version u16, kind u16, payload length
//! u64, payload CRC-32 u32, header CRC-32 u32 (of the 24 bytes before it), 8 reserved zero bytes.
//! `open` checks the header only (cheap); `verify` also checks the payload checksum.

use crate::error::{Error, Result};

/// Magic bytes at the start of every keywise file.
pub const MAGIC: [u8; 4] = *b"KWSE";
/// Current on-disk format version.
pub const FORMAT_VERSION: u16 = 1;
/// Header size in bytes; payloads start here (8-byte aligned).
pub const HEADER_LEN: usize = 32;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum Kind {
    /// A lexicon (`.kwl`).
    Lexicon = 1,
    /// An n-gram language model (`.kwm`).
    Ngram = 2,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Lexicon => "lexicon",
            Kind::Ngram => "n-gram model",
        }
    }
}

/// Prepend a header to `payload`.
pub fn wrap(kind: Kind, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(kind as u16).to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    let hcrc = crc32fast::hash(&out[..20]);
    out.extend_from_slice(&hcrc.to_le_bytes());
    out.extend_from_slice(&[0u8; 8]);
    out.extend_from_slice(payload);
    out
}

/// Check the header of `bytes` and return the payload slice. Does not checksum the payload.
pub fn open(bytes: &[u8], kind: Kind) -> Result<&[u8]> {
    if bytes.len() < HEADER_LEN {
        return Err(Error::corrupt(format!(
            "file is {} bytes, shorter than the {HEADER_LEN}-byte header",
            bytes.len()
        )));
    }
    if bytes[..4] != MAGIC {
        return Err(Error::corrupt("not a keywise file (bad magic)"));
    }
    let hcrc = u32::from_le_bytes(bytes[20..24].try_into().unwrap_or_default());
    if crc32fast::hash(&bytes[..20]) != hcrc {
        return Err(Error::corrupt("header checksum mismatch"));
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if version != FORMAT_VERSION {
        return Err(Error::Version {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let found = u16::from_le_bytes([bytes[6], bytes[7]]);
    if found != kind as u16 {
        return Err(Error::WrongKind {
            expected: kind.name(),
            found,
        });
    }
    let len = u64::from_le_bytes(bytes[8..16].try_into().unwrap_or_default());
    let actual = (bytes.len() - HEADER_LEN) as u64;
    if len != actual {
        return Err(Error::corrupt(format!(
            "header says {len} payload bytes, file has {actual} (truncated or padded)"
        )));
    }
    Ok(&bytes[HEADER_LEN..])
}

/// `open` plus a checksum of the whole payload.
pub fn verify(bytes: &[u8], kind: Kind) -> Result<&[u8]> {
    let payload = open(bytes, kind)?;
    let want = u32::from_le_bytes(bytes[16..20].try_into().unwrap_or_default());
    if crc32fast::hash(payload) != want {
        return Err(Error::corrupt("payload checksum mismatch"));
    }
    Ok(payload)
}

/// A bounds-checked little-endian cursor over a byte slice.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Start reading at offset 0.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    /// Bytes consumed so far.
    pub fn pos(&self) -> usize {
        self.pos
    }
    /// Take `n` raw bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| {
                Error::corrupt(format!(
                    "section of {n} bytes at offset {} runs past the end ({} bytes)",
                    self.pos,
                    self.buf.len()
                ))
            })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    /// Read a u32.
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(
            self.bytes(4)?.try_into().unwrap_or_default(),
        ))
    }
    /// Read a u64.
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.bytes(8)?.try_into().unwrap_or_default(),
        ))
    }
    /// Read an f32.
    pub fn f32(&mut self) -> Result<f32> {
        Ok(f32::from_le_bytes(
            self.bytes(4)?.try_into().unwrap_or_default(),
        ))
    }
    /// Read a length-prefixed section (u64 byte count), padded to 8 bytes.
    pub fn section(&mut self, what: &str) -> Result<&'a [u8]> {
        let n = self.u64()?;
        let n = usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.buf.len())
            .ok_or_else(|| Error::corrupt(format!("{what}: absurd section length {n}")))?;
        let s = self.bytes(n)?;
        let pad = (8 - n % 8) % 8;
        self.bytes(pad)?;
        Ok(s)
    }
    /// Read a section and view it as `count` little-endian u32 values (count = len / 4).
    pub fn u32s(&mut self, what: &str) -> Result<U32s<'a>> {
        let s = self.section(what)?;
        if s.len() % 4 != 0 {
            return Err(Error::corrupt(format!(
                "{what}: length not a multiple of 4"
            )));
        }
        Ok(U32s(s))
    }
}

/// Writer counterpart of [`Reader`].
#[derive(Default)]
pub struct Writer {
    /// The bytes written so far.
    pub buf: Vec<u8>,
}

impl Writer {
    /// Append a u32.
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    /// Append a u64.
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    /// Append an f32.
    pub fn f32(&mut self, v: f32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    /// Append a length-prefixed section padded to 8 bytes.
    pub fn section(&mut self, data: &[u8]) {
        self.u64(data.len() as u64);
        self.buf.extend_from_slice(data);
        let pad = (8 - data.len() % 8) % 8;
        self.buf.extend(std::iter::repeat_n(0u8, pad));
    }
    /// Append a section of u32 values.
    pub fn u32s(&mut self, vals: &[u32]) {
        let mut b = Vec::with_capacity(vals.len() * 4);
        for v in vals {
            b.extend_from_slice(&v.to_le_bytes());
        }
        self.section(&b);
    }
}

/// A zero-copy view of little-endian u32 values (no alignment requirement).
#[derive(Clone, Copy)]
pub struct U32s<'a>(pub &'a [u8]);

impl<'a> U32s<'a> {
    /// Number of values.
    #[inline]
    pub fn len(&self) -> usize {
        self.0.len() / 4
    }
    /// True when empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Value `i`; callers check `i < len()` (out of range reads 0 rather than panicking).
    #[inline]
    pub fn get(&self, i: usize) -> u32 {
        match self.0.get(i * 4..i * 4 + 4) {
            Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_errors() {
        let f = wrap(Kind::Ngram, b"hello world");
        assert_eq!(verify(&f, Kind::Ngram).unwrap(), b"hello world");
        assert!(matches!(
            open(&f, Kind::Lexicon),
            Err(Error::WrongKind { .. })
        ));
        assert!(matches!(
            open(&f[..20], Kind::Ngram),
            Err(Error::Corrupt(_))
        ));
        assert!(matches!(
            open(&f[..f.len() - 1], Kind::Ngram),
            Err(Error::Corrupt(_))
        ));
        let mut bad = f.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(open(&bad, Kind::Ngram).is_ok());
        assert!(verify(&bad, Kind::Ngram).is_err());
        let mut v2 = f.clone();
        v2[4] = 9;
        assert!(open(&v2, Kind::Ngram).is_err());
    }
}
