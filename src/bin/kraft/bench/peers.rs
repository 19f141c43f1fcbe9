//! Other compressors, run as external programs at their strongest standard settings.
//!
//! Each run happens in a fresh temporary directory holding a copy of the input under
//! the input's own name (so archivers store the same name as when run by hand): the
//! user's files are only ever read. Times are whole-process wall times.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// Where a command's result goes.
#[derive(Clone, Copy, Debug)]
enum Out {
    /// Standard output, redirected to the target file.
    Stdout,
    /// The program writes the file itself (an archive, or an extraction directory).
    Written,
}

/// A peer and how to run it. In the argument lists, `{in}` is the input file's name,
/// `{arc}` the compressed file and `{dir}` a fresh, empty extraction directory.
#[derive(Debug)]
pub(crate) struct Peer {
    /// Label, as given to `--peers=`.
    pub name: &'static str,
    /// The program looked up on PATH.
    pub program: &'static str,
    /// File name extension of the compressed file.
    ext: &'static str,
    compress: &'static [&'static str],
    compress_out: Out,
    decompress: &'static [&'static str],
    decompress_out: Out,
}

/// The peers, strongest standard settings, one thread each.
pub(crate) const PEERS: &[Peer] = &[
    Peer {
        name: "gzip-9",
        program: "gzip",
        ext: "gz",
        compress: &["-9", "-c", "{in}"],
        compress_out: Out::Stdout,
        decompress: &["-d", "-c", "{arc}"],
        decompress_out: Out::Stdout,
    },
    Peer {
        name: "bzip2-9",
        program: "bzip2",
        ext: "bz2",
        compress: &["-9", "-c", "{in}"],
        compress_out: Out::Stdout,
        decompress: &["-d", "-c", "{arc}"],
        decompress_out: Out::Stdout,
    },
    Peer {
        name: "xz-9e",
        program: "xz",
        ext: "xz",
        compress: &["-9e", "-T1", "-c", "{in}"],
        compress_out: Out::Stdout,
        decompress: &["-d", "-T1", "-c", "{arc}"],
        decompress_out: Out::Stdout,
    },
    Peer {
        name: "zstd-19",
        program: "zstd",
        ext: "zst",
        compress: &["-q", "-19", "-c", "{in}"],
        compress_out: Out::Stdout,
        decompress: &["-q", "-d", "-c", "{arc}"],
        decompress_out: Out::Stdout,
    },
    Peer {
        name: "zstd-22-long",
        program: "zstd",
        ext: "zst",
        compress: &["-q", "--ultra", "-22", "--long=27", "-c", "{in}"],
        compress_out: Out::Stdout,
        decompress: &["-q", "-d", "--long=27", "-c", "{arc}"],
        decompress_out: Out::Stdout,
    },
    Peer {
        name: "brotli-11",
        program: "brotli",
        ext: "br",
        compress: &["-q", "11", "-w", "24", "-c", "{in}"],
        compress_out: Out::Stdout,
        decompress: &["-d", "-c", "{arc}"],
        decompress_out: Out::Stdout,
    },
    Peer {
        name: "7z-ppmd",
        program: "7z",
        ext: "7z",
        compress: &[
            "a", "-t7z", "-m0=PPMd", "-mx=9", "-bd", "-bso0", "-bsp0", "{arc}", "{in}",
        ],
        compress_out: Out::Written,
        decompress: &["e", "-so", "-bd", "{arc}"],
        decompress_out: Out::Stdout,
    },
    Peer {
        name: "zpaq-m5",
        program: "zpaq",
        ext: "zpaq",
        compress: &["a", "{arc}", "{in}", "-m5", "-threads", "1"],
        compress_out: Out::Written,
        decompress: &["x", "{arc}", "-to", "{dir}", "-threads", "1"],
        decompress_out: Out::Written,
    },
];

impl Peer {
    /// The command lines, as one would type them (FILE stands for the input).
    pub(crate) fn command(&self) -> String {
        let line = |args: &[&str], out: Out, target: &str| {
            let mut s = self.program.to_string();
            for a in args {
                s.push(' ');
                s.push_str(
                    &a.replace("{in}", "FILE")
                        .replace("{arc}", &format!("FILE.{}", self.ext))
                        .replace("{dir}", "DIR"),
                );
            }
            if let Out::Stdout = out {
                s.push_str(" > ");
                s.push_str(target);
            }
            s
        };
        format!(
            "{}; {}",
            line(
                self.compress,
                self.compress_out,
                &format!("FILE.{}", self.ext)
            ),
            line(self.decompress, self.decompress_out, "FILE")
        )
    }
}

/// The peers named (`all`: every peer; a program name selects all its settings), split
/// into those found on PATH and the names of those not found.
pub(crate) fn select(names: &[String]) -> Result<(Vec<&'static Peer>, Vec<String>), String> {
    let mut chosen: Vec<&'static Peer> = Vec::new();
    for n in names {
        let n = n.trim();
        let matched: Vec<&'static Peer> = PEERS
            .iter()
            .filter(|p| n == "all" || p.name == n || p.program == n)
            .collect();
        if matched.is_empty() {
            let known: Vec<&str> = PEERS.iter().map(|p| p.name).collect();
            return Err(format!(
                "unknown peer '{n}' (peers: all, {})",
                known.join(", ")
            ));
        }
        for p in matched {
            if !chosen.iter().any(|c| std::ptr::eq(*c, p)) {
                chosen.push(p);
            }
        }
    }
    let (found, missing): (Vec<_>, Vec<_>) = chosen.into_iter().partition(|p| on_path(p.program));
    Ok((
        found,
        missing.into_iter().map(|p| p.name.to_string()).collect(),
    ))
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| executable(&d.join(program))))
}

#[cfg(unix)]
fn executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn executable(p: &Path) -> bool {
    p.is_file() || p.with_extension("exe").is_file()
}

/// What one peer did with one input.
pub(crate) struct PeerRun {
    pub compressed_bytes: u64,
    pub compress_seconds: Vec<f64>,
    pub decompress_seconds: Vec<f64>,
    pub round_trip_ok: bool,
}

/// Compress and decompress `data` with `peer` `repeat` times each, in a temporary
/// directory; `name` is the input's file name.
pub(crate) fn run(peer: &Peer, name: &str, data: &[u8], repeat: usize) -> Result<PeerRun, String> {
    let tmp = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    // A name an archiver could take for an option, or one with a path in it, is replaced.
    let input = if name.starts_with('-') || name.contains(['/', '\\']) || name.is_empty() {
        "input".to_string()
    } else {
        name.to_string()
    };
    std::fs::write(tmp.path().join(&input), data).map_err(|e| format!("temporary copy: {e}"))?;
    let arc = format!("{input}.{}", peer.ext);
    let arc_path = tmp.path().join(&arc);
    let mut ct = Vec::with_capacity(repeat);
    for _ in 0..repeat {
        // Archivers add to an existing archive: start from none each time.
        if arc_path.exists() {
            std::fs::remove_file(&arc_path).map_err(|e| format!("{arc}: {e}"))?;
        }
        let target = match peer.compress_out {
            Out::Stdout => Some(arc_path.as_path()),
            Out::Written => None,
        };
        ct.push(exec(
            peer,
            peer.compress,
            tmp.path(),
            &input,
            &arc,
            "",
            target,
        )?);
    }
    let compressed_bytes = std::fs::metadata(&arc_path)
        .map_err(|e| format!("no compressed file written: {e}"))?
        .len();
    let mut dt = Vec::with_capacity(repeat);
    let mut round_trip_ok = true;
    for i in 0..repeat {
        // A fresh directory each time: zpaq skips files that already exist.
        let dir = format!("x{i}");
        let dir_path = tmp.path().join(&dir);
        std::fs::create_dir(&dir_path).map_err(|e| format!("{dir}: {e}"))?;
        let out = dir_path.join(&input);
        let target = match peer.decompress_out {
            Out::Stdout => Some(out.as_path()),
            Out::Written => None,
        };
        dt.push(exec(
            peer,
            peer.decompress,
            tmp.path(),
            &input,
            &arc,
            &dir,
            target,
        )?);
        let back = std::fs::read(&out).map_err(|e| format!("no decompressed file: {e}"))?;
        if back != data {
            round_trip_ok = false;
            break;
        }
        std::fs::remove_dir_all(&dir_path).map_err(|e| format!("{dir}: {e}"))?;
    }
    Ok(PeerRun {
        compressed_bytes,
        compress_seconds: ct,
        decompress_seconds: dt,
        round_trip_ok,
    })
}

/// Run one command in `cwd`, standard output into `stdout_to` (or discarded); its wall
/// time in seconds, or what went wrong.
fn exec(
    peer: &Peer,
    args: &[&str],
    cwd: &Path,
    input: &str,
    arc: &str,
    dir: &str,
    stdout_to: Option<&Path>,
) -> Result<f64, String> {
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            a.replace("{in}", input)
                .replace("{arc}", arc)
                .replace("{dir}", dir)
        })
        .collect();
    let stdout = match stdout_to {
        Some(p) => Stdio::from(File::create(p).map_err(|e| format!("{}: {e}", p.display()))?),
        None => Stdio::null(),
    };
    let t = Instant::now();
    let out = Command::new(peer.program)
        .args(&args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", peer.program))?;
    let seconds = t.elapsed().as_secs_f64();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let err = err.trim();
        return Err(format!(
            "`{} {}` failed ({}){}{}",
            peer.program,
            args.join(" "),
            out.status,
            if err.is_empty() { "" } else { ": " },
            err.lines().last().unwrap_or_default()
        ));
    }
    Ok(seconds)
}
