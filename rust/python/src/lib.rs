//! pyo3 glue for keywise: type conversion, the GIL released around core calls, error mapping.
//! No logic lives here.

use std::path::PathBuf;

use keywise_core::engine::{Engine as CoreEngine, Suggestion as CoreSuggestion};
use keywise_core::error::Error;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;

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
    IntegrityError,
    KeywiseError,
    "Encrypted data failed authentication: wrong key or tampered file."
);

fn input_error(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    py.import("keywise.errors")?.getattr("InputError")
}

/// Map a core error to the Python exception hierarchy (messages carry no user text).
pub fn to_py(err: Error) -> PyErr {
    let msg = err.to_string();
    match err.root() {
        Error::InvalidInput(_) => Python::attach(|py| match input_error(py) {
            Ok(cls) => PyErr::from_type(cls.cast_into().expect("InputError is a type"), msg),
            Err(_) => PyValueError::new_err(msg),
        }),
        Error::Integrity(_) => IntegrityError::new_err(msg),
        _ => PackError::new_err(msg),
    }
}

/// One suggestion.
#[pyclass(frozen, module = "keywise", get_all)]
#[derive(Clone)]
pub struct Suggestion {
    text: String,
    score: f32,
    kind: String,
}

#[pymethods]
impl Suggestion {
    #[new]
    #[pyo3(signature = (text, score, kind = "completion".to_string()))]
    fn new(text: String, score: f32, kind: String) -> Self {
        Suggestion { text, score, kind }
    }
    fn __repr__(&self) -> String {
        format!(
            "Suggestion(text={:?}, score={:.3}, kind={:?})",
            self.text, self.score, self.kind
        )
    }
    fn __eq__(&self, other: &Self) -> bool {
        self.text == other.text && self.score == other.score && self.kind == other.kind
    }
}

impl From<&CoreSuggestion> for Suggestion {
    fn from(s: &CoreSuggestion) -> Self {
        Suggestion {
            text: s.text.clone(),
            score: s.score,
            kind: s.kind.as_str().to_string(),
        }
    }
}

/// The native engine over one model pack; immutable and shared by threads.
#[pyclass(frozen, module = "keywise._native")]
pub struct NativeEngine {
    inner: CoreEngine,
}

#[pymethods]
impl NativeEngine {
    /// Load and verify the pack in `path`.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = py
            .detach(|| keywise_core::pack::load(&path))
            .map_err(to_py)?;
        Ok(NativeEngine { inner })
    }

    /// Suggestions for the text before the cursor.
    fn suggest(&self, py: Python<'_>, text: &str, k: usize) -> PyResult<Vec<Suggestion>> {
        let out = py
            .detach(|| {
                let mut out = Vec::with_capacity(k.min(64));
                self.inner.suggest(text, k, &mut out).map(|_| out)
            })
            .map_err(to_py)?;
        Ok(out.iter().map(Suggestion::from).collect())
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
    m.add_function(wrap_pyfunction!(build_pack, m)?)?;
    m.add_function(wrap_pyfunction!(arpa_to_kwm, m)?)?;
    m.add_function(wrap_pyfunction!(kwm_to_arpa, m)?)?;
    m.add("KeywiseError", m.py().get_type::<KeywiseError>())?;
    m.add("PackError", m.py().get_type::<PackError>())?;
    m.add("IntegrityError", m.py().get_type::<IntegrityError>())?;
    Ok(())
}
