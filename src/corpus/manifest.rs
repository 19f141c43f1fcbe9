//! `MANIFEST.tsv`: one row per generated file.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Generated;

/// The manifest's file name, next to the files it describes.
pub(super) const MANIFEST: &str = "MANIFEST.tsv";

/// The manifest's header line.
const HEADER: &str = "file\tbytes\tsha256\tentropy_bits\tself_information_bits\tdescription";

/// One row of a `MANIFEST.tsv` written by [`super::write_suite`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ManifestEntry {
    /// File name, relative to the manifest's directory.
    pub name: String,
    /// File length in bytes.
    pub bytes: u64,
    /// SHA-256 of the file, 64 lowercase hex digits.
    pub sha256: String,
    /// E[−log2 p(X)] for a sample of this length from the true source, in bits.
    pub entropy_bits: f64,
    /// −log2 p(x) of the file under the true source, in bits.
    pub self_information_bits: f64,
    /// What the source is.
    pub description: String,
}

impl ManifestEntry {
    /// The row for a generated file.
    pub(super) fn of(g: &Generated) -> Self {
        Self {
            name: g.name.clone(),
            bytes: g.data.len() as u64,
            sha256: sha256_hex(&g.data),
            entropy_bits: g.entropy_bits,
            self_information_bits: g.self_information_bits,
            description: g.description.clone(),
        }
    }

    /// The row as a manifest line, without the newline. Floats are written in Rust's
    /// shortest round-trip form, so reading them back gives the same values.
    fn line(&self) -> String {
        format!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            self.name,
            self.bytes,
            self.sha256,
            self.entropy_bits,
            self.self_information_bits,
            self.description
        )
    }

    fn parse(line: &str) -> Result<Self, String> {
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, bytes, sha256, entropy, info, description] = fields[..] else {
            return Err(format!(
                "expected 6 tab-separated fields, found {}",
                fields.len()
            ));
        };
        if name.is_empty() || name.contains(['/', '\\']) {
            return Err(format!("bad file name {name:?}"));
        }
        let bytes = bytes
            .parse()
            .map_err(|e| format!("bad byte count {bytes:?}: {e}"))?;
        if sha256.len() != 64
            || !sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(format!("bad sha256 {sha256:?}"));
        }
        let float = |s: &str, what: &str| -> Result<f64, String> {
            s.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| format!("bad {what} {s:?}"))
        };
        Ok(Self {
            name: name.into(),
            bytes,
            sha256: sha256.into(),
            entropy_bits: float(entropy, "entropy_bits")?,
            self_information_bits: float(info, "self_information_bits")?,
            description: description.into(),
        })
    }
}

/// SHA-256 as lowercase hex.
pub(super) fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Write the files and the manifest into `dir`.
pub(super) fn write(dir: &Path, files: &[Generated]) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let mut manifest = String::with_capacity(HEADER.len() + 1 + 256 * files.len());
    manifest.push_str(HEADER);
    manifest.push('\n');
    for g in files {
        let bad = |c: char| c == '\t' || c == '\n' || c == '\r';
        if g.name.contains(bad) || g.description.contains(bad) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{}: tab or newline in a manifest field", g.name),
            ));
        }
        fs::write(dir.join(&g.name), &g.data)?;
        manifest.push_str(&ManifestEntry::of(g).line());
        manifest.push('\n');
    }
    let mut f = fs::File::create(dir.join(MANIFEST))?;
    f.write_all(manifest.as_bytes())?;
    f.sync_all()
}

/// Parse a manifest; blank lines are ignored, anything else malformed is an error.
pub(super) fn read(path: &Path) -> io::Result<Vec<ManifestEntry>> {
    let text = fs::read_to_string(path)?;
    let invalid = |line: usize, msg: String| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}:{line}: {msg}", path.display()),
        )
    };
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim_end_matches('\r') == HEADER => {}
        _ => return Err(invalid(1, format!("expected the header line {HEADER:?}"))),
    }
    let mut entries = Vec::new();
    for (i, line) in lines {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        entries.push(ManifestEntry::parse(line).map_err(|m| invalid(i + 1, m))?);
    }
    Ok(entries)
}

/// The entry for `file` in the manifest of its directory.
pub(super) fn lookup(file: &Path) -> Option<ManifestEntry> {
    let name = file.file_name()?.to_str()?;
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    read(&dir.join(MANIFEST))
        .ok()?
        .into_iter()
        .find(|e| e.name == name)
}
