//! pyo3 glue for keywise: type conversion, the GIL released around core calls, error mapping.
//! No logic lives here.

use std::path::PathBuf;
use std::sync::{Mutex, RwLock};

use keywise_core::blend::now_days;
use keywise_core::decode::{Level, Tap};
use keywise_core::field::FieldMemory;
use keywise_core::personal::{PhiFilter, PhiPolicy, StoreKey, UserStore};
use zeroize::Zeroize;

use keywise_core::engine::{Engine as CoreEngine, Suggestion as CoreSuggestion};
use keywise_core::error::Error;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;

create_exception!(
    _native,
    KeywiseError,
    PyException,
    "Base class of keywise errors."
);
create_exception!(
    _native,
    PackError,
    KeywiseError,
    "A model pack or model file is missing, corrupt or of the wrong version."
);
create_exception!(
    _native,
    InUseError,
    KeywiseError,
    "A user store is open elsewhere (another process, or another UserStore of the same file)."
);
create_exception!(
    _native,
    IntegrityError,
    KeywiseError,
    "Encrypted data failed authentication: wrong key or tampered file."
);

/// keywise.InputError (a ValueError) with `msg`; a plain ValueError if the module is missing.
fn input_error(py: Python<'_>, msg: String) -> PyErr {
    match py
        .import("keywise.errors")
        .and_then(|m| m.getattr("InputError"))
    {
        Ok(cls) => PyErr::from_type(cls.cast_into().expect("InputError is a type"), msg),
        Err(_) => PyValueError::new_err(msg),
    }
}

/// Map a core error to the Python exception hierarchy (messages carry no user text).
pub fn to_py(err: Error) -> PyErr {
    let msg = err.to_string();
    match err.root() {
        Error::InvalidInput(_) => Python::attach(|py| input_error(py, msg)),
        Error::Integrity(_) => IntegrityError::new_err(msg),
        Error::InUse(_) => InUseError::new_err(msg),
        _ => PackError::new_err(msg),
    }
}

/// A str argument the user typed, as UTF-8: a non-str or a lone surrogate (which cannot be
/// UTF-8) gives InputError naming the argument, not pyo3's TypeError / UnicodeEncodeError
/// quoting the offending character.
fn text_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    let bad = |what: &str| input_error(obj.py(), format!("{name} {what}"));
    let s = obj.cast::<PyString>().map_err(|_| bad("must be a str"))?;
    s.to_str()
        .map(str::to_owned)
        .map_err(|_| bad("is not valid Unicode text (lone surrogate)"))
}

/// One suggestion.
#[pyclass(frozen, module = "keywise", get_all)]
#[derive(Clone)]
pub struct Suggestion {
    text: String,
    score: f32,
    kind: String,
    /// Characters before the cursor that `text` replaces when that is more than the word at
    /// the cursor (a correction over a span the taps covered: "ni e", "for.helping"); 0: the
    /// word at the cursor.
    replaces: usize,
}

#[pymethods]
impl Suggestion {
    #[new]
    #[pyo3(signature = (text, score, kind = "completion".to_string(), replaces = 0))]
    fn new(text: String, score: f32, kind: String, replaces: usize) -> Self {
        Suggestion {
            text,
            score,
            kind,
            replaces,
        }
    }
    fn __repr__(&self) -> String {
        let span = if self.replaces > 0 {
            format!(", replaces={}", self.replaces)
        } else {
            String::new()
        };
        format!(
            "Suggestion(text={:?}, score={:.3}, kind={:?}{span})",
            self.text, self.score, self.kind
        )
    }
    fn __eq__(&self, other: &Self) -> bool {
        self.text == other.text
            && self.score == other.score
            && self.kind == other.kind
            && self.replaces == other.replaces
    }
}

impl From<&CoreSuggestion> for Suggestion {
    fn from(s: &CoreSuggestion) -> Self {
        Suggestion {
            text: s.text.clone(),
            score: s.score,
            kind: s.kind.as_str().to_string(),
            replaces: 0,
        }
    }
}

/// The native engine over one model pack; immutable and shared by threads.
#[pyclass(frozen, module = "keywise._native")]
pub struct NativeEngine {
    inner: CoreEngine,
    phi: PhiFilter,
}

/// A user's encrypted store (learned words, n-grams, shortcuts). Shared by threads behind a lock.
#[pyclass(frozen, module = "keywise", name = "UserStore")]
pub struct NativeUserStore {
    inner: RwLock<UserStore>,
}

/// One text field's memory of the suggestions it showed (see `keywise_core::field`).
#[pyclass(frozen, module = "keywise._native")]
pub struct NativeField {
    inner: Mutex<FieldMemory>,
}

#[pymethods]
impl NativeField {
    #[new]
    fn new() -> Self {
        NativeField {
            inner: Mutex::new(FieldMemory::new()),
        }
    }

    /// Forget what the field showed.
    fn clear(&self) -> PyResult<()> {
        lock_field(self)?.clear();
        Ok(())
    }
}

fn lock_field(f: &NativeField) -> PyResult<std::sync::MutexGuard<'_, FieldMemory>> {
    f.inner
        .lock()
        .map_err(|_| KeywiseError::new_err("field lock poisoned"))
}

fn read_store(s: &NativeUserStore) -> PyResult<std::sync::RwLockReadGuard<'_, UserStore>> {
    s.inner
        .read()
        .map_err(|_| KeywiseError::new_err("user store lock poisoned"))
}

fn write_store(s: &NativeUserStore) -> PyResult<std::sync::RwLockWriteGuard<'_, UserStore>> {
    s.inner
        .write()
        .map_err(|_| KeywiseError::new_err("user store lock poisoned"))
}

fn taps_of(taps: Option<Vec<(f32, f32)>>) -> Option<Vec<Tap>> {
    taps.map(|t| t.into_iter().map(|(x, y)| Tap { x, y }).collect())
}

fn level_of(py: Python<'_>, level: &str) -> PyResult<Level> {
    Ok(match level {
        "off" => Level::Off,
        "conservative" => Level::Conservative,
        "normal" => Level::Normal,
        "aggressive" => Level::Aggressive,
        _ => {
            return Err(input_error(
                py,
                "level must be off, conservative, normal or aggressive".into(),
            ))
        }
    })
}

#[pymethods]
impl NativeUserStore {
    /// Open (or create) the store at `path` with a 32-byte `key` or a `passphrase`.
    #[staticmethod]
    #[pyo3(signature = (path, key = None, passphrase = None))]
    fn open(
        py: Python<'_>,
        path: PathBuf,
        key: Option<Bound<'_, PyAny>>,
        passphrase: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let key_error = || input_error(py, "key must be exactly 32 bytes".into());
        let key = key
            .map(|k| k.extract::<Vec<u8>>().map_err(|_| key_error()))
            .transpose()?;
        let passphrase = passphrase.map(|p| text_arg(&p, "passphrase")).transpose()?;
        let k = match (key, passphrase) {
            (Some(mut k), None) => {
                let raw: Result<[u8; 32], _> = k.as_slice().try_into();
                k.zeroize();
                StoreKey::Raw(raw.map_err(|_| key_error())?)
            }
            (None, Some(p)) if !p.is_empty() => StoreKey::Passphrase(p),
            _ => {
                return Err(input_error(
                    py,
                    "give exactly one of key (32 bytes) or a non-empty passphrase".into(),
                ))
            }
        };
        let s = py.detach(|| UserStore::open(&path, k)).map_err(to_py)?;
        Ok(NativeUserStore {
            inner: RwLock::new(s),
        })
    }
    /// Write the store atomically.
    fn save(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| write_store(self).and_then(|mut s| s.save().map_err(to_py)))
    }
    /// Let go of the file's lock (it does not save): another UserStore may open the file now.
    fn close(&self) -> PyResult<()> {
        write_store(self)?.release();
        Ok(())
    }
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }
    /// Leaving a `with` block closes the store (save inside the block to keep changes).
    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.close()?;
        Ok(false)
    }
    /// Learned words with their (decayed) counts.
    fn words(&self) -> PyResult<std::collections::HashMap<String, f64>> {
        Ok(read_store(self)?
            .model()
            .words(now_days())
            .into_iter()
            .collect())
    }
    /// Add a word now (a medical term the pack lacks).
    fn add(&self, word: &Bound<'_, PyAny>) -> PyResult<()> {
        let word = text_arg(word, "word")?;
        write_store(self)?
            .model_mut()
            .add_word(&word)
            .map_err(to_py)
    }
    /// Forget a word and its n-grams; True if it was known.
    fn forget(&self, word: &Bound<'_, PyAny>) -> PyResult<bool> {
        let word = text_arg(word, "word")?;
        Ok(write_store(self)?.model_mut().forget(&word))
    }
    /// Forget everything (save to make it permanent).
    fn wipe(&self) -> PyResult<()> {
        write_store(self)?.model_mut().wipe();
        Ok(())
    }
    /// Does the user's dictionary hold this word?
    fn knows(&self, word: &Bound<'_, PyAny>) -> PyResult<bool> {
        let word = text_arg(word, "word")?;
        Ok(read_store(self)?.model().knows(&word))
    }
    /// Export the learned words as plain text (`dic=False`) or Hunspell .dic.
    #[pyo3(signature = (path, dic = false))]
    fn export(&self, path: PathBuf, dic: bool) -> PyResult<()> {
        read_store(self)?
            .model()
            .export_words(&path, dic)
            .map_err(to_py)
    }
    /// Import a word list (plain or .dic); returns how many words were added.
    fn import_words(&self, path: PathBuf) -> PyResult<usize> {
        write_store(self)?
            .model_mut()
            .import_words(&path)
            .map_err(to_py)
    }
    /// Define a shortcut ("sob" -> "shortness of breath").
    fn set_shortcut(
        &self,
        abbrev: &Bound<'_, PyAny>,
        expansion: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let (abbrev, expansion) = (
            text_arg(abbrev, "abbrev")?,
            text_arg(expansion, "expansion")?,
        );
        write_store(self)?
            .model_mut()
            .set_shortcut(&abbrev, &expansion)
            .map_err(to_py)
    }
    /// Remove a shortcut; True if it existed.
    fn remove_shortcut(&self, abbrev: &Bound<'_, PyAny>) -> PyResult<bool> {
        let abbrev = text_arg(abbrev, "abbrev")?;
        Ok(write_store(self)?.model_mut().remove_shortcut(&abbrev))
    }
    /// The learning settings kept in the store: `min_uses` (uses before a new word is offered)
    /// and `half_life_days` (the forgetting curve; inf: never forget).
    fn config(&self) -> PyResult<(u32, f64)> {
        let cfg = read_store(self)?.model().config();
        Ok((cfg.min_uses, cfg.half_life_days))
    }
    /// Change the learning settings (save to keep them). They apply to every word from then on:
    /// a word is offered once its uses reach `min_uses`.
    #[pyo3(signature = (min_uses = None, half_life_days = None))]
    fn configure(
        &self,
        min_uses: Option<Bound<'_, PyAny>>,
        half_life_days: Option<f64>,
    ) -> PyResult<()> {
        let mut guard = write_store(self)?;
        let model = guard.model_mut();
        let mut cfg = model.config();
        if let Some(n) = min_uses {
            // Not an int that fits in u32 (-3, 10**30, "2"): 0, which set_config refuses.
            cfg.min_uses = n.extract::<u32>().unwrap_or(0);
        }
        if let Some(h) = half_life_days {
            cfg.half_life_days = h;
        }
        model.set_config(cfg).map_err(to_py)
    }
    /// All shortcuts.
    fn shortcuts(&self) -> PyResult<Vec<(String, String)>> {
        Ok(read_store(self)?.model().shortcuts())
    }
    /// The store's file.
    #[getter]
    fn path(&self) -> PyResult<PathBuf> {
        Ok(read_store(self)?.path().to_path_buf())
    }
    fn __repr__(&self) -> String {
        "UserStore(<encrypted>)".to_string()
    }
}

#[pymethods]
impl NativeEngine {
    /// Load and verify the pack in `path`. `phi_policy`: how `learn` recognises person names,
    /// "strict" (the pack's names list and names from context: after a title, after "name:")
    /// or "list" (the list only).
    #[staticmethod]
    #[pyo3(signature = (path, phi_policy = "strict"))]
    fn load(py: Python<'_>, path: PathBuf, phi_policy: &str) -> PyResult<Self> {
        let policy = match phi_policy {
            "strict" => PhiPolicy::Strict,
            "list" => PhiPolicy::ListOnly,
            _ => {
                return Err(to_py(Error::InvalidInput(
                    "phi_policy must be \"strict\" or \"list\"".into(),
                )))
            }
        };
        let (inner, phi) = py
            .detach(|| -> keywise_core::Result<_> {
                let inner = keywise_core::pack::load(&path)?;
                let m = keywise_core::pack::read_manifest(&path)?;
                let names: Vec<String> = match &m.names {
                    Some(n) => {
                        let p = path.join(n);
                        std::fs::read_to_string(&p)
                            .map_err(|e| Error::from(e).in_file(&p))?
                            .lines()
                            .map(str::to_string)
                            .collect()
                    }
                    None => Vec::new(),
                };
                Ok((inner, PhiFilter::new(policy, names)))
            })
            .map_err(to_py)?;
        Ok(NativeEngine { inner, phi })
    }

    /// Suggestions for the text before the cursor (taps: one (x, y) per character of the partial
    /// word; store: mix in that user's words; field: leave out what that field showed earlier
    /// for the word being typed, and with `record` remember what is returned).
    #[pyo3(signature = (text, k, taps = None, store = None, decode = true, field = None, record = true))]
    #[allow(clippy::too_many_arguments)]
    fn suggest(
        &self,
        py: Python<'_>,
        text: &str,
        k: usize,
        taps: Option<Vec<(f32, f32)>>,
        store: Option<&NativeUserStore>,
        decode: bool,
        field: Option<&NativeField>,
        record: bool,
    ) -> PyResult<Vec<Suggestion>> {
        let taps = taps_of(taps);
        let out = py.detach(|| -> PyResult<Vec<CoreSuggestion>> {
            let mut out = Vec::with_capacity(k.min(64));
            let guard = match store {
                Some(s) => Some(read_store(s)?),
                None => None,
            };
            let user = guard.as_ref().map(|g| g.model());
            match field {
                Some(f) => self.inner.suggest_in_field(
                    text,
                    taps.as_deref(),
                    k,
                    user,
                    decode,
                    &mut *lock_field(f)?,
                    record,
                    &mut out,
                ),
                None => {
                    self.inner
                        .suggest_blended(text, taps.as_deref(), k, user, decode, &mut out)
                }
            }
            .map_err(to_py)?;
            Ok(out)
        })?;
        Ok(out.iter().map(Suggestion::from).collect())
    }

    /// Remember that `shown` was displayed for `text` in `field`.
    fn record_shown(
        &self,
        py: Python<'_>,
        text: &str,
        shown: Vec<String>,
        field: &NativeField,
    ) -> PyResult<()> {
        py.detach(|| -> PyResult<()> {
            let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
            self.inner
                .record_shown(text, &shown, &mut *lock_field(field)?);
            Ok(())
        })
    }

    /// Autocorrect verdict for the last word of `text`: (suggestion, apply, guard) or None.
    #[pyo3(signature = (text, taps = None, level = "normal", store = None))]
    fn autocorrect(
        &self,
        py: Python<'_>,
        text: &str,
        taps: Option<Vec<(f32, f32)>>,
        level: &str,
        store: Option<&NativeUserStore>,
    ) -> PyResult<Option<(Suggestion, bool, String)>> {
        let level = level_of(py, level)?;
        let taps = taps_of(taps);
        let r = py.detach(|| -> PyResult<_> {
            let guard = match store {
                Some(s) => Some(read_store(s)?),
                None => None,
            };
            let knows = |w: &str| guard.as_ref().is_some_and(|g| g.model().knows(w));
            self.inner
                .autocorrect(text, taps.as_deref(), level, &knows)
                .map_err(to_py)
        })?;
        Ok(r.map(|r| {
            (
                Suggestion {
                    replaces: r.span,
                    ..Suggestion::from(&r.suggestion)
                },
                r.apply,
                r.guard.to_string(),
            )
        }))
    }

    /// The user undid `replacement` for `typed`: do not offer it again.
    fn reject(&self, typed: &str, replacement: &str) {
        self.inner.reject(typed, replacement);
    }

    /// Learn from committed text into `store` (identifiers and names are never learned).
    fn learn(
        &self,
        py: Python<'_>,
        store: &NativeUserStore,
        text: &str,
    ) -> PyResult<(usize, usize)> {
        py.detach(|| -> PyResult<_> {
            let r = write_store(store)?
                .model_mut()
                .learn(text, &self.phi, now_days())
                .map_err(to_py)?;
            Ok((r.words, r.skipped))
        })
    }

    /// The keyboard layout: (char, x, y, width, height) per key, in key units.
    fn layout(&self) -> Vec<(String, f32, f32, f32, f32)> {
        self.inner
            .decoder()
            .layout()
            .keys()
            .iter()
            .map(|k| (k.ch.to_string(), k.x, k.y, k.width, k.height))
            .collect()
    }

    /// log10 P(word | text before it), word by word over `text` (the perplexity evaluation).
    fn score_text(&self, py: Python<'_>, text: &str) -> Vec<(String, f32, bool)> {
        py.detach(|| self.inner.score_text(text))
    }

    /// Facts about the loaded pack.
    fn info(&self) -> std::collections::HashMap<String, u64> {
        let lm = self.inner.lm();
        let mut m = std::collections::HashMap::new();
        m.insert("words".to_string(), self.inner.lexicon().len() as u64);
        m.insert("order".to_string(), lm.order() as u64);
        m.insert("ngram_bytes".to_string(), lm.byte_len() as u64);
        for n in 1..=lm.order() {
            m.insert(format!("{n}-grams"), lm.entries(n) as u64);
        }
        m
    }
}

/// Build a model pack from a recipe (JSON) into `out`; `progress(stage, fraction)` is called
/// from the build thread with the GIL taken only for the call.
#[pyfunction]
#[pyo3(signature = (recipe_json, out, progress = None))]
fn build_pack(
    py: Python<'_>,
    recipe_json: &str,
    out: PathBuf,
    progress: Option<Py<PyAny>>,
) -> PyResult<String> {
    let recipe: keywise_core::pack::Recipe = serde_json::from_str(recipe_json)
        .map_err(|e| PyValueError::new_err(format!("invalid recipe: {e}")))?;
    let m = py
        .detach(|| {
            let mut cb = |stage: &str, frac: f64| {
                if let Some(p) = &progress {
                    Python::attach(|py| {
                        let _ = p.call1(py, (stage, frac));
                    });
                }
            };
            keywise_core::pack::build(&recipe, &out, &mut cb)
        })
        .map_err(to_py)?;
    serde_json::to_string(&m).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Convert an ARPA file into a keywise `.kwm` n-gram model.
#[pyfunction]
fn arpa_to_kwm(py: Python<'_>, arpa: PathBuf, out: PathBuf) -> PyResult<()> {
    py.detach(|| -> keywise_core::Result<()> {
        let f = std::fs::File::open(&arpa).map_err(|e| Error::from(e).in_file(&arpa))?;
        let t = keywise_core::ngram::arpa::read_arpa(std::io::BufReader::new(f))
            .map_err(|e| e.in_file(&arpa))?;
        std::fs::write(&out, t.to_bytes()).map_err(|e| Error::from(e).in_file(&out))
    })
    .map_err(to_py)
}

/// Write a `.kwm` model as ARPA text.
#[pyfunction]
fn kwm_to_arpa(py: Python<'_>, kwm: PathBuf, out: PathBuf) -> PyResult<()> {
    py.detach(|| -> keywise_core::Result<()> {
        let m = keywise_core::ngram::NgramModel::open(&kwm)?;
        m.verify().map_err(|e| e.in_file(&kwm))?;
        let f = std::fs::File::create(&out).map_err(|e| Error::from(e).in_file(&out))?;
        let mut w = std::io::BufWriter::new(f);
        keywise_core::ngram::arpa::write_arpa(&m, &mut w)
    })
    .map_err(to_py)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeEngine>()?;
    m.add_class::<Suggestion>()?;
    m.add_class::<NativeUserStore>()?;
    m.add_class::<NativeField>()?;
    m.add_function(wrap_pyfunction!(build_pack, m)?)?;
    m.add_function(wrap_pyfunction!(arpa_to_kwm, m)?)?;
    m.add_function(wrap_pyfunction!(kwm_to_arpa, m)?)?;
    m.add("KeywiseError", m.py().get_type::<KeywiseError>())?;
    m.add("PackError", m.py().get_type::<PackError>())?;
    m.add("IntegrityError", m.py().get_type::<IntegrityError>())?;
    m.add("InUseError", m.py().get_type::<InUseError>())?;
    // The neural runtime splits the text itself and must join words as the engine does.
    m.add(
        "JOINERS",
        keywise_core::engine::JOINERS.iter().collect::<String>(),
    )?;
    Ok(())
}
