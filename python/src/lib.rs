//! Python bindings of kraft: a thin layer over the library's API (`kraft::compress`,
//! `decompress`, `report`, `Prior`, `Encoder`, `Decoder`). Inputs are copied out of the
//! caller's buffer before the GIL is released, so no Python object is touched while
//! coding; errors become the exception classes of `kraft.errors`.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use pyo3::buffer::PyBuffer;
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

/// The exception for a kraft error: its class from `kraft.errors`, by kind.
fn to_py(mut e: kraft::Error) -> PyErr {
    use kraft::Error as E;
    // A kraft error that went through an io::Error (the Read and Write impls) comes back
    // as itself.
    while let E::Io(io) = &e {
        if !io.get_ref().is_some_and(|inner| inner.is::<kraft::Error>()) {
            break;
        }
        let E::Io(io) = e else { unreachable!() };
        e = match io
            .into_inner()
            .map(|inner| inner.downcast::<kraft::Error>())
        {
            Some(Ok(k)) => *k,
            _ => unreachable!("checked to be a kraft::Error"),
        };
    }
    let class = match &e {
        E::Io(io) => return PyOSError::new_err(io.to_string()),
        E::BadMagic | E::UnsupportedVersion { .. } | E::TrailingGarbage { .. } => "FormatError",
        E::Truncated(_) => "TruncatedError",
        E::HeaderChecksum { .. } | E::Checksum { .. } | E::Content(_) => "ChecksumError",
        E::Corrupt { .. } => "CorruptError",
        E::UnknownModel(_) => "UnknownModelError",
        E::UnknownModelName(_) | E::InvalidOption(_) => "OptionError",
        E::MemoryLimit { .. } => "MemoryLimitError",
        E::BadPrior(_) => "BadPriorError",
        E::PriorMissing { .. }
        | E::PriorUnnamed
        | E::PriorMismatch { .. }
        | E::PriorModel { .. } => "PriorMismatchError",
        E::NoIndex => "FormatError",
        _ => "KraftError",
    };
    Python::attach(|py| {
        let made = py
            .import("kraft.errors")
            .and_then(|m| m.getattr(class))
            .and_then(|c| c.call1((e.to_string(),)));
        match made {
            Ok(exc) => PyErr::from_value(exc),
            Err(err) => err,
        }
    })
}

/// The bytes of any object with the buffer protocol, in C order (copied, so the GIL
/// can be released while they are coded). A buffer of items wider than a byte is read
/// as its bytes.
fn bytes_of(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let py = obj.py();
    match PyBuffer::<u8>::get(obj) {
        Ok(buf) => buf.to_vec(py),
        Err(_) => {
            // Not a byte buffer: let Python view it as bytes (any format, contiguous or
            // not), or say what it is.
            let view = py
                .import("kraft._buffers")?
                .getattr("as_bytes")?
                .call1((obj,))?;
            PyBuffer::<u8>::get(&view)?.to_vec(py)
        }
    }
}

/// A trained prior (`kraft train`): a model fitted to a set of samples, which small
/// records are then coded against.
#[pyclass(module = "kraft._kraft", frozen, name = "Prior")]
struct Prior {
    inner: kraft::Prior,
}

#[pymethods]
impl Prior {
    /// A prior from the bytes of a `.kfp` file.
    #[staticmethod]
    fn from_bytes(data: &Bound<'_, PyAny>) -> PyResult<Prior> {
        let bytes = bytes_of(data)?;
        let inner = kraft::Prior::from_bytes(&bytes).map_err(to_py)?;
        Ok(Prior { inner })
    }

    /// The bytes of its `.kfp` file.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_bytes())
    }

    /// The content id streams record, as 16 hex digits.
    #[getter]
    fn id(&self) -> String {
        self.inner.id_hex()
    }

    /// The model it was trained for.
    #[getter]
    fn model(&self) -> String {
        self.inner.model_name()
    }

    /// The level it was trained at.
    #[getter]
    fn level(&self) -> u8 {
        self.inner.level()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Prior>()
            .is_ok_and(|o| o.get().inner.id() == self.inner.id())
    }

    fn __hash__(&self) -> u64 {
        self.inner.id()
    }

    fn __repr__(&self) -> String {
        format!(
            "kraft.Prior(model={:?}, level={}, id={:?}, bytes={})",
            self.inner.model_name(),
            self.inner.level(),
            self.inner.id_hex(),
            self.inner.body_len()
        )
    }

    /// Pickled as its bytes.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let py = slf.py();
        let ctor = py.get_type::<Prior>().getattr("from_bytes")?;
        Ok((ctor, (PyBytes::new(py, &slf.get().inner.to_bytes()),)))
    }
}

/// The keyword options the coding functions take besides `model` and `level`.
const OPTIONS: &[&str] = &[
    "block_size",
    "threads",
    "prior",
    "segment",
    "components",
    "bits_back",
    "width",
];

/// Options from a call's `model`, `level` and keyword options ([`OPTIONS`]; `None`
/// for one means its default).
fn options(model: &str, level: u8, kw: Option<&Bound<'_, PyDict>>) -> PyResult<kraft::Options> {
    if let Some(kw) = kw {
        for key in kw.keys() {
            let key: String = key.extract()?;
            if !OPTIONS.contains(&key.as_str()) {
                return Err(PyTypeError::new_err(format!("unexpected option {key:?}")));
            }
        }
    }
    let get = |key: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
        Ok(match kw {
            Some(kw) => kw.get_item(key)?.filter(|v| !v.is_none()),
            None => None,
        })
    };
    let block_size: Option<usize> = get("block_size")?.map(|v| v.extract()).transpose()?;
    let threads: usize = get("threads")?
        .map(|v| v.extract())
        .transpose()?
        .unwrap_or(1);
    let prior = match get("prior")? {
        Some(v) => Some(
            v.cast::<Prior>()
                .map_err(|_| PyTypeError::new_err("prior must be a kraft.Prior"))?
                .get()
                .inner
                .clone(),
        ),
        None => None,
    };
    let segment = get("segment")?;
    let segment = segment.as_ref();
    let components: Option<usize> = get("components")?.map(|v| v.extract()).transpose()?;
    let bits_back: bool = get("bits_back")?
        .map(|v| v.extract())
        .transpose()?
        .unwrap_or(true);
    let width: Option<usize> = get("width")?.map(|v| v.extract()).transpose()?;
    let spec = match model {
        "mixture" => {
            let segment = match segment {
                None => kraft::model::Segment::Lines,
                Some(s) if s.extract::<String>().is_ok_and(|s| s == "lines") => {
                    kraft::model::Segment::Lines
                }
                Some(s) => kraft::model::Segment::Fixed(s.extract::<usize>().map_err(|_| {
                    to_py(kraft::Error::InvalidOption(
                        "segment must be \"lines\" or a size in bytes".into(),
                    ))
                })?),
            };
            kraft::ModelSpec::Mixture(
                kraft::model::Mixture::new()
                    .segment(segment)
                    .components(components)
                    .bits_back(bits_back),
            )
        }
        "grid" => kraft::ModelSpec::Grid(kraft::model::Grid::new(level).width(width)),
        name => {
            if segment.is_some() || components.is_some() || !bits_back {
                return Err(to_py(kraft::Error::InvalidOption(
                    "segment, components and bits_back are options of model=\"mixture\"".into(),
                )));
            }
            if width.is_some() {
                return Err(to_py(kraft::Error::InvalidOption(
                    "width is an option of model=\"grid\"".into(),
                )));
            }
            kraft::ModelSpec::from(name)
        }
    };
    let mut o = kraft::Options::new()
        .model(spec)
        .level(level)
        .threads(threads);
    if let Some(b) = block_size {
        o = o.block_size(b);
    }
    if let Some(p) = prior.as_ref() {
        if model != p.model_name() {
            return Err(to_py(kraft::Error::PriorModel {
                prior: p.model_name(),
                stream: model.to_string(),
            }));
        }
        o = o.prior(p);
    }
    o.validate().map_err(to_py)?;
    Ok(o)
}

/// Compress `data` (any object with the buffer protocol) into a kraft stream.
#[pyfunction]
#[pyo3(signature = (data, model="cm", level=6, **options))]
fn compress<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    model: &str,
    level: u8,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let opts = self::options(model, level, options)?;
    let input = bytes_of(data)?;
    let packed = py
        .detach(|| kraft::compress(&input, &opts))
        .map_err(to_py)?;
    Ok(PyBytes::new(py, &packed))
}

/// A decoder with the caller's limits.
fn decoder<R: Read>(
    r: R,
    prior: Option<&Prior>,
    memory_limit: Option<u64>,
    threads: usize,
) -> kraft::Decoder<R> {
    let mut d = kraft::Decoder::new(r)
        .threads(threads)
        .memory_limit(memory_limit);
    if let Some(p) = prior {
        d = d.prior(&p.inner);
    }
    d
}

/// Decompress a kraft stream (or several concatenated).
#[pyfunction]
#[pyo3(signature = (data, *, prior=None, memory_limit=kraft::DEFAULT_MEMORY_LIMIT, threads=1))]
fn decompress<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    prior: Option<PyRef<'py, Prior>>,
    memory_limit: Option<u64>,
    threads: usize,
) -> PyResult<Bound<'py, PyBytes>> {
    let input = bytes_of(data)?;
    let prior = prior.as_deref();
    let out = py
        .detach(|| {
            let mut out = Vec::new();
            decoder(&input[..], prior, memory_limit, threads).read_all(&mut out)?;
            Ok::<_, kraft::Error>(out)
        })
        .map_err(to_py)?;
    Ok(PyBytes::new(py, &out))
}

/// The entropy report of compressing `data`, as the JSON text of `kraft report --json`.
#[pyfunction]
#[pyo3(signature = (data, model="cm", level=6, **options))]
fn report_json<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    model: &str,
    level: u8,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<String> {
    let opts = self::options(model, level, options)?;
    let input = bytes_of(data)?;
    let r = py.detach(|| kraft::report(&input, &opts)).map_err(to_py)?;
    serde_json::to_string(&r).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Train a prior on `samples` (a list of objects with the buffer protocol).
#[pyfunction]
#[pyo3(signature = (samples, model="cm", level=6, *, size=kraft::DEFAULT_PRIOR_SIZE))]
fn train<'py>(
    py: Python<'py>,
    samples: &Bound<'py, PyList>,
    model: &str,
    level: u8,
    size: usize,
) -> PyResult<Prior> {
    let samples: Vec<Vec<u8>> = samples
        .iter()
        .map(|s| bytes_of(&s))
        .collect::<PyResult<_>>()?;
    let opts = options(model, level, None)?;
    let inner = py
        .detach(|| kraft::Prior::train_within(&samples, &opts, size))
        .map_err(to_py)?;
    Ok(Prior { inner })
}

/// Streaming compression: bytes in, stream bytes out as they are produced.
#[pyclass(module = "kraft._kraft")]
struct Compressor {
    inner: Mutex<Option<kraft::Encoder<Vec<u8>>>>,
}

#[pymethods]
impl Compressor {
    #[new]
    #[pyo3(signature = (model="cm", level=6, **options))]
    fn new(model: &str, level: u8, options: Option<&Bound<'_, PyDict>>) -> PyResult<Compressor> {
        let opts = self::options(model, level, options)?;
        let enc = kraft::Encoder::new(Vec::new(), &opts).map_err(to_py)?;
        Ok(Compressor {
            inner: Mutex::new(Some(enc)),
        })
    }

    /// Take `data`; return the stream bytes completed so far (often none: a block is
    /// coded once it is full).
    fn compress<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let input = bytes_of(data)?;
        let out = py.detach(|| {
            let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            let enc = guard
                .as_mut()
                .ok_or_else(|| kraft::Error::InvalidOption("the compressor is finished".into()))?;
            enc.write_all(&input)?;
            Ok::<_, kraft::Error>(std::mem::take(enc.get_mut()))
        });
        Ok(PyBytes::new(py, &out.map_err(to_py)?))
    }

    /// Code what is left and end the stream; return its last bytes.
    fn finish<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let out = py.detach(|| {
            let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            let enc = guard
                .take()
                .ok_or_else(|| kraft::Error::InvalidOption("the compressor is finished".into()))?;
            enc.finish()
        });
        Ok(PyBytes::new(py, &out.map_err(to_py)?))
    }
}

/// A Python binary file, read from Rust (re-attaching to the interpreter for each read).
/// An exception the file raises is kept in `error`, to be raised again as it was; bytes a
/// `read` returns beyond those asked for wait in `extra`.
struct PyReader {
    file: Py<PyAny>,
    error: Arc<Mutex<Option<PyErr>>>,
    extra: Vec<u8>,
}

impl Read for PyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.extra.is_empty() {
            let got = Python::attach(|py| -> PyResult<Vec<u8>> {
                let chunk = self.file.call_method1(py, "read", (buf.len(),))?;
                let chunk = chunk.bind(py);
                let bytes = chunk
                    .cast::<PyBytes>()
                    .map_err(|_| PyTypeError::new_err("read() of the file did not return bytes"))?;
                Ok(bytes.as_bytes().to_vec())
            });
            match got {
                Ok(bytes) => self.extra = bytes,
                Err(e) => {
                    *self.error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    return Err(std::io::Error::other("the file's read() raised"));
                }
            }
        }
        let n = self.extra.len().min(buf.len());
        buf[..n].copy_from_slice(&self.extra[..n]);
        self.extra.drain(..n);
        Ok(n)
    }
}

/// Streaming decompression from a binary file object.
#[pyclass(module = "kraft._kraft")]
struct Decompressor {
    inner: Mutex<kraft::Decoder<PyReader>>,
    /// What the file raised, if it did.
    error: Arc<Mutex<Option<PyErr>>>,
}

#[pymethods]
impl Decompressor {
    #[new]
    #[pyo3(signature = (file, *, prior=None, memory_limit=kraft::DEFAULT_MEMORY_LIMIT, threads=1))]
    fn new(
        file: Py<PyAny>,
        prior: Option<PyRef<'_, Prior>>,
        memory_limit: Option<u64>,
        threads: usize,
    ) -> Decompressor {
        let error = Arc::new(Mutex::new(None));
        let reader = PyReader {
            file,
            error: error.clone(),
            extra: Vec::new(),
        };
        Decompressor {
            inner: Mutex::new(decoder(reader, prior.as_deref(), memory_limit, threads)),
            error,
        }
    }

    /// Decoded bytes: at least one and at most `n` (none only at the end); every byte
    /// returned has been checked against its block's CRC. An error found after good
    /// bytes is raised by the call after the one that returns them.
    fn read<'py>(&self, py: Python<'py>, n: usize) -> PyResult<Bound<'py, PyBytes>> {
        let out = py.detach(|| {
            let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            let mut out = vec![0u8; n];
            loop {
                match guard.read(&mut out) {
                    Ok(k) => {
                        out.truncate(k);
                        return Ok(out);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        });
        match out {
            Ok(out) => Ok(PyBytes::new(py, &out)),
            Err(e) => match self.error.lock().unwrap_or_else(|p| p.into_inner()).take() {
                Some(raised) => Err(raised),
                None => Err(to_py(kraft::Error::Io(e))),
            },
        }
    }
}

#[pymodule]
fn _kraft(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(compress, m)?)?;
    m.add_function(wrap_pyfunction!(decompress, m)?)?;
    m.add_function(wrap_pyfunction!(report_json, m)?)?;
    m.add_function(wrap_pyfunction!(train, m)?)?;
    m.add_class::<Prior>()?;
    m.add_class::<Compressor>()?;
    m.add_class::<Decompressor>()?;
    m.add("DEFAULT_MEMORY_LIMIT", kraft::DEFAULT_MEMORY_LIMIT)?;
    m.add("DEFAULT_PRIOR_SIZE", kraft::DEFAULT_PRIOR_SIZE)?;
    m.add("DEFAULT_LEVEL", kraft::DEFAULT_LEVEL)?;
    Ok(())
}
