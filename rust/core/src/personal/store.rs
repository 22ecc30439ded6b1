//! The encrypted per-user file.
//!
//! Layout (little-endian): a 60-byte header, then the XChaCha20-Poly1305 ciphertext of the
//! [`codec`](super::codec) payload with its 16-byte tag. The whole header is the AEAD's
//! associated data, so any change to it fails authentication like a change to the ciphertext.
//!
//! | bytes  | field |
//! |--------|-------|
//! | 0..4   | magic `KWUS` |
//! | 4..6   | format version (1) |
//! | 6      | key source: 0 raw key, 1 Argon2id passphrase |
//! | 7      | reserved, 0 |
//! | 8..20  | Argon2id memory (KiB), iterations, lanes (u32 each; zero for a raw key) |
//! | 20..36 | Argon2id salt (zero for a raw key) |
//! | 36..60 | nonce, fresh from the OS for every save |

use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use zeroize::{Zeroize, Zeroizing};

use super::codec;
use super::learn::UserModel;
use crate::error::{Error, Result};

const MAGIC: [u8; 4] = *b"KWUS";
const VERSION: u16 = 1;
const HEADER_LEN: usize = 60;
const TAG_LEN: usize = 16;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const KDF_RAW: u8 = 0;
const KDF_ARGON2ID: u8 = 1;
/// Files larger than this are refused before reading.
const MAX_FILE_BYTES: u64 = 1 << 30;
/// Argon2id bounds accepted from a header (a flipped bit must not make opening take hours).
const MAX_M_COST_KIB: u32 = 1 << 18;
const MAX_T_COST: u32 = 16;
const MAX_P_COST: u32 = 8;
const MAX_PASSPHRASE_BYTES: usize = 4096;

/// Where the 32-byte store key comes from. Zeroized when dropped; `Debug` shows no secret.
pub enum StoreKey {
    /// A key held by the embedder (e.g. from the OS keychain).
    Raw([u8; 32]),
    /// A passphrase, stretched with Argon2id (salt and parameters live in the header).
    Passphrase(String),
}

impl Drop for StoreKey {
    fn drop(&mut self) {
        match self {
            StoreKey::Raw(k) => k.zeroize(),
            StoreKey::Passphrase(p) => p.zeroize(),
        }
    }
}

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreKey::Raw(_) => "StoreKey::Raw(..)",
            StoreKey::Passphrase(_) => "StoreKey::Passphrase(..)",
        })
    }
}

/// Argon2id cost, used when a passphrase store is created or re-keyed (an existing file's own
/// parameters are used to open it). The default, 19 MiB and 2 iterations, is OWASP's minimum
/// and takes tens of milliseconds in a release build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB (8 x lanes ..= 256 MiB).
    pub m_cost_kib: u32,
    /// Iterations (1..=16).
    pub t_cost: u32,
    /// Lanes (1..=8).
    pub p_cost: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams {
            m_cost_kib: 19 * 1024,
            t_cost: 2,
            p_cost: 1,
        }
    }
}

impl KdfParams {
    fn argon2(&self) -> Option<Argon2<'static>> {
        let ok = (1..=MAX_T_COST).contains(&self.t_cost)
            && (1..=MAX_P_COST).contains(&self.p_cost)
            && self.m_cost_kib <= MAX_M_COST_KIB;
        let params = Params::new(self.m_cost_kib, self.t_cost, self.p_cost, Some(32)).ok()?;
        ok.then(|| Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// Key material of an open store.
struct Keying {
    key: Zeroizing<[u8; 32]>,
    kdf: u8,
    params: KdfParams,
    salt: [u8; SALT_LEN],
}

fn integrity(what: &str) -> Error {
    Error::Integrity(what.into())
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|_| Error::Io(io::Error::other("no OS randomness")))?;
    Ok(b)
}

fn derive(pass: &str, salt: &[u8; SALT_LEN], argon: &Argon2<'_>) -> Result<Zeroizing<[u8; 32]>> {
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(pass.as_bytes(), salt, &mut *out)
        .map_err(|_| Error::InvalidInput("passphrase could not be stretched".into()))?;
    Ok(out)
}

impl Keying {
    /// Fresh keying for a new store (or a re-key): a new salt for a passphrase.
    fn new(key: &StoreKey, params: KdfParams) -> Result<Keying> {
        match key {
            StoreKey::Raw(k) => Ok(Keying {
                key: Zeroizing::new(*k),
                kdf: KDF_RAW,
                params: KdfParams {
                    m_cost_kib: 0,
                    t_cost: 0,
                    p_cost: 0,
                },
                salt: [0; SALT_LEN],
            }),
            StoreKey::Passphrase(p) => {
                check_passphrase(p)?;
                let argon = params
                    .argon2()
                    .ok_or_else(|| Error::InvalidInput("KDF parameters out of range".into()))?;
                let salt = random::<SALT_LEN>()?;
                Ok(Keying {
                    key: derive(p, &salt, &argon)?,
                    kdf: KDF_ARGON2ID,
                    params,
                    salt,
                })
            }
        }
    }

    /// Keying for an existing file, from its (not yet authenticated) header.
    fn for_header(key: &StoreKey, h: &Header) -> Result<Keying> {
        match (key, h.kdf) {
            (StoreKey::Raw(k), KDF_RAW) => {
                if h.params.m_cost_kib != 0
                    || h.params.t_cost != 0
                    || h.params.p_cost != 0
                    || h.salt != [0; SALT_LEN]
                {
                    return Err(integrity("damaged header"));
                }
                Ok(Keying {
                    key: Zeroizing::new(*k),
                    kdf: KDF_RAW,
                    params: h.params,
                    salt: h.salt,
                })
            }
            (StoreKey::Passphrase(p), KDF_ARGON2ID) => {
                check_passphrase(p)?;
                let argon = h
                    .params
                    .argon2()
                    .ok_or_else(|| integrity("damaged header (KDF parameters)"))?;
                Ok(Keying {
                    key: derive(p, &h.salt, &argon)?,
                    kdf: KDF_ARGON2ID,
                    params: h.params,
                    salt: h.salt,
                })
            }
            (_, KDF_RAW | KDF_ARGON2ID) => Err(integrity(
                "wrong kind of key for this store (raw key vs passphrase), or damaged header",
            )),
            _ => Err(integrity("damaged header (key source)")),
        }
    }

    fn cipher(&self) -> Result<XChaCha20Poly1305> {
        XChaCha20Poly1305::new_from_slice(&self.key[..])
            .map_err(|_| Error::InvalidInput("key must be 32 bytes".into()))
    }

    fn header(&self, nonce: [u8; NONCE_LEN]) -> Header {
        Header {
            kdf: self.kdf,
            params: self.params,
            salt: self.salt,
            nonce,
        }
    }
}

fn check_passphrase(p: &str) -> Result<()> {
    if p.is_empty() || p.len() > MAX_PASSPHRASE_BYTES {
        return Err(Error::InvalidInput(
            "passphrase must be 1 to 4096 bytes".into(),
        ));
    }
    Ok(())
}

struct Header {
    kdf: u8,
    params: KdfParams,
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
}

impl Header {
    fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[0..4].copy_from_slice(&MAGIC);
        h[4..6].copy_from_slice(&VERSION.to_le_bytes());
        h[6] = self.kdf;
        h[8..12].copy_from_slice(&self.params.m_cost_kib.to_le_bytes());
        h[12..16].copy_from_slice(&self.params.t_cost.to_le_bytes());
        h[16..20].copy_from_slice(&self.params.p_cost.to_le_bytes());
        h[20..36].copy_from_slice(&self.salt);
        h[36..60].copy_from_slice(&self.nonce);
        h
    }

    /// Parse without trusting: everything here is re-checked by the AEAD.
    fn parse(h: &[u8; HEADER_LEN]) -> Result<Header> {
        if h[0..4] != MAGIC {
            return Err(integrity("not a keywise user store, or damaged header"));
        }
        // A flipped bit and a future version look alike; both must not be read.
        if h[4..6] != VERSION.to_le_bytes() || h[7] != 0 {
            return Err(integrity("unsupported store version, or damaged header"));
        }
        let u32_at = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
        let mut salt = [0u8; SALT_LEN];
        salt.copy_from_slice(&h[20..36]);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&h[36..60]);
        Ok(Header {
            kdf: h[6],
            params: KdfParams {
                m_cost_kib: u32_at(8),
                t_cost: u32_at(12),
                p_cost: u32_at(16),
            },
            salt,
            nonce,
        })
    }
}

/// A user's model and the encrypted file it lives in. One `UserStore` per file at a time,
/// enforced by a lock file (`Error::InUse`).
pub struct UserStore {
    path: PathBuf,
    keying: Keying,
    model: UserModel,
    /// The store's lock file, held while this value lives (see [`lock`]); None until the
    /// store's folder exists.
    lock: Option<File>,
}

impl fmt::Debug for UserStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserStore")
            .field("path", &self.path)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl UserStore {
    /// Open the store at `path`, or start an empty one if no file is there (written on the
    /// first [`save`](Self::save)). A wrong key or any damage gives `Error::Integrity` and
    /// leaves the file untouched.
    pub fn open(path: &Path, key: StoreKey) -> Result<UserStore> {
        UserStore::open_with(path, key, KdfParams::default())
    }

    /// [`open`](Self::open) with the Argon2id cost used if the store is created here.
    pub fn open_with(path: &Path, key: StoreKey, params: KdfParams) -> Result<UserStore> {
        Self::open_inner(path, &key, params).map_err(|e| e.in_file(path))
    }

    fn open_inner(path: &Path, key: &StoreKey, params: KdfParams) -> Result<UserStore> {
        let lock = lock(path)?;
        let meta = match fs::metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(UserStore {
                    path: path.to_path_buf(),
                    keying: Keying::new(key, params)?,
                    model: UserModel::default(),
                    lock,
                });
            }
            r => r?,
        };
        if !meta.is_file() {
            return Err(Error::InvalidInput("store path is not a file".into()));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(Error::Corrupt("store file is larger than 1 GiB".into()));
        }
        // Decrypted in place; zeroized when dropped.
        let mut bytes = Zeroizing::new(fs::read(path)?);
        if bytes.len() < HEADER_LEN + TAG_LEN {
            return Err(integrity("file is truncated"));
        }
        let mut hbytes = [0u8; HEADER_LEN];
        hbytes.copy_from_slice(&bytes[..HEADER_LEN]);
        let header = Header::parse(&hbytes)?;
        let keying = Keying::for_header(key, &header)?;
        let body = &mut bytes[HEADER_LEN..];
        let (msg, tag) = body.split_at_mut(body.len() - TAG_LEN);
        let tag = Tag::try_from(&*tag).map_err(|_| integrity("file is truncated"))?;
        keying
            .cipher()?
            .decrypt_inout_detached(&XNonce::from(header.nonce), &hbytes, msg.into(), &tag)
            .map_err(|_| integrity("authentication failed: wrong key, or the file was damaged"))?;
        let buf = &bytes[HEADER_LEN..bytes.len() - TAG_LEN];
        let model = codec::decode(buf)?;
        Ok(UserStore {
            path: path.to_path_buf(),
            keying,
            model,
            lock,
        })
    }

    /// Write the model atomically: the previous file stays whole until the new one is
    /// complete and synced.
    pub fn save(&mut self) -> Result<()> {
        if self.lock.is_none() {
            // The folder was missing at open; whoever created it since may hold the store.
            self.lock = lock(&self.path).map_err(|e| e.in_file(&self.path))?;
        }
        let tmp = self.save_uncommitted()?;
        commit(&tmp, &self.path).map_err(|e| e.in_file(&self.path))?;
        remove_stale_temps(&self.path);
        Ok(())
    }

    /// Encrypt and write the temporary file (the first half of a save); returns its path.
    pub(super) fn save_uncommitted(&self) -> Result<PathBuf> {
        let path = &self.path;
        let mut buf = codec::encode(&self.model, TAG_LEN);
        let nonce = random::<NONCE_LEN>()?;
        let header = self.keying.header(nonce).encode();
        self.keying
            .cipher()?
            .encrypt_in_place(&XNonce::from(nonce), &header, &mut *buf)
            .map_err(|_| Error::InvalidInput("store too large to encrypt".into()))?;
        write_temp(path, &[&header, &buf], true).map_err(|e| e.in_file(path))
    }

    /// Use `key` from the next save on (a passphrase gets a fresh salt and `params`).
    pub fn rekey(&mut self, key: StoreKey, params: KdfParams) -> Result<()> {
        self.keying = Keying::new(&key, params)?;
        Ok(())
    }

    /// Let go of the store's lock file, so that another UserStore of this file may open it (the
    /// next [`save`](Self::save) takes the lock again, or fails with `Error::InUse`).
    pub fn release(&mut self) {
        self.lock = None;
    }

    /// The file this store saves to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The user model.
    pub fn model(&self) -> &UserModel {
        &self.model
    }

    /// The user model, to learn or edit (saved by [`save`](Self::save)).
    pub fn model_mut(&mut self) -> &mut UserModel {
        &mut self.model
    }
}

fn temp_prefix(path: &Path) -> Result<OsString> {
    let name = path
        .file_name()
        .ok_or_else(|| Error::InvalidInput("path has no file name".into()))?;
    let mut p = OsString::from(".");
    p.push(name);
    p.push(".");
    Ok(p)
}

/// Lock `.<name>.lock` beside the store for as long as the returned file is kept: a second
/// UserStore of the same file, in this process or another, is refused with `Error::InUse`
/// instead of one save silently undoing the other's changes. The OS releases the lock when the
/// process ends, however it ends. None when the folder does not exist yet, or cannot be written
/// (a read-only store can still be opened; saving it fails anyway).
fn lock(path: &Path) -> Result<Option<File>> {
    let mut name = temp_prefix(path)?;
    name.push("lock");
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = match opts.open(folder(path).join(name)) {
        Ok(f) => f,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound
                    | io::ErrorKind::PermissionDenied
                    | io::ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(e.into()),
    };
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(fs::TryLockError::WouldBlock) => Err(Error::InUse(
            "the store is open elsewhere (another program, or another UserStore of this file)"
                .into(),
        )),
        // A file system without locks (some network mounts): open unlocked, as before locks.
        Err(fs::TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => Ok(None),
        Err(fs::TryLockError::Error(e)) => Err(e.into()),
    }
}

fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Write `parts` to a new temporary file beside `path` and sync it.
fn write_temp(path: &Path, parts: &[&[u8]], private: bool) -> Result<PathBuf> {
    let mut name = temp_prefix(path)?;
    let rnd: [u8; 6] = random()?;
    name.push(rnd.iter().map(|b| format!("{b:02x}")).collect::<String>());
    name.push(".tmp");
    let tmp = folder(path).join(name);
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = opts.open(&tmp)?;
    let written = parts
        .iter()
        .try_for_each(|p| f.write_all(p))
        .and_then(|()| f.sync_all());
    drop(f);
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e.into());
    }
    Ok(tmp)
}

/// Rename the synced temporary file over `path`, then sync the folder so the rename lasts.
fn commit(tmp: &Path, path: &Path) -> Result<()> {
    if let Err(e) = fs::rename(tmp, path) {
        let _ = fs::remove_file(tmp);
        return Err(e.into());
    }
    sync_folder(folder(path))?;
    Ok(())
}

#[cfg(unix)]
fn sync_folder(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_folder(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Temporary files left by an interrupted save (encrypted, but dead weight).
fn remove_stale_temps(path: &Path) {
    let Ok(prefix) = temp_prefix(path) else {
        return;
    };
    let Ok(entries) = fs::read_dir(folder(path)) else {
        return;
    };
    let prefix = prefix.to_string_lossy().into_owned();
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&prefix) && name.ends_with(".tmp") && name.len() == prefix.len() + 16 {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// Write a whole file atomically (temporary file, sync, rename, sync folder).
pub(super) fn write_atomic(path: &Path, parts: &[&[u8]], private: bool) -> Result<()> {
    let tmp = write_temp(path, parts, private)?;
    commit(&tmp, path)
}
