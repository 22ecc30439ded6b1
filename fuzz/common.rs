//! Shared by the fuzz targets and the seed generator: the tiny engine built from
//! tests/fixtures (once per process), and the raw-key user-store file format.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use keywise_core::engine::Engine;
use keywise_core::pack::{self, Recipe};

/// The committed fixtures (tests/fixtures), found from this crate's directory.
pub fn fixtures() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for up in [
        here.join("../tests/fixtures"),
        here.join("../../tests/fixtures"),
    ] {
        if up.join("corpus.txt").is_file() {
            return up;
        }
    }
    panic!("tests/fixtures not found from {}", here.display());
}

pub fn recipe() -> Recipe {
    Recipe::fixture(&fixtures(), "fuzz")
}

/// A tiny pack directory, built once per process (kept until the process exits).
pub fn tiny_pack() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().expect("tempdir");
        pack::build(&recipe(), d.path(), &mut |_, _| {}).expect("build tiny pack");
        d
    })
    .path()
}

/// The tiny engine, loaded once per process.
pub fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| pack::load(tiny_pack()).expect("load tiny pack"))
}

pub const KEY: [u8; 32] = [7u8; 32];
pub const WRONG_KEY: [u8; 32] = [8u8; 32];
pub const STORE_HEADER_LEN: usize = 60;

/// Encrypt `plaintext` (a codec payload) as a raw-key store file, exactly as `UserStore::save`.
pub fn seal_store(key: &[u8; 32], nonce: [u8; 24], plaintext: &[u8]) -> Vec<u8> {
    let mut h = [0u8; STORE_HEADER_LEN];
    h[0..4].copy_from_slice(b"KWUS");
    h[4..6].copy_from_slice(&1u16.to_le_bytes());
    h[36..60].copy_from_slice(&nonce);
    let mut buf = plaintext.to_vec();
    let c = XChaCha20Poly1305::new_from_slice(key).expect("32-byte key");
    c.encrypt_in_place(&XNonce::from(nonce), &h, &mut buf)
        .expect("encrypt");
    let mut out = h.to_vec();
    out.extend_from_slice(&buf);
    out
}

/// Decrypt a raw-key store file back to its codec payload (for seeds).
pub fn open_store(key: &[u8; 32], file: &[u8]) -> Option<Vec<u8>> {
    let (h, body) = file.split_at(STORE_HEADER_LEN);
    let mut nonce = [0u8; 24];
    nonce.copy_from_slice(&h[36..60]);
    let mut buf = body.to_vec();
    let c = XChaCha20Poly1305::new_from_slice(key).ok()?;
    c.decrypt_in_place(&XNonce::from(nonce), h, &mut buf).ok()?;
    Some(buf)
}

/// Read two f32s from `d` as a tap, allowing every bit pattern (NaN, inf, huge).
pub fn tap_from(d: &[u8]) -> keywise_core::decode::Tap {
    let f = |i: usize| {
        let mut b = [0u8; 4];
        for (j, x) in b.iter_mut().enumerate() {
            *x = d.get(i + j).copied().unwrap_or(0);
        }
        f32::from_le_bytes(b)
    };
    keywise_core::decode::Tap { x: f(0), y: f(4) }
}
