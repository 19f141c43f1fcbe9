//! The files a bench runs: every regular file under the directories given, named by
//! the corpus (subdirectory) it is in; hidden files, links to directories, FIFOs and
//! devices are left out.

use std::path::{Path, PathBuf};

/// A file to run, with the corpus it belongs to.
pub(super) struct Job {
    pub(super) path: PathBuf,
    pub(super) corpus: String,
    pub(super) file: String,
}

pub(super) fn collect(root: &Path, dir: &Path, out: &mut Vec<Job>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for e in entries {
        let name = e.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.as_deref().is_some_and(|n| n.starts_with('.')) {
            continue;
        }
        // Directories are followed unless they are symbolic links (which may loop); of
        // the rest only regular files are read (a FIFO would wait for a writer forever,
        // a device never end); a name that cannot be looked up fails as a job.
        if e.is_dir() {
            if !e.is_symlink() {
                collect(root, &e, out)?;
            }
        } else if std::fs::metadata(&e).is_ok_and(|m| !m.is_file()) {
            eprintln!("kraft: {}: not a regular file -- skipped", e.display());
        } else if name.as_deref() != Some("MANIFEST.tsv") {
            let rel = e.strip_prefix(root).unwrap_or(&e);
            let parent = rel.parent().map(|p| p.to_string_lossy().into_owned());
            let corpus = match parent.as_deref() {
                Some(p) if !p.is_empty() => p.to_string(),
                _ => dir_name(root),
            };
            out.push(Job {
                file: display_name(&e),
                path: e,
                corpus,
            });
        }
    }
    Ok(())
}

pub(super) fn dir_name(dir: &Path) -> String {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    abs.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string())
}

pub(super) fn display_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}
