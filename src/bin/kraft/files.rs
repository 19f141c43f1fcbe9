//! Inputs and outputs of the command line: every input is opened and read exactly once,
//! no partial output file is ever left behind, an existing file is never overwritten
//! without `-f`, devices and links are never replaced or removed, and inputs are only
//! read.
//!
//! Inputs follow gzip and zstd: a name that is not a regular file (a FIFO, a device, a
//! socket) or is a symbolic link is refused when its output would be named after it,
//! unless forced (`-f`); read as a stream (`-c`, `-o`) it is read like standard input.
//! Outputs: a new or regular file is written beside its target and renamed into place
//! when complete; an existing device, FIFO or socket (`-o /dev/null`) is written into; a
//! symbolic link is written through, to the file it names.

use std::fs::{self, File, Metadata};
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tempfile::NamedTempFile;

/// Where data comes from.
#[allow(clippy::large_enum_variant)] // one input at a time: its size does not matter
pub enum Input {
    Stdin(io::Stdin),
    File {
        file: File,
        path: PathBuf,
        /// What was opened (fstat of the open file, not of the name).
        meta: Metadata,
        /// The name is a symbolic link.
        link: bool,
        /// Bytes read so far.
        read: u64,
    },
}

/// How an input name may be opened.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// `-f`: follow symbolic links and read non-regular files even when the output is
    /// named after the input.
    pub force: bool,
    /// The input is read as a stream: its output is standard output or `-o`, or there is
    /// none (`test`, `info`), so no file is named after it.
    pub stream: bool,
}

impl Input {
    pub fn stdin() -> Input {
        Input::Stdin(io::stdin())
    }

    /// Open a file to read (once), as `policy` allows. Errors name the path.
    pub fn file(path: &Path, policy: Policy) -> Result<Input, String> {
        let shown = path.display();
        let named = fs::symlink_metadata(path).map_err(|e| format!("{shown}: {e}"))?;
        let link = named.file_type().is_symlink();
        let free = policy.stream || policy.force;
        if link && !free {
            return Err(format!(
                "{shown}: is a symbolic link -- ignored (use -f to follow it, or -c)"
            ));
        }
        // Checked before opening, since opening a FIFO waits for a writer.
        let target = fs::metadata(path).map_err(|e| format!("{shown}: {e}"))?;
        if target.is_dir() {
            return Err(format!("{shown}: is a directory -- ignored"));
        }
        if !target.is_file() && !free {
            return Err(format!(
                "{shown}: is not a regular file -- ignored (use -c or -o to read it as a stream, or -f)"
            ));
        }
        let file = File::open(path).map_err(|e| format!("{shown}: {e}"))?;
        let meta = file.metadata().map_err(|e| format!("{shown}: {e}"))?;
        if meta.is_dir() {
            return Err(format!("{shown}: is a directory -- ignored"));
        }
        Ok(Input::File {
            file,
            path: path.to_path_buf(),
            meta,
            link,
            read: 0,
        })
    }

    /// Metadata to carry over to an output: a regular file's only.
    pub fn metadata(&self) -> Option<Metadata> {
        match self {
            Input::File { meta, .. } if meta.is_file() => Some(meta.clone()),
            _ => None,
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

    /// Whether `--rm` may remove the input's name: a regular file named directly, not
    /// through a link, not a device or FIFO, not standard input.
    pub fn removable(&self) -> bool {
        matches!(self, Input::File { meta, link: false, .. } if meta.is_file())
    }

    pub fn path(&self) -> Option<&Path> {
        match self {
            Input::File { path, .. } => Some(path),
            Input::Stdin(_) => None,
        }
    }

    /// Device and inode of the regular file read (standard input included), if it is one.
    pub fn identity(&self) -> Option<(u64, u64)> {
        match self {
            Input::File { meta, .. } => regular_identity(meta),
            Input::Stdin(s) => {
                use std::os::fd::AsFd;
                let fd = s.as_fd().try_clone_to_owned().ok()?;
                regular_identity(&File::from(fd).metadata().ok()?)
            }
        }
    }
}

/// Device and inode of a regular file.
fn regular_identity(m: &Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    m.is_file().then(|| (m.dev(), m.ino()))
}

impl Input {
    /// The open file, for reading at any offset, when it is a regular file that
    /// nothing has been read from.
    pub fn seekable(&self) -> Option<&File> {
        match self {
            Input::File {
                file,
                meta,
                read: 0,
                ..
            } if meta.is_file() => Some(file),
            _ => None,
        }
    }

    /// The same input again from its start, after [`Input::seekable`] reads.
    pub fn rewound(self) -> io::Result<Input> {
        if let Input::File { file, .. } = &self {
            use std::io::Seek;
            (&*file).seek(io::SeekFrom::Start(0))?;
        }
        Ok(self)
    }
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::Stdin(s) => s.read(buf),
            Input::File { file, read, .. } => {
                let n = file.read(buf)?;
                *read += n as u64;
                Ok(n)
            }
        }
    }
}

/// Remove `input`'s name after its output is complete (`--rm`), if it is a regular file,
/// the output a synced file of its own (`saved`), and the name still the file that was
/// read, as it was read (its length and modification time); anything else is kept,
/// with a note.
pub fn remove_input(input: &Input, saved: bool) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let (Some(path), Input::File { meta, read, .. }) = (input.path(), input) else {
        return Ok(());
    };
    let kept = |why: &str| {
        eprintln!("kraft: {}: {why} -- not removed", path.display());
        Ok(())
    };
    if !input.removable() {
        return kept("not a regular file");
    }
    if !saved {
        return kept("the output is not a file of its own");
    }
    match fs::symlink_metadata(path) {
        Ok(now) if now.dev() == meta.dev() && now.ino() == meta.ino() => {
            if now.len() != *read
                || now.mtime() != meta.mtime()
                || now.mtime_nsec() != meta.mtime_nsec()
            {
                return kept("changed while it was read");
            }
        }
        _ => return kept("replaced while it was read"),
    }
    fs::remove_file(path).map_err(|e| format!("{}: cannot remove: {e}", path.display()))
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

/// Where data goes: standard output, an existing device (or FIFO, or socket) written
/// into, or a temporary file beside the target that is renamed into place only by
/// [`Output::commit`].
pub enum Output {
    Stdout(io::Stdout),
    Device {
        file: File,
        target: PathBuf,
    },
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

    /// A file output at `target` (through symbolic links): an existing device, FIFO or
    /// socket, or a name of an open descriptor (`/dev/stdout`), is written into; an
    /// existing file, or a link to a device, is replaced or written through only if
    /// `force`.
    pub fn file(target: &Path, force: bool, private: bool) -> Result<Output, String> {
        let shown = target.display();
        let named = fs::symlink_metadata(target).ok();
        let exists = named.is_some();
        let link = named.as_ref().is_some_and(|m| m.file_type().is_symlink());
        let descriptor = names_a_descriptor(target);
        let target = &match fs::metadata(target) {
            Ok(m) if m.is_dir() => return Err(format!("{shown}: is a directory")),
            Ok(m) if !m.is_file() || descriptor => {
                if link && !descriptor && !force {
                    return Err(format!(
                        "{shown}: already exists; not overwritten (use -f to force)"
                    ));
                }
                // Opened without truncating or creating, then checked as opened: a
                // regular file found there now is not written into in place.
                let file = fs::OpenOptions::new()
                    .append(true)
                    .open(target)
                    .map_err(|e| format!("{shown}: {e}"))?;
                let opened = file.metadata().map_err(|e| format!("{shown}: {e}"))?;
                if !opened.is_file() || descriptor {
                    return Ok(Output::Device {
                        file,
                        target: target.to_path_buf(),
                    });
                }
                if !force {
                    return Err(format!(
                        "{shown}: already exists; not overwritten (use -f to force)"
                    ));
                }
                fs::canonicalize(target).map_err(|e| format!("{shown}: {e}"))?
            }
            _ if exists && !force => {
                return Err(format!(
                    "{shown}: already exists; not overwritten (use -f to force)"
                ));
            }
            Ok(_) => fs::canonicalize(target).map_err(|e| format!("{shown}: {e}"))?,
            Err(_) => through_links(target).map_err(|e| format!("{shown}: {e}"))?,
        };
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

    /// Refuse an output that is the input's own file (`-o /dev/stdout > f < f`, `-f -o f`
    /// with `f` on stdin): writing it would destroy what is still being read.
    pub fn check_not(&self, input: &Input) -> Result<(), String> {
        let ours = match self {
            Output::Stdout(_) => None,
            Output::Device { file, .. } => file.metadata().ok().as_ref().and_then(regular_identity),
            Output::File { target, .. } => fs::metadata(target)
                .ok()
                .as_ref()
                .and_then(regular_identity),
        };
        if ours.is_some() && ours == input.identity() {
            return Err(format!(
                "{}: output would overwrite the input",
                self.describe()
            ));
        }
        Ok(())
    }

    pub fn writer(&mut self) -> &mut dyn Write {
        match self {
            Output::Stdout(s) => s,
            Output::Device { file, .. } => file,
            Output::File { tmp, .. } => tmp,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Output::Stdout(_) => "stdout".into(),
            Output::Device { target, .. } | Output::File { target, .. } => {
                target.display().to_string()
            }
        }
    }

    /// Make the output final: flush and sync, carry over permissions and modification
    /// time from the input, and rename into place. Returns whether the output is now a
    /// complete, synced file of its own (what `--rm` needs before it removes an input).
    pub fn commit(&mut self, meta: Option<Metadata>) -> io::Result<bool> {
        let stdout = Output::Stdout(io::stdout());
        match std::mem::replace(self, stdout) {
            Output::Stdout(mut s) => s.flush().map(|()| false),
            Output::Device { mut file, .. } => file.flush().map(|()| false),
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
                // Make the rename itself durable; an output whose directory could not be
                // synced is complete but not yet safe, so no input is removed for it.
                let dir = match target.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
                Ok(File::open(dir).and_then(|d| d.sync_all()).is_ok())
            }
        }
    }
}

/// Whether `path` names standard output or standard error (`/dev/stdout`, `/dev/fd/1`,
/// `/proc/self/fd/2`, …, spelled exactly so): descriptors opened for writing, whatever
/// they lead to. Other descriptors may be open for reading only, and are paths like any.
fn names_a_descriptor(path: &Path) -> bool {
    matches!(
        path.to_str(),
        Some(
            "/dev/stdout"
                | "/dev/stderr"
                | "/dev/fd/1"
                | "/dev/fd/2"
                | "/proc/self/fd/1"
                | "/proc/self/fd/2"
        )
    )
}

/// The file that `path` names once every symbolic link on it is followed (the path
/// itself when it is not a link, or when the last link points at nothing yet).
fn through_links(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let next = fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if next.is_relative() => dir.join(next),
                    _ => next,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}
