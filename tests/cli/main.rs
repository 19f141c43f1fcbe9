//! Integration tests of the `kraft` command line: every subcommand and flag, the
//! gzip/zstd conventions (suffixes, `-c`, `-o`, `-f`, `--rm`, `-k`, `-q`, `-v`), metadata,
//! damaged inputs (exit 1 with a message, never a panic, no partial output), and round
//! trips of the public corpora when they are present. The helpers are here; the tests
//! are in the modules below, one per concern.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Instant;

use assert_cmd::Command;
use assert_cmd::assert::Assert;
use predicates::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

mod damage;
mod edges;
mod files;
mod inspect;
mod limits;
mod options;
mod priors;
mod special;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// The `kraft` binary, run in `dir`.
pub(crate) fn kraft(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("kraft").expect("the kraft binary is built");
    cmd.current_dir(dir);
    cmd
}

pub(crate) fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub(crate) fn stdout_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A command must never end in a panic (exit code 101) or be killed by a signal.
#[track_caller]
pub(crate) fn assert_no_panic(out: &Output) {
    let err = stderr_of(out);
    assert_ne!(
        out.status.code(),
        Some(101),
        "kraft panicked (exit 101); stderr:\n{err}"
    );
    assert!(
        out.status.code().is_some(),
        "kraft was killed by a signal: {:?}; stderr:\n{err}",
        out.status
    );
    assert!(
        !err.contains("panicked at"),
        "kraft printed a panic message; stderr:\n{err}"
    );
}

/// A kraft stream or compact frame starts here.
pub(crate) fn is_kraft(bytes: &[u8]) -> bool {
    bytes.starts_with(&kraft::format::MAGIC) || bytes.starts_with(&kraft::format::SMALL_MAGIC)
}

/// Run a command that must succeed; checks it did not panic.
#[track_caller]
pub(crate) fn ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run kraft");
    assert_no_panic(&out);
    assert!(
        out.status.success(),
        "expected success, got {:?}; stderr:\n{}",
        out.status,
        stderr_of(&out)
    );
    out
}

/// Run a command that must fail with exit `code` and a message on stderr, and never
/// panic. Returns the assertion for further checks.
#[track_caller]
pub(crate) fn fails(cmd: &mut Command, code: i32) -> Assert {
    let assert = cmd.assert();
    assert_no_panic(assert.get_output());
    let err = stderr_of(assert.get_output());
    assert!(
        !err.trim().is_empty(),
        "failure without a message on stderr"
    );
    assert.code(code)
}

/// Runtime errors exit with status 1.
#[track_caller]
pub(crate) fn fails1(cmd: &mut Command) -> Assert {
    fails(cmd, 1)
}

/// Usage errors (clap) exit with status 2.
#[track_caller]
pub(crate) fn usage_error(cmd: &mut Command) -> Assert {
    fails(cmd, 2)
}

/// Deterministic pseudo-random bytes (xorshift64), incompressible by an order-0 model.
pub(crate) fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}

/// Deterministic English-like text: compressible by an order-0 model.
pub(crate) fn text(n: usize, seed: u64) -> Vec<u8> {
    const WORDS: [&str; 24] = [
        "the",
        "entropy",
        "of",
        "a",
        "source",
        "is",
        "bound",
        "no",
        "code",
        "beats",
        "it",
        "on",
        "average",
        "model",
        "coder",
        "bits",
        "per",
        "byte",
        "and",
        "kraft",
        "inequality",
        "shannon",
        "block",
        "stream",
    ];
    let r = random_bytes(n, seed);
    let mut out = Vec::with_capacity(n + 16);
    let mut i = 0;
    while out.len() < n {
        out.extend_from_slice(WORDS[usize::from(r[i % n.max(1)]) % WORDS.len()].as_bytes());
        out.push(if r[(i * 7 + 3) % n.max(1)] % 11 == 0 {
            b'\n'
        } else {
            b' '
        });
        i += 1;
    }
    out.truncate(n);
    out
}

pub(crate) fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, data).unwrap();
    p
}

pub(crate) fn read(path: impl AsRef<Path>) -> Vec<u8> {
    let path = path.as_ref();
    fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

pub(crate) fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Names of the entries in `dir`, sorted.
pub(crate) fn names(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

pub(crate) fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// No temporary output file (`.kraft-*.tmp`) may be left behind.
#[track_caller]
pub(crate) fn assert_no_temp_files(dir: &Path) {
    let left: Vec<String> = names(dir)
        .into_iter()
        .filter(|n| n.starts_with(".kraft-") || n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
}

/// Compress `data` with the library's defaults through the CLI (stdin to stdout).
pub(crate) fn compress_bytes(dir: &Path, data: &[u8], args: &[&str]) -> Vec<u8> {
    ok(kraft(dir).arg("compress").args(args).write_stdin(data)).stdout
}

pub(crate) fn info_json(dir: &Path, file: &str) -> Vec<Value> {
    let out = ok(kraft(dir).args(["info", "--json", file]));
    let v: Value = serde_json::from_slice(&out.stdout).expect("info --json is JSON");
    v.as_array().expect("info --json is an array").clone()
}

pub(crate) fn report_json(dir: &Path, file: &str, args: &[&str]) -> Value {
    let out = ok(kraft(dir).args(["report", "--json"]).args(args).arg(file));
    serde_json::from_slice(&out.stdout).expect("report --json is JSON")
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decompress `file` in `dir` to stdout.
pub(crate) fn kraft_decode(dir: &Path, file: &str) -> Vec<u8> {
    ok(kraft(dir).args(["decompress", "-c", file])).stdout
}

/// A directory with `good.kft` (text, several blocks, compressed with `model`), its
/// damaged variants, and `orig`.
pub(crate) fn damaged_set(dir: &Path, model: &str) -> Vec<u8> {
    let data = text(60_000, 24);
    write(dir, "orig", &data);
    ok(kraft(dir).args([
        "compress",
        "-m",
        model,
        "--block-size",
        "16K",
        "-o",
        "good.kft",
        "orig",
    ]));
    let good = read(dir.join("good.kft"));
    let mut corrupt = good.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 0xFF;
    write(dir, "corrupt.kft", &corrupt);
    write(dir, "truncated.kft", &good[..good.len() / 2]);
    write(dir, "garbage.kft", b"this is not a kraft stream at all\n");
    write(dir, "empty.kft", b"");
    write(dir, "almost.kft", &good[..good.len() - 1]);
    write(dir, "trailing.kft", &[&good[..], b"junk"].concat());
    data
}

pub(crate) const DAMAGED: [&str; 6] = [
    "corrupt.kft",
    "truncated.kft",
    "garbage.kft",
    "empty.kft",
    "almost.kft",
    "trailing.kft",
];

/// Reads an unsigned LEB128 varint at `*pos` of a well-formed stream.
pub(crate) fn varint_at(b: &[u8], pos: &mut usize) -> u64 {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = b[*pos];
        *pos += 1;
        v |= u64::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            break;
        }
    }
    v
}

/// Where the `data` of each block lies in a well-formed one-stream file (docs/FORMAT.md).
pub(crate) fn block_data_ranges(kft: &[u8]) -> Vec<std::ops::Range<usize>> {
    assert!(is_kraft(kft));
    let flags = kft[5];
    let mut pos = 8; // magic, version, flags, model, level
    varint_at(kft, &mut pos); // block_size
    let settings_len = varint_at(kft, &mut pos) as usize;
    pos += settings_len;
    if flags & 1 != 0 {
        varint_at(kft, &mut pos); // content_size
    }
    pos += 4; // header_crc
    let mut ranges = Vec::new();
    while kft[pos] != 0 {
        pos += 1; // kind
        varint_at(kft, &mut pos); // raw_len
        let data_len = varint_at(kft, &mut pos) as usize;
        pos += 4; // block_crc
        ranges.push(pos..pos + data_len);
        pos += data_len;
    }
    ranges
}

/// Run kraft through `sh` with files limited to `blocks` × 512 bytes (`ulimit -f`) and
/// SIGXFSZ ignored, so a write past the limit fails with EFBIG as on a full file system.
pub(crate) fn kraft_with_file_limit(dir: &Path, blocks: u32, args: &str) -> Output {
    let bin = assert_cmd::cargo::cargo_bin("kraft");
    let script = format!(
        "trap '' XFSZ; ulimit -f {blocks}; exec '{}' {args}",
        bin.display()
    );
    let out = std::process::Command::new("sh")
        .current_dir(dir)
        .args(["-c", &script])
        .output()
        .unwrap();
    assert_no_panic(&out);
    out
}

/// `sh -c SCRIPT` in `dir` with the kraft binary as `$K`.
pub(crate) fn sh(dir: &Path, script: &str) -> Output {
    std::process::Command::new("bash")
        .current_dir(dir)
        .env("K", assert_cmd::cargo::cargo_bin("kraft"))
        .args(["-c", script])
        .output()
        .expect("run bash")
}

/// Make a FIFO at `path`.
pub(crate) fn mkfifo(path: &Path) {
    let st = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(st.success(), "mkfifo {}", path.display());
}

/// Write `data` into the FIFO at `path` from another thread (opening it waits for the
/// reader).
pub(crate) fn feed_fifo(path: &Path, data: Vec<u8>) -> std::thread::JoinHandle<()> {
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let _ = fs::write(path, data);
    })
}

pub(crate) fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

/// A directory of similar small records, and two more records of the kind.
pub(crate) fn record_set(dir: &Path) -> (PathBuf, Vec<u8>, Vec<u8>) {
    let samples = dir.join("samples");
    fs::create_dir_all(samples.join("nested")).unwrap();
    let record = |i: usize| {
        format!(
            "{{\"id\": {i}, \"name\": \"record {i}\", \"tags\": [\"kraft\", \"prior\", \"t{}\"], \"value\": {}}}\n",
            i % 7,
            i * 31 % 1000
        )
        .repeat(3)
        .into_bytes()
    };
    for i in 0..40 {
        let sub = if i % 2 == 0 { "" } else { "nested/" };
        write(&samples, &format!("{sub}r{i:03}.json"), &record(i));
    }
    (samples, record(100), record(101))
}
