//! Inputs and outputs of the command line: no partial output file is ever left behind,
//! an existing file is never overwritten without `-f`, and inputs are only read.

use std::fs::{self, File, Metadata};
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tempfile::NamedTempFile;

/// Where data comes from.
pub enum Input {
    Stdin(io::Stdin),
    File {
        file: File,
        path: PathBuf,
        meta: Metadata,
    },
}

impl Input {
    pub fn stdin() -> Input {
        Input::Stdin(io::stdin())
    }

    /// Open a file to read, refusing directories.
    pub fn file(path: &Path) -> Result<Input, String> {
        let meta = fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.is_dir() {
            return Err(format!("{}: is a directory -- ignored", path.display()));
        }
        let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Input::File {
            file,
            path: path.to_path_buf(),
            meta,
        })
    }

    /// Size when known in advance (regular files).
    pub fn size(&self) -> Option<u64> {
        match self {
            Input::File { meta, .. } if meta.is_file() => Some(meta.len()),
            _ => None,
        }
    }

    pub fn metadata(&self) -> Option<Metadata> {
        match self {
            Input::File { meta, .. } => Some(meta.clone()),
            Input::Stdin(_) => None,
        }
    }

    /// Hard links to the input file (1 for stdin).
    pub fn links(&self) -> u64 {
        use std::os::unix::fs::MetadataExt;
        match self {
            Input::File { meta, .. } => meta.nlink(),
            Input::Stdin(_) => 1,
        }
    }

    pub fn path(&self) -> Option<&Path> {
        match self {
            Input::File { path, .. } => Some(path),
            Input::Stdin(_) => None,
        }
    }
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::Stdin(s) => s.read(buf),
            Input::File { file, .. } => file.read(buf),
        }
    }
}

/// Temporary outputs not yet renamed into place: removed by [`remove_pending`] when the
/// process is interrupted (an ordinary error drops them, which removes them too).
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Remove every temporary output still pending (for the interrupt handler).
pub fn remove_pending() {
    let pending = PENDING.lock().unwrap_or_else(|e| e.into_inner());
    for path in pending.iter() {
        let _ = fs::remove_file(path);
    }
}

fn forget_pending(path: &Path) {
    PENDING
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|p| p != path);
}

/// Where data goes: standard output, or a temporary file beside the target that is
/// renamed into place only by [`Output::commit`].
pub enum Output {
    Stdout(io::Stdout),
    File {
        tmp: NamedTempFile,
        target: PathBuf,
        force: bool,
    },
}

impl Output {
    pub fn stdout() -> Output {
        Output::Stdout(io::stdout())
    }

    /// A file output at `target`; refuses an existing target unless `force`.
    pub fn file(target: &Path, force: bool, private: bool) -> Result<Output, String> {
        let shown = target.display();
        match fs::symlink_metadata(target) {
            Ok(m) if m.is_dir() => return Err(format!("{shown}: is a directory")),
            Ok(_) if !force => {
                return Err(format!(
                    "{shown}: already exists; not overwritten (use -f to force)"
                ));
            }
            _ => {}
        }
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        // Private until commit gives it the input's mode, or the mode of a new file
        // (0666 less the umask) when there is no input file.
        let tmp = tempfile::Builder::new()
            .prefix(".kraft-")
            .suffix(".tmp")
            .permissions(fs::Permissions::from_mode(if private {
                0o600
            } else {
                0o666
            }))
            .tempfile_in(dir)
            .map_err(|e| format!("{shown}: cannot create a file in {}: {e}", dir.display()))?;
        PENDING
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tmp.path().to_path_buf());
        Ok(Output::File {
            tmp,
            target: target.to_path_buf(),
            force,
        })
    }

    /// A file output derived from `input`; never the input itself.
    pub fn file_for(target: &Path, force: bool, input: &Path) -> Result<Output, String> {
        if let (Ok(a), Ok(b)) = (fs::canonicalize(target), fs::canonicalize(input)) {
            if a == b {
                return Err(format!(
                    "{}: output would overwrite the input",
                    target.display()
                ));
            }
        }
        Self::file(target, force, true)
    }

    pub fn writer(&mut self) -> &mut dyn Write {
        match self {
            Output::Stdout(s) => s,
            Output::File { tmp, .. } => tmp,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Output::Stdout(_) => "stdout".into(),
            Output::File { target, .. } => target.display().to_string(),
        }
    }

    /// Make the output final: flush and sync, carry over permissions and modification
    /// time from the input, and rename into place.
    pub fn commit(&mut self, meta: Option<Metadata>) -> io::Result<()> {
        let stdout = Output::Stdout(io::stdout());
        match std::mem::replace(self, stdout) {
            Output::Stdout(mut s) => s.flush(),
            Output::File {
                mut tmp,
                target,
                force,
            } => {
                tmp.flush()?;
                tmp.as_file().sync_all()?;
                if let Some(meta) = meta {
                    fs::set_permissions(tmp.path(), meta.permissions())?;
                    let mtime = filetime::FileTime::from_last_modification_time(&meta);
                    let atime = filetime::FileTime::from_last_access_time(&meta);
                    filetime::set_file_times(tmp.path(), atime, mtime)?;
                }
                let path = tmp.path().to_path_buf();
                let done = if force {
                    tmp.persist(&target).map(|_| ())
                } else {
                    tmp.persist_noclobber(&target).map(|_| ())
                };
                forget_pending(&path);
                done.map_err(|e| {
                    let kind = e.error.kind();
                    io::Error::new(kind, format!("{}: {}", target.display(), e.error))
                })?;
                if let Some(dir) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
                    // Make the rename itself durable.
                    let _ = File::open(dir).and_then(|d| d.sync_all());
                }
                Ok(())
            }
        }
    }
}
