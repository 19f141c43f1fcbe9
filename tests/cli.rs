//! Integration tests of the `kraft` command line: every subcommand and flag, the
//! gzip/zstd conventions (suffixes, `-c`, `-o`, `-f`, `--rm`, `-k`, `-q`, `-v`), metadata,
//! damaged inputs (exit 1 with a message, never a panic, no partial output), and round
//! trips of the public corpora when they are present.

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

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// The `kraft` binary, run in `dir`.
fn kraft(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("kraft").expect("the kraft binary is built");
    cmd.current_dir(dir);
    cmd
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A command must never end in a panic (exit code 101) or be killed by a signal.
#[track_caller]
fn assert_no_panic(out: &Output) {
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
fn is_kraft(bytes: &[u8]) -> bool {
    bytes.starts_with(&kraft::format::MAGIC) || bytes.starts_with(&kraft::format::SMALL_MAGIC)
}

/// Run a command that must succeed; checks it did not panic.
#[track_caller]
fn ok(cmd: &mut Command) -> Output {
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
fn fails(cmd: &mut Command, code: i32) -> Assert {
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
fn fails1(cmd: &mut Command) -> Assert {
    fails(cmd, 1)
}

/// Usage errors (clap) exit with status 2.
#[track_caller]
fn usage_error(cmd: &mut Command) -> Assert {
    fails(cmd, 2)
}

/// Deterministic pseudo-random bytes (xorshift64), incompressible by an order-0 model.
fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
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
fn text(n: usize, seed: u64) -> Vec<u8> {
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

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, data).unwrap();
    p
}

fn read(path: impl AsRef<Path>) -> Vec<u8> {
    let path = path.as_ref();
    fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Names of the entries in `dir`, sorted.
fn names(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// No temporary output file (`.kraft-*.tmp`) may be left behind.
#[track_caller]
fn assert_no_temp_files(dir: &Path) {
    let left: Vec<String> = names(dir)
        .into_iter()
        .filter(|n| n.starts_with(".kraft-") || n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
}

/// Compress `data` with the library's defaults through the CLI (stdin to stdout).
fn compress_bytes(dir: &Path, data: &[u8], args: &[&str]) -> Vec<u8> {
    ok(kraft(dir).arg("compress").args(args).write_stdin(data)).stdout
}

fn info_json(dir: &Path, file: &str) -> Vec<Value> {
    let out = ok(kraft(dir).args(["info", "--json", file]));
    let v: Value = serde_json::from_slice(&out.stdout).expect("info --json is JSON");
    v.as_array().expect("info --json is an array").clone()
}

fn report_json(dir: &Path, file: &str, args: &[&str]) -> Value {
    let out = ok(kraft(dir).args(["report", "--json"]).args(args).arg(file));
    serde_json::from_slice(&out.stdout).expect("report --json is JSON")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------------------
// compress / decompress: files, suffixes, aliases
// ---------------------------------------------------------------------------------------

#[test]
fn compress_writes_kft_keeps_input_and_decompress_restores() {
    let d = tempdir();
    let data = text(8_000, 1);
    write(d.path(), "f.txt", &data);

    let out = ok(kraft(d.path()).args(["compress", "f.txt"]));
    assert!(
        out.stdout.is_empty(),
        "compress to a file writes nothing on stdout"
    );
    assert_eq!(names(d.path()), set(&["f.txt", "f.txt.kft"]));
    assert_eq!(
        read(d.path().join("f.txt")),
        data,
        "input is kept unchanged"
    );
    let packed = read(d.path().join("f.txt.kft"));
    assert!(is_kraft(&packed));
    assert!(
        packed.len() < data.len() * 6 / 10,
        "text compresses: {}",
        packed.len()
    );

    // In a fresh directory: decompress restores FILE and keeps FILE.kft.
    let e = tempdir();
    fs::write(e.path().join("f.txt.kft"), &packed).unwrap();
    let out = ok(kraft(e.path()).args(["decompress", "f.txt.kft"]));
    assert!(out.stdout.is_empty());
    assert_eq!(names(e.path()), set(&["f.txt", "f.txt.kft"]));
    assert_eq!(read(e.path().join("f.txt")), data);
    assert_eq!(read(e.path().join("f.txt.kft")), packed);

    // In the original directory FILE exists: -f overwrites it with the same bytes.
    fs::write(d.path().join("f.txt"), b"something else").unwrap();
    ok(kraft(d.path()).args(["decompress", "-f", "f.txt.kft"]));
    assert_eq!(read(d.path().join("f.txt")), data);
    assert_no_temp_files(d.path());
}

#[test]
fn outputs_go_beside_the_inputs_in_other_directories() {
    let d = tempdir();
    fs::create_dir(d.path().join("sub")).unwrap();
    let data = text(7_000, 34);
    write(&d.path().join("sub"), "f", &data);
    ok(kraft(d.path()).args(["compress", "--rm", "sub/f"]));
    assert_eq!(names(d.path()), set(&["sub"]));
    assert_eq!(names(&d.path().join("sub")), set(&["f.kft"]));
    // An absolute path, run from elsewhere.
    let elsewhere = tempdir();
    ok(kraft(elsewhere.path())
        .arg("decompress")
        .arg(d.path().join("sub/f.kft")));
    assert!(names(elsewhere.path()).is_empty());
    assert_eq!(read(d.path().join("sub/f")), data);
}

#[test]
fn aliases_c_d_t() {
    let d = tempdir();
    let data = text(10_000, 2);
    write(d.path(), "a", &data);
    ok(kraft(d.path()).args(["c", "a"]));
    assert!(d.path().join("a.kft").is_file());
    kraft(d.path())
        .args(["t", "a.kft"])
        .assert()
        .success()
        .stdout(predicate::str::contains("a.kft: OK"));
    fs::remove_file(d.path().join("a")).unwrap();
    ok(kraft(d.path()).args(["d", "a.kft"]));
    assert_eq!(read(d.path().join("a")), data);
}

#[test]
fn multiple_files_each_get_their_own_output() {
    let d = tempdir();
    let a = text(5_000, 3);
    let b = random_bytes(5_000, 4);
    write(d.path(), "a", &a);
    write(d.path(), "b", &b);
    ok(kraft(d.path()).args(["compress", "a", "b"]));
    assert_eq!(names(d.path()), set(&["a", "a.kft", "b", "b.kft"]));
    fs::remove_file(d.path().join("a")).unwrap();
    fs::remove_file(d.path().join("b")).unwrap();
    ok(kraft(d.path()).args(["decompress", "a.kft", "b.kft"]));
    assert_eq!(read(d.path().join("a")), a);
    assert_eq!(read(d.path().join("b")), b);
}

#[test]
fn one_failing_file_does_not_stop_the_others() {
    let d = tempdir();
    write(d.path(), "a", &text(3_000, 5));
    write(d.path(), "b", &text(3_000, 6));
    fails1(kraft(d.path()).args(["compress", "a", "missing", "b"]))
        .stderr(predicate::str::contains("missing"));
    assert_eq!(names(d.path()), set(&["a", "a.kft", "b", "b.kft"]));
    assert_eq!(
        read(d.path().join("a")),
        text(3_000, 5),
        "inputs are untouched"
    );
}

// ---------------------------------------------------------------------------------------
// -c/--stdout, stdin, -o/--output
// ---------------------------------------------------------------------------------------

#[test]
fn stdout_flag_for_compress_and_decompress() {
    let d = tempdir();
    let data = text(6_000, 7);
    write(d.path(), "f", &data);

    for flag in ["-c", "--stdout"] {
        let out = ok(kraft(d.path()).args(["compress", flag, "f"]));
        assert_eq!(names(d.path()), set(&["f"]), "{flag}: no file is written");
        assert!(is_kraft(&out.stdout));
        fs::write(d.path().join("g.kft"), &out.stdout).unwrap();
        let back = ok(kraft(d.path()).args(["decompress", flag, "g.kft"]));
        assert_eq!(back.stdout, data, "{flag}");
        assert_eq!(names(d.path()), set(&["f", "g.kft"]), "{flag}: no file");
        fs::remove_file(d.path().join("g.kft")).unwrap();
    }

    // -c writes exactly the bytes that compress to a file writes.
    let via_stdout = ok(kraft(d.path()).args(["compress", "-c", "f"])).stdout;
    ok(kraft(d.path()).args(["compress", "f"]));
    assert_eq!(read(d.path().join("f.kft")), via_stdout);
}

#[test]
fn stdout_with_several_files_concatenates_streams() {
    let d = tempdir();
    let a = text(4_000, 8);
    let b = random_bytes(3_000, 9);
    write(d.path(), "a", &a);
    write(d.path(), "b", &b);
    let packed = ok(kraft(d.path()).args(["compress", "-c", "a", "b"])).stdout;
    assert_eq!(names(d.path()), set(&["a", "b"]));
    let back = ok(kraft(d.path())
        .arg("decompress")
        .write_stdin(packed.clone()))
    .stdout;
    assert_eq!(back, [a.clone(), b.clone()].concat());

    // info shows one entry per stream; their sizes add up to the file.
    write(d.path(), "ab.kft", &packed);
    let rows = info_json(d.path(), "ab.kft");
    assert_eq!(rows.len(), 2);
    let total: u64 = rows
        .iter()
        .map(|r| r["compressed_bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(total, packed.len() as u64);
    assert_eq!(rows[0]["original_bytes"].as_u64(), Some(a.len() as u64));
    assert_eq!(rows[1]["original_bytes"].as_u64(), Some(b.len() as u64));
    kraft(d.path())
        .args(["test", "ab.kft"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "OK ({} bytes",
            a.len() + b.len()
        )));
}

#[test]
fn stdin_to_stdout_without_file_and_with_dash() {
    let d = tempdir();
    let data = text(6_000, 10);
    for args in [&["compress"][..], &["compress", "-"]] {
        let packed = ok(kraft(d.path()).args(args).write_stdin(data.clone())).stdout;
        assert!(is_kraft(&packed), "{args:?}");
        for dargs in [&["decompress"][..], &["decompress", "-"], &["d", "-c"]] {
            let back = ok(kraft(d.path()).args(dargs).write_stdin(packed.clone())).stdout;
            assert_eq!(back, data, "{args:?} then {dargs:?}");
        }
        kraft(d.path())
            .args(["test", "-"])
            .write_stdin(packed.clone())
            .assert()
            .success()
            .stdout(predicate::str::contains("stdin: OK"));
    }
    assert!(names(d.path()).is_empty(), "stdin/stdout writes no file");
}

#[test]
fn dash_cannot_be_mixed_with_file_names() {
    let d = tempdir();
    write(d.path(), "a", b"abc");
    usage_error(
        kraft(d.path())
            .args(["compress", "a", "-"])
            .write_stdin("xyz"),
    )
    .stderr(predicate::str::contains("stdin"));
}

#[test]
fn output_flag_for_compress_and_decompress() {
    let d = tempdir();
    let data = text(12_345, 11);
    write(d.path(), "in.txt", &data);
    ok(kraft(d.path()).args(["compress", "-o", "packed.bin", "in.txt"]));
    assert_eq!(names(d.path()), set(&["in.txt", "packed.bin"]));
    ok(kraft(d.path()).args(["decompress", "--output", "restored", "packed.bin"]));
    assert_eq!(read(d.path().join("restored")), data);
    ok(kraft(d.path()).args(["compress", "--output", "sub.kft", "in.txt"]));
    ok(kraft(d.path()).args(["decompress", "-o", "restored2", "sub.kft"]));
    assert_eq!(read(d.path().join("restored2")), data);
    assert_eq!(
        read(d.path().join("sub.kft")),
        read(d.path().join("packed.bin"))
    );

    // An output path in another directory.
    let e = tempdir();
    let target = e.path().join("x.kft");
    ok(kraft(d.path())
        .args(["compress", "in.txt", "-o"])
        .arg(&target));
    ok(kraft(d.path())
        .arg("decompress")
        .arg(&target)
        .arg("-o")
        .arg(e.path().join("x")));
    assert_eq!(read(e.path().join("x")), data);
    assert_no_temp_files(d.path());
    assert_no_temp_files(e.path());
}

#[test]
fn output_flag_with_stdin() {
    let d = tempdir();
    let data = text(9_000, 12);
    ok(kraft(d.path())
        .args(["compress", "-o", "s.kft"])
        .write_stdin(data.clone()));
    ok(kraft(d.path())
        .args(["decompress", "-", "-o", "s"])
        .write_stdin(read(d.path().join("s.kft"))));
    assert_eq!(read(d.path().join("s")), data);
    // An existing -o target is refused without -f, for stdin input too.
    fails1(
        kraft(d.path())
            .args(["compress", "-o", "s.kft"])
            .write_stdin("other"),
    )
    .stderr(predicate::str::contains("already exists"));
    assert_eq!(kraft_decode(d.path(), "s.kft"), data);
    ok(kraft(d.path())
        .args(["compress", "-f", "-o", "s.kft"])
        .write_stdin("other"));
    assert_eq!(kraft_decode(d.path(), "s.kft"), b"other");
    assert_no_temp_files(d.path());
}

/// Decompress `file` in `dir` to stdout.
fn kraft_decode(dir: &Path, file: &str) -> Vec<u8> {
    ok(kraft(dir).args(["decompress", "-c", file])).stdout
}

#[test]
fn output_flag_with_two_inputs_is_an_error() {
    let d = tempdir();
    write(d.path(), "a", b"aaaa");
    write(d.path(), "b", b"bbbb");
    usage_error(kraft(d.path()).args(["compress", "-o", "out.kft", "a", "b"]))
        .stderr(predicate::str::contains("one input"));
    assert_eq!(names(d.path()), set(&["a", "b"]));
    ok(kraft(d.path()).args(["compress", "a", "b"]));
    usage_error(kraft(d.path()).args(["decompress", "-f", "-o", "out", "a.kft", "b.kft"]))
        .stderr(predicate::str::contains("one input"));
    assert_eq!(names(d.path()), set(&["a", "a.kft", "b", "b.kft"]));
}

#[test]
fn stdout_and_output_conflict() {
    let d = tempdir();
    write(d.path(), "a", b"aaaa");
    usage_error(kraft(d.path()).args(["compress", "-c", "-o", "x", "a"]));
    usage_error(kraft(d.path()).args(["decompress", "--stdout", "--output", "x", "a"]));
    assert_eq!(names(d.path()), set(&["a"]));
}

#[test]
fn output_never_overwrites_the_input() {
    let d = tempdir();
    let data = text(2_000, 13);
    write(d.path(), "a", &data);
    fails1(kraft(d.path()).args(["compress", "-f", "-o", "a", "a"]))
        .stderr(predicate::str::contains("overwrite the input"));
    assert_eq!(read(d.path().join("a")), data);
    ok(kraft(d.path()).args(["compress", "a"]));
    let packed = read(d.path().join("a.kft"));
    fails1(kraft(d.path()).args(["decompress", "-f", "-o", "a.kft", "a.kft"]))
        .stderr(predicate::str::contains("overwrite the input"));
    assert_eq!(read(d.path().join("a.kft")), packed);
    assert_no_temp_files(d.path());
}

#[test]
fn output_into_a_missing_directory_fails_cleanly() {
    let d = tempdir();
    write(d.path(), "a", b"data");
    fails1(kraft(d.path()).args(["compress", "-o", "no/such/dir/a.kft", "a"]));
    assert_eq!(names(d.path()), set(&["a"]));
}

// ---------------------------------------------------------------------------------------
// -f/--force
// ---------------------------------------------------------------------------------------

#[test]
fn existing_output_is_refused_without_force_and_replaced_with_it() {
    let d = tempdir();
    let data = text(8_000, 14);
    write(d.path(), "f", &data);
    write(d.path(), "f.kft", b"precious");

    fails1(kraft(d.path()).args(["compress", "f"]))
        .stderr(predicate::str::contains("f.kft").and(predicate::str::contains("already exists")));
    assert_eq!(read(d.path().join("f.kft")), b"precious");
    assert_eq!(read(d.path().join("f")), data);
    assert_no_temp_files(d.path());
    assert_eq!(names(d.path()), set(&["f", "f.kft"]));

    // -o to an existing file: refused too.
    write(d.path(), "o.kft", b"also precious");
    fails1(kraft(d.path()).args(["compress", "-o", "o.kft", "f"]));
    assert_eq!(read(d.path().join("o.kft")), b"also precious");
    assert_no_temp_files(d.path());

    for flag in ["-f", "--force"] {
        write(d.path(), "f.kft", b"precious");
        ok(kraft(d.path()).args(["compress", flag, "f"]));
        assert_eq!(kraft_decode(d.path(), "f.kft"), data, "{flag}");
    }
    ok(kraft(d.path()).args(["compress", "-f", "-o", "o.kft", "f"]));
    assert_eq!(kraft_decode(d.path(), "o.kft"), data);

    // decompress: an existing FILE is refused, then replaced with -f.
    write(d.path(), "f", b"local edits");
    fails1(kraft(d.path()).args(["decompress", "f.kft"]))
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(read(d.path().join("f")), b"local edits");
    assert_no_temp_files(d.path());
    ok(kraft(d.path()).args(["decompress", "--force", "f.kft"]));
    assert_eq!(read(d.path().join("f")), data);
    assert_no_temp_files(d.path());
}

#[test]
fn existing_directory_as_output_is_refused_even_with_force() {
    let d = tempdir();
    write(d.path(), "f", b"data data data");
    fs::create_dir(d.path().join("f.kft")).unwrap();
    for args in [&["compress", "f"][..], &["compress", "-f", "f"]] {
        fails1(kraft(d.path()).args(args)).stderr(predicate::str::contains("is a directory"));
        assert!(d.path().join("f.kft").is_dir());
        assert!(names(&d.path().join("f.kft")).is_empty());
        assert_no_temp_files(d.path());
    }
}

// ---------------------------------------------------------------------------------------
// --rm, -k
// ---------------------------------------------------------------------------------------

#[test]
fn rm_removes_the_input_after_success() {
    let d = tempdir();
    let data = text(6_000, 15);
    write(d.path(), "f", &data);
    ok(kraft(d.path()).args(["compress", "--rm", "f"]));
    assert_eq!(names(d.path()), set(&["f.kft"]));
    ok(kraft(d.path()).args(["decompress", "--rm", "f.kft"]));
    assert_eq!(names(d.path()), set(&["f"]));
    assert_eq!(read(d.path().join("f")), data);

    // With -o as well.
    ok(kraft(d.path()).args(["compress", "--rm", "-o", "x.kft", "f"]));
    assert_eq!(names(d.path()), set(&["x.kft"]));
    ok(kraft(d.path()).args(["decompress", "--rm", "-o", "y", "x.kft"]));
    assert_eq!(names(d.path()), set(&["y"]));
    assert_eq!(read(d.path().join("y")), data);
}

#[test]
fn rm_keeps_the_input_when_writing_to_stdout() {
    let d = tempdir();
    let data = text(5_000, 16);
    write(d.path(), "f", &data);
    let packed = ok(kraft(d.path()).args(["compress", "--rm", "-c", "f"])).stdout;
    assert_eq!(names(d.path()), set(&["f"]));
    write(d.path(), "g.kft", &packed);
    let back = ok(kraft(d.path()).args(["decompress", "--rm", "-c", "g.kft"])).stdout;
    assert_eq!(back, data);
    assert_eq!(names(d.path()), set(&["f", "g.kft"]));
}

#[test]
fn rm_keeps_the_input_when_anything_fails() {
    let d = tempdir();
    let data = text(6_000, 17);
    write(d.path(), "f", &data);
    ok(kraft(d.path()).args(["compress", "f"]));
    let mut bad = read(d.path().join("f.kft"));
    let mid = bad.len() / 2;
    bad[mid] ^= 0xFF;
    write(d.path(), "bad.kft", &bad);

    // Failing decompress: input kept, no output.
    fails1(kraft(d.path()).args(["decompress", "--rm", "bad.kft"]))
        .stderr(predicate::str::contains("bad.kft"));
    assert_eq!(read(d.path().join("bad.kft")), bad);
    assert!(!d.path().join("bad").exists());
    assert_no_temp_files(d.path());

    // Refused output (exists, no -f): input kept.
    fails1(kraft(d.path()).args(["compress", "--rm", "f"]));
    assert_eq!(read(d.path().join("f")), data);
    write(d.path(), "bad", b"exists");
    fails1(kraft(d.path()).args(["decompress", "--rm", "f.kft", "-o", "bad"]));
    assert!(d.path().join("f.kft").exists());
    assert_eq!(read(d.path().join("bad")), b"exists");
    assert_no_temp_files(d.path());
}

#[test]
fn keep_is_accepted_and_conflicts_with_rm() {
    let d = tempdir();
    let data = text(5_000, 18);
    write(d.path(), "f", &data);
    ok(kraft(d.path()).args(["compress", "-k", "f"]));
    assert_eq!(names(d.path()), set(&["f", "f.kft"]));
    ok(kraft(d.path()).args(["decompress", "--keep", "-f", "f.kft"]));
    assert_eq!(names(d.path()), set(&["f", "f.kft"]));
    assert_eq!(read(d.path().join("f")), data);
    usage_error(kraft(d.path()).args(["compress", "-f", "-k", "--rm", "f"]));
    assert_eq!(names(d.path()), set(&["f", "f.kft"]));
}

// ---------------------------------------------------------------------------------------
// -q, -v
// ---------------------------------------------------------------------------------------

#[test]
fn quiet_prints_nothing_on_success() {
    let d = tempdir();
    write(d.path(), "f", &text(8_000, 19));
    for flag in ["-q", "--quiet"] {
        kraft(d.path())
            .args(["compress", "-f", flag, "f"])
            .assert()
            .success()
            .stderr(predicate::str::is_empty())
            .stdout(predicate::str::is_empty());
        kraft(d.path())
            .args(["decompress", "-f", flag, "f.kft"])
            .assert()
            .success()
            .stderr(predicate::str::is_empty())
            .stdout(predicate::str::is_empty());
        kraft(d.path())
            .args(["test", flag, "f.kft"])
            .assert()
            .success()
            .stderr(predicate::str::is_empty())
            .stdout(predicate::str::is_empty());
    }
    // Errors are still reported under -q.
    fails1(kraft(d.path()).args(["compress", "-q", "missing"]))
        .stderr(predicate::str::contains("missing"));
}

#[test]
fn verbose_compress_prints_the_entropy_report() {
    let d = tempdir();
    let data = text(8_000, 20);
    write(d.path(), "f", &data);
    let out = ok(kraft(d.path()).args(["compress", "-v", "f"]));
    let err = stderr_of(&out);
    for needle in ["H0", "H4", "model ideal", "coder overhead", "achieved"] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    assert!(err.contains(&format!("{} =>", data.len())), "{err}");
    assert!(out.stdout.is_empty());
    // -v writes the same file as the quiet path.
    let packed = read(d.path().join("f.kft"));
    let plain = ok(kraft(d.path()).args(["compress", "-c", "f"])).stdout;
    assert_eq!(packed, plain);

    // --verbose with -c: the report goes to stderr, the data to stdout.
    let out = ok(kraft(d.path()).args(["compress", "--verbose", "-c", "f"]));
    assert_eq!(out.stdout, plain);
    assert!(stderr_of(&out).contains("coder overhead"));

    // decompress -v prints a summary line.
    let out = ok(kraft(d.path()).args(["decompress", "-v", "-f", "f.kft"]));
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!("{} => {} bytes", packed.len(), data.len())),
        "{err}"
    );
    assert_eq!(read(d.path().join("f")), data);
}

/// The summary line of `-v` names where the data went: the output file, or stdout.
#[test]
fn verbose_summary_names_the_output_file() {
    let d = tempdir();
    write(d.path(), "f", &text(5_000, 32));
    let out = ok(kraft(d.path()).args(["compress", "-v", "f"]));
    let first = stderr_of(&out)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(
        first.starts_with("f: 5000 =>") && first.contains("f.kft"),
        "compress -v f: summary should name f.kft: {first:?}"
    );
    let out = ok(kraft(d.path()).args(["compress", "-v", "-c", "f"]));
    let first = stderr_of(&out)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(first.contains("stdout"), "{first:?}");

    fs::remove_file(d.path().join("f")).unwrap();
    let out = ok(kraft(d.path()).args(["decompress", "-v", "f.kft"]));
    let err = stderr_of(&out);
    assert!(
        err.contains("=> 5000 bytes (f)"),
        "decompress -v f.kft: summary should name f: {err:?}"
    );
    let out = ok(kraft(d.path()).args(["decompress", "-v", "-c", "f.kft"]));
    assert!(stderr_of(&out).contains("=> 5000 bytes (stdout)"));
}

#[test]
fn quiet_and_verbose_conflict() {
    let d = tempdir();
    write(d.path(), "f", b"abc");
    usage_error(kraft(d.path()).args(["compress", "-q", "-v", "f"]));
    assert_eq!(names(d.path()), set(&["f"]));
}

// ---------------------------------------------------------------------------------------
// --model, --level, --block-size
// ---------------------------------------------------------------------------------------

#[test]
fn model_option() {
    let d = tempdir();
    let data = text(10_000, 21);
    write(d.path(), "f", &data);
    ok(kraft(d.path()).args(["compress", "--model", "iid", "f"]));
    assert_eq!(kraft_decode(d.path(), "f.kft"), data);
    assert_eq!(info_json(d.path(), "f.kft")[0]["model"], "iid");
    ok(kraft(d.path()).args(["compress", "-m", "iid", "-o", "g.kft", "f"]));
    assert_eq!(read(d.path().join("g.kft")), read(d.path().join("f.kft")));

    usage_error(kraft(d.path()).args(["compress", "--model", "nope", "-o", "h.kft", "f"]))
        .stderr(predicate::str::contains("nope"));
    usage_error(kraft(d.path()).args(["compress", "--model", "nope", "f", "-f"]))
        .stderr(predicate::str::contains("nope"));
    // The -f run above must not have replaced f.kft with anything.
    assert_eq!(read(d.path().join("f.kft")), read(d.path().join("g.kft")));
    usage_error(
        kraft(d.path())
            .args(["compress", "--model", "nope"])
            .write_stdin(data.clone()),
    )
    .stdout(predicate::str::is_empty());
    assert_eq!(names(d.path()), set(&["f", "f.kft", "g.kft"]));
}

#[test]
fn levels_round_trip_and_out_of_range_is_a_usage_error() {
    let d = tempdir();
    let data = text(5_000, 22);
    write(d.path(), "f", &data);
    for level in ["1", "5", "9"] {
        let name = format!("f{level}.kft");
        ok(kraft(d.path()).args(["compress", "-l", level, "-o", &name, "f"]));
        assert_eq!(kraft_decode(d.path(), &name), data, "level {level}");
        let row = &info_json(d.path(), &name)[0];
        assert_eq!(row["level"].as_u64().unwrap().to_string(), level);
    }
    ok(kraft(d.path()).args(["compress", "--level", "3", "-o", "l3.kft", "f"]));
    assert_eq!(kraft_decode(d.path(), "l3.kft"), data);
    for bad in ["0", "10", "-1", "x"] {
        usage_error(kraft(d.path()).args(["compress", "-l", bad, "-o", "bad.kft", "f"]));
        usage_error(kraft(d.path()).args(["report", "-l", bad, "f"]));
    }
    assert!(!d.path().join("bad.kft").exists());
    assert!(!d.path().join("f.kft").exists());
}

#[test]
fn block_size_gives_several_blocks_and_round_trips() {
    let d = tempdir();
    let data = text(10_000, 23);
    write(d.path(), "f", &data);
    // The order-0 model keeps the many small blocks fast; the flag does not depend on it
    // (`threads_do_not_change_the_output` covers several blocks of the default model).
    ok(kraft(d.path()).args(["compress", "-m", "iid", "--block-size", "1K", "f"]));
    assert_eq!(kraft_decode(d.path(), "f.kft"), data);
    let row = &info_json(d.path(), "f.kft")[0];
    assert!(row["blocks"].as_u64().unwrap() > 1, "{row}");
    assert_eq!(row["blocks"].as_u64(), Some(10_000u64.div_ceil(1024)));
    assert_eq!(row["block_size"].as_u64(), Some(1024));
    kraft(d.path())
        .args(["test", "f.kft"])
        .assert()
        .success()
        .stdout(predicate::str::contains("10 block(s)"));

    // Other spellings of sizes.
    for (spec, bytes) in [
        ("4096", 4096u64),
        ("2k", 2048),
        ("1KiB", 1024),
        ("3KB", 3072),
    ] {
        ok(kraft(d.path()).args([
            "compress",
            "-m",
            "iid",
            "-f",
            "--block-size",
            spec,
            "-o",
            "g.kft",
            "f",
        ]));
        assert_eq!(kraft_decode(d.path(), "g.kft"), data, "{spec}");
        assert_eq!(
            info_json(d.path(), "g.kft")[0]["block_size"].as_u64(),
            Some(bytes)
        );
    }
    // Out of range (below the 1 KiB floor, above 1 GiB) or unparsable: usage errors.
    for spec in ["0", "1", "1023", "2G"] {
        usage_error(kraft(d.path()).args(["compress", "--block-size", spec, "-o", "bad.kft", "f"]))
            .stderr(predicate::str::contains("block size"));
    }
    usage_error(kraft(d.path()).args(["compress", "--block-size", "1X", "-o", "bad.kft", "f"]));
    usage_error(kraft(d.path()).args(["compress", "--block-size", "", "-o", "bad.kft", "f"]));
    assert!(!d.path().join("bad.kft").exists());
    assert_no_temp_files(d.path());
}

/// `-T/--threads N` codes up to N blocks at once (0: one per core); the output must not
/// depend on N, from a file or from stdin, and must decode to the input.
#[test]
fn threads_do_not_change_the_output() {
    let d = tempdir();
    // iid on ~300 KB in 64 KiB blocks; the default model (cm) on ~100 KB in 32 KiB
    // blocks. Both give more blocks than threads and a short last block.
    let cases: [(&[&str], usize, u64); 2] = [
        (&["-m", "iid", "--block-size", "64K"], 300_000, 64 << 10),
        (&["--block-size", "32K"], 100_000, 32 << 10),
    ];
    for (flags, len, block) in cases {
        let data = text(len, 36);
        write(d.path(), "f", &data);
        let mut reference: Option<Vec<u8>> = None;
        for threads in [
            &["-T", "1"][..],
            &["-T", "3"],
            &["-T", "0"],
            &["--threads", "2"],
        ] {
            ok(kraft(d.path())
                .arg("compress")
                .args(flags)
                .args(threads)
                .args(["-f", "-o", "t.kft", "f"]));
            let packed = read(d.path().join("t.kft"));
            match &reference {
                None => {
                    let row = &info_json(d.path(), "t.kft")[0];
                    let model = if flags.contains(&"iid") { "iid" } else { "cm" };
                    assert_eq!(row["model"], model, "{row}");
                    assert_eq!(row["blocks"].as_u64(), Some((len as u64).div_ceil(block)));
                    assert_eq!(row["stored_blocks"].as_u64(), Some(0), "{row}");
                    assert_eq!(
                        kraft_decode(d.path(), "t.kft"),
                        data,
                        "{flags:?} {threads:?}"
                    );
                    reference = Some(packed);
                }
                Some(r) => assert!(
                    &packed == r,
                    "{flags:?} {threads:?}: output differs from -T 1 ({} vs {} bytes)",
                    packed.len(),
                    r.len()
                ),
            }
        }
        // From stdin (no content size in the header): the same for any N as well.
        let one = compress_bytes(d.path(), &data, &[flags, &["-T", "1"][..]].concat());
        let three = compress_bytes(d.path(), &data, &[flags, &["-T", "3"][..]].concat());
        assert!(one == three, "{flags:?}: -T 1 and -T 3 differ from stdin");
        let back = ok(kraft(d.path()).arg("d").write_stdin(three)).stdout;
        assert!(back == data, "{flags:?}: round trip from stdin");
    }
    for bad in ["x", "-1", ""] {
        usage_error(kraft(d.path()).args(["compress", "-T", bad, "-o", "bad.kft", "f"]));
    }
    assert!(!d.path().join("bad.kft").exists());
    assert_no_temp_files(d.path());
}

// ---------------------------------------------------------------------------------------
// test, info, report
// ---------------------------------------------------------------------------------------

/// A directory with `good.kft` (text, several blocks, compressed with `model`), its
/// damaged variants, and `orig`.
fn damaged_set(dir: &Path, model: &str) -> Vec<u8> {
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

const DAMAGED: [&str; 6] = [
    "corrupt.kft",
    "truncated.kft",
    "garbage.kft",
    "empty.kft",
    "almost.kft",
    "trailing.kft",
];

#[test]
fn test_command_good_and_damaged_files() {
    let d = tempdir();
    damaged_set(d.path(), "iid");
    kraft(d.path())
        .args(["test", "good.kft"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "good.kft: OK (60000 bytes, 4 block(s))",
        ))
        .stderr(predicate::str::is_empty());
    let before = names(d.path());
    for bad in DAMAGED {
        fails1(kraft(d.path()).args(["test", bad]))
            .stderr(predicate::str::contains(bad))
            .stdout(predicate::str::contains("OK").not());
        // From stdin as well.
        fails1(
            kraft(d.path())
                .args(["test", "-"])
                .write_stdin(read(d.path().join(bad))),
        )
        .stderr(predicate::str::contains("stdin"));
    }
    // A mix: every file is checked, the good one is reported OK, the status is 1.
    let out = fails1(kraft(d.path()).args([
        "test",
        "good.kft",
        "corrupt.kft",
        "good.kft",
        "missing.kft",
    ]));
    let out = out.get_output();
    assert_eq!(stdout_of(out).matches("good.kft: OK").count(), 2);
    assert!(stderr_of(out).contains("corrupt.kft"));
    assert!(stderr_of(out).contains("missing.kft"));
    assert_eq!(names(d.path()), before, "test writes nothing");
    usage_error(kraft(d.path()).arg("test"));
}

#[test]
fn decompress_of_damaged_input_fails_cleanly() {
    let d = tempdir();
    damaged_set(d.path(), "iid");
    for bad in DAMAGED {
        let content = read(d.path().join(bad));
        let stem = bad.strip_suffix(".kft").unwrap();
        let before = names(d.path());
        for extra in [&[][..], &["--rm"], &["-f"], &["-o", "out"]] {
            fails1(kraft(d.path()).arg("decompress").args(extra).arg(bad))
                .stderr(predicate::str::contains(bad));
            assert!(
                !d.path().join(stem).exists(),
                "{bad} {extra:?}: output left"
            );
            assert!(
                !d.path().join("out").exists(),
                "{bad} {extra:?}: output left"
            );
            assert_eq!(
                read(d.path().join(bad)),
                content,
                "{bad} {extra:?}: input changed"
            );
            assert_no_temp_files(d.path());
            assert_eq!(names(d.path()), before);
        }
        // An existing output is left as it was, even with -f: the rename never happens.
        write(d.path(), stem, b"keep me");
        fails1(kraft(d.path()).args(["decompress", "-f", bad]));
        assert_eq!(read(d.path().join(stem)), b"keep me", "{bad} -f");
        fails1(kraft(d.path()).args(["decompress", "-f", "-o", stem, bad]));
        assert_eq!(read(d.path().join(stem)), b"keep me", "{bad} -f -o");
        assert_no_temp_files(d.path());
        fs::remove_file(d.path().join(stem)).unwrap();
        // From stdin: exit 1, message names stdin.
        fails1(
            kraft(d.path())
                .arg("decompress")
                .write_stdin(content.clone()),
        )
        .stderr(predicate::str::contains("stdin"));
        fails1(
            kraft(d.path())
                .args(["decompress", "-o", "out"])
                .write_stdin(content.clone()),
        );
        assert!(!d.path().join("out").exists());
        assert_no_temp_files(d.path());
    }
}

#[test]
fn damaged_input_to_stdout_fails_and_prints_only_checked_data() {
    // With -c nothing can be taken back from stdout, but the status must say it failed,
    // and what was printed must be checked data: a prefix of the original.
    for model in ["iid", "cm"] {
        let d = tempdir();
        let data = damaged_set(d.path(), model);
        kraft(d.path())
            .args(["test", "good.kft"])
            .assert()
            .success()
            .stdout(predicate::str::contains("OK (60000 bytes, 4 block(s))"));
        assert_eq!(info_json(d.path(), "good.kft")[0]["model"], model);
        for bad in DAMAGED {
            let a = fails1(kraft(d.path()).args(["decompress", "-c", bad]))
                .stderr(predicate::str::contains(bad));
            let out = &a.get_output().stdout;
            assert!(out.len() <= data.len(), "{model} {bad}: printed too much");
            assert_eq!(
                &data[..out.len()],
                &out[..],
                "{model} {bad}: printed wrong bytes"
            );
            if bad == "corrupt.kft" || bad == "truncated.kft" {
                assert!(out.len() < data.len(), "{model} {bad}: printed everything");
            }
        }
    }
}

/// Every single-byte change and every truncation of a small multi-block `iid` stream:
/// `test`, `decompress` and `info` must fail cleanly (or, for `info`, which does not check
/// the contents, at least not panic), for every file of the batch.
#[test]
fn every_flip_and_truncation_is_detected_without_panic() {
    let d = tempdir();
    let data = text(2_500, 25);
    write(d.path(), "src", &data);
    // The order-0 model: its payload must be used up exactly, so every change is caught,
    // and it is fast enough for thousands of cases. The default model has its own test
    // below (`sampled_flips_and_truncations_of_a_cm_stream_are_detected`).
    ok(kraft(d.path()).args([
        "compress",
        "-m",
        "iid",
        "--block-size",
        "1K",
        "-o",
        "good.kft",
        "src",
    ]));
    let good = read(d.path().join("good.kft"));
    let bad_dir = d.path().join("bad");
    fs::create_dir(&bad_dir).unwrap();
    let mut files = Vec::new();
    for i in 0..good.len() {
        for (tag, mask) in [("x01", 0x01u8), ("xff", 0xFF), ("x80", 0x80)] {
            let mut v = good.clone();
            v[i] ^= mask;
            let name = format!("{tag}-{i:05}.kft");
            fs::write(bad_dir.join(&name), &v).unwrap();
            files.push(name);
        }
        let name = format!("cut-{i:05}.kft");
        fs::write(bad_dir.join(&name), &good[..i]).unwrap();
        files.push(name);
    }
    let expected: BTreeSet<String> = files.iter().cloned().collect();

    // Names of the files an error line on stderr is about ("kraft: NAME: ...").
    let named = |err: &str| -> BTreeSet<String> {
        err.lines()
            .filter_map(|l| l.strip_prefix("kraft: "))
            .filter_map(|l| l.split(':').next())
            .map(str::to_string)
            .collect()
    };

    let a = fails1(kraft(&bad_dir).arg("test").args(&files));
    let out = a.get_output();
    let passed = stdout_of(out);
    assert!(
        passed.is_empty(),
        "{} damaged files passed `kraft test`:\n{passed}",
        passed.lines().count()
    );
    assert_eq!(
        named(&stderr_of(out)),
        expected,
        "every file gets a message"
    );

    let a = fails1(kraft(&bad_dir).arg("decompress").args(&files));
    assert_eq!(named(&stderr_of(a.get_output())), expected);
    assert_eq!(
        names(&bad_dir),
        expected,
        "no output or temporary file left"
    );
    for name in files.iter().filter(|n| n.starts_with("cut-")).take(5) {
        let i: usize = name[4..9].parse().unwrap();
        assert_eq!(read(bad_dir.join(name)), &good[..i]);
    }

    // info checks structure only; it may accept a changed payload, but never panics.
    let out = kraft(&bad_dir).arg("info").args(&files).output().unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
    let out = kraft(&bad_dir)
        .args(["info", "--json"])
        .args(&files)
        .output()
        .unwrap();
    assert_no_panic(&out);
    let rows: Value = serde_json::from_slice(&out.stdout).expect("info --json is JSON");
    assert!(rows.as_array().unwrap().len() < files.len());
    // Every truncation is a structural error that info must see.
    let cut_rows = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["file"].as_str().unwrap().starts_with("cut-"))
        .count();
    assert_eq!(cut_rows, 0, "info accepted a truncated stream");
}

/// Reads an unsigned LEB128 varint at `*pos` of a well-formed stream.
fn varint_at(b: &[u8], pos: &mut usize) -> u64 {
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
fn block_data_ranges(kft: &[u8]) -> Vec<std::ops::Range<usize>> {
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

/// The same for the default model (cm), sampled to stay fast: one bit flipped at each of
/// 40 positions spread over a two-block stream and in the last 4 bytes of each block's
/// data, and 10 truncations. Every case must exit
/// 1 with a message and print only a prefix of the original, never panic. The one
/// exception: the last bytes of a block's arithmetic-coded payload are partly slack, so a
/// flip there may leave the output unchanged; it must then give exactly the original.
/// `test` and `decompress` must agree on every file.
#[test]
fn sampled_flips_and_truncations_of_a_cm_stream_are_detected() {
    let d = tempdir();
    let data = text(2_000, 35);
    write(d.path(), "src", &data);
    ok(kraft(d.path()).args(["compress", "--block-size", "1K", "-o", "good.kft", "src"]));
    let row = &info_json(d.path(), "good.kft")[0];
    assert_eq!(row["model"], "cm", "{row}");
    assert_eq!(row["blocks"].as_u64(), Some(2), "{row}");
    assert_eq!(row["stored_blocks"].as_u64(), Some(0), "{row}");
    let good = read(d.path().join("good.kft"));
    let ranges = block_data_ranges(&good);
    assert_eq!(ranges.len(), 2);
    // A flip may go unnoticed only within the last 4 bytes of a block's data.
    let slack = |i: usize| ranges.iter().any(|r| r.contains(&i) && r.end - i <= 4);

    let bad_dir = d.path().join("bad");
    fs::create_dir(&bad_dir).unwrap();
    let n = good.len();
    let mut flips = BTreeSet::new();
    for k in 0..40 {
        flips.insert((k * (n - 1) / 39, k % 8));
    }
    // And the last 4 bytes of each block's data, where an arithmetic coder's flush may
    // leave bits that do not matter.
    for (k, r) in ranges.iter().enumerate() {
        for j in 1..=4 {
            flips.insert((r.end - j, (3 * j + k) % 8));
        }
    }
    let mut files = Vec::new();
    for &(i, bit) in &flips {
        let mut v = good.clone();
        v[i] ^= 1 << bit;
        let name = format!("flip-{i:05}-{bit}.kft");
        fs::write(bad_dir.join(&name), &v).unwrap();
        files.push(name);
    }
    for k in 0..10 {
        let i = k * (n - 1) / 9;
        let name = format!("cut-{i:05}.kft");
        fs::write(bad_dir.join(&name), &good[..i]).unwrap();
        files.push(name);
    }
    let expected: BTreeSet<String> = files.iter().cloned().collect();
    assert_eq!(expected.len(), files.len());
    assert!(files.len() >= 55, "{} cases", files.len());

    // One process per case, to stdout: exit 1 and a prefix, or exit 0 and the original.
    let mut accepted = BTreeSet::new();
    for name in &files {
        let out = kraft(&bad_dir)
            .args(["decompress", "-c", name])
            .output()
            .unwrap();
        assert_no_panic(&out);
        match out.status.code() {
            Some(0) => {
                assert!(name.starts_with("flip-"), "{name}: truncation accepted");
                assert_eq!(out.stdout, data, "{name}: accepted but the output differs");
                let i: usize = name[5..10].parse().unwrap();
                assert!(
                    slack(i),
                    "{name}: accepted, and byte {i} is not in the slack of a payload \
                     (blocks' data at {ranges:?}, {n} bytes)"
                );
                accepted.insert(name.clone());
            }
            Some(1) => {
                assert!(stderr_of(&out).contains(name.as_str()), "{name}");
                assert!(
                    data.starts_with(&out.stdout),
                    "{name}: printed {} bytes that are not a prefix of the original",
                    out.stdout.len()
                );
            }
            other => panic!("{name}: exit {other:?}; stderr:\n{}", stderr_of(&out)),
        }
    }
    eprintln!(
        "cm: {} of {} flips left the output unchanged (blocks' data at {ranges:?}): {accepted:?}",
        accepted.len(),
        flips.len()
    );

    // `test` on all of them: OK exactly for the accepted ones, a message for the others.
    let named = |err: &str| -> BTreeSet<String> {
        err.lines()
            .filter_map(|l| l.strip_prefix("kraft: "))
            .filter_map(|l| l.split(':').next())
            .map(str::to_string)
            .collect()
    };
    let a = fails1(kraft(&bad_dir).arg("test").args(&files));
    let out = a.get_output();
    let passed: BTreeSet<String> = stdout_of(out)
        .lines()
        .filter_map(|l| l.split(": OK").next())
        .map(str::to_string)
        .collect();
    assert_eq!(passed, accepted, "test and decompress disagree");
    let rejected: BTreeSet<String> = expected.difference(&accepted).cloned().collect();
    assert_eq!(named(&stderr_of(out)), rejected);

    // Decompressing to files: outputs only for the accepted ones, and exactly the original.
    let a = fails1(kraft(&bad_dir).arg("decompress").args(&files));
    assert_eq!(named(&stderr_of(a.get_output())), rejected);
    let restored: BTreeSet<String> = accepted
        .iter()
        .map(|f| f.strip_suffix(".kft").unwrap().to_string())
        .collect();
    for r in &restored {
        assert_eq!(read(bad_dir.join(r)), data, "{r}");
    }
    assert_eq!(
        names(&bad_dir),
        expected.union(&restored).cloned().collect(),
        "no other output or temporary file left"
    );

    // info never panics and sees every truncation.
    let out = kraft(&bad_dir)
        .args(["info", "--json"])
        .args(&files)
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
    let rows: Value = serde_json::from_slice(&out.stdout).expect("info --json is JSON");
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| !r["file"].as_str().unwrap().starts_with("cut-")),
        "info accepted a truncated stream"
    );
}

#[test]
fn info_text_and_json() {
    // Compressed with the default model: info names it.
    let d = tempdir();
    let data = text(20_000, 26);
    write(d.path(), "f", &data);
    ok(kraft(d.path()).args(["compress", "f"]));
    let size = fs::metadata(d.path().join("f.kft")).unwrap().len();
    let crc = format!("{:08x}", crc32fast::hash(&data));

    let out = ok(kraft(d.path()).args(["info", "f.kft"]));
    let s = stdout_of(&out);
    for needle in [
        "f.kft",
        "model",
        "cm (level 6)",
        "original",
        &format!("{} bytes", data.len()),
        "compressed",
        &format!("{size} bytes"),
        "ratio",
        &format!("{:.3}", data.len() as f64 / size as f64),
        "bits/byte",
        &format!("{:.4}", 8.0 * size as f64 / data.len() as f64),
        "crc32",
        &crc,
    ] {
        assert!(s.contains(needle), "missing {needle:?} in:\n{s}");
    }

    let rows = info_json(d.path(), "f.kft");
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["file"], "f.kft");
    assert_eq!(r["model"], "cm");
    assert_eq!(r["level"].as_u64(), Some(6));
    assert_eq!(r["original_bytes"].as_u64(), Some(data.len() as u64));
    assert_eq!(r["compressed_bytes"].as_u64(), Some(size));
    let bpb = r["bits_per_byte"].as_f64().unwrap();
    assert!(
        (bpb - 8.0 * size as f64 / data.len() as f64).abs() < 1e-9,
        "{bpb}"
    );
    let ratio = r["ratio"].as_f64().unwrap();
    assert!((ratio - data.len() as f64 / size as f64).abs() < 1e-9);
    assert_eq!(r["crc32"], crc);
    assert_eq!(r["blocks"].as_u64(), Some(1));
    assert_eq!(r["stored_blocks"].as_u64(), Some(0));

    // Several files, one row each; info of a damaged file is an error.
    ok(kraft(d.path()).args(["compress", "-o", "g.kft", "--block-size", "8K", "f"]));
    let rows = info_json(d.path(), "g.kft");
    assert_eq!(rows[0]["blocks"].as_u64(), Some(20_000u64.div_ceil(8192)));
    ok(kraft(d.path()).args(["compress", "-m", "iid", "-l", "2", "-o", "h.kft", "f"]));
    let s = stdout_of(&ok(kraft(d.path()).args(["info", "h.kft"])));
    assert!(s.contains("iid (level 2)"), "{s}");
    let out = ok(kraft(d.path()).args(["info", "--json", "f.kft", "g.kft", "h.kft"]));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let models: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["model"].as_str().unwrap())
        .collect();
    assert_eq!(models, ["cm", "cm", "iid"]);
    write(d.path(), "junk.kft", b"KRFTjunk");
    fails1(kraft(d.path()).args(["info", "junk.kft"])).stderr(predicate::str::contains("junk.kft"));
    fails1(kraft(d.path()).args(["info", "--json", "f.kft", "missing.kft"]))
        .stderr(predicate::str::contains("missing.kft"));
    usage_error(kraft(d.path()).arg("info"));
}

#[test]
fn report_text_and_json_match_what_compress_writes() {
    let d = tempdir();
    let data = text(20_000, 27);
    write(d.path(), "f", &data);
    let before = names(d.path());

    let out = ok(kraft(d.path()).args(["report", "f"]));
    let s = stdout_of(&out);
    for needle in [
        "cm (level 6)",
        "H0",
        "H4",
        "model ideal",
        "achieved",
        "header",
        "payload",
        "coder overhead",
        "gap to H0",
    ] {
        assert!(s.contains(needle), "missing {needle:?} in:\n{s}");
    }
    assert_eq!(names(d.path()), before, "report writes no file");

    // The default model (cm) first, then iid; one and several blocks; threads.
    for (i, (opts, model)) in [
        (&[][..], "cm"),
        (&["-l", "1", "--block-size", "4K"], "cm"),
        (&["--block-size", "8K", "-T", "2"], "cm"),
        (&["--model", "iid", "--level", "9"], "iid"),
        (&["-m", "iid", "--block-size", "4K"], "iid"),
    ]
    .into_iter()
    .enumerate()
    {
        let r = report_json(d.path(), "f", opts);
        assert_eq!(names(d.path()), before, "report --json writes no file");
        assert_eq!(r["file"], "f");
        assert_eq!(r["model"], model, "options {opts:?}");
        assert_eq!(r["bytes"].as_u64(), Some(data.len() as u64));
        let h = r["empirical_entropy_bpb"].as_array().expect("array");
        assert_eq!(h.len(), 5);
        let h: Vec<f64> = h.iter().map(|x| x.as_f64().unwrap()).collect();
        assert!(h.windows(2).all(|w| w[1] <= w[0] + 1e-9), "{h:?}");
        assert!(h[0] > 0.0 && h[0] < 8.0);
        let ideal = r["model_ideal_bits"].as_f64().unwrap();
        let achieved = r["achieved_bits"].as_u64().unwrap();
        let header = r["header_bits"].as_u64().unwrap();
        let payload = r["payload_bits"].as_u64().unwrap();
        let overhead = r["coder_overhead_bits"].as_f64().unwrap();
        let gap = r["gap_to_h0_bits"].as_f64().unwrap();
        assert_eq!(achieved, header + payload);
        assert!((overhead - (payload as f64 - ideal)).abs() < 1e-6);
        assert!((gap - (achieved as f64 - h[0] * data.len() as f64)).abs() < 1e-3);
        if model == "cm" {
            // Context mixing sees what an order-0 model cannot: it beats H0 on text.
            assert!(
                gap < 0.0,
                "options {opts:?}: cm {achieved} bits, gap to H0 {gap}"
            );
        }
        if model == "iid" && r["blocks"].as_u64() == Some(1) {
            // Gibbs: with one table for the whole input, the i.i.d. model's cross-entropy
            // is at least H0·N (several blocks each fit their own table and may beat it).
            assert!(
                ideal >= h[0] * data.len() as f64 * (1.0 - 1e-12),
                "options {opts:?}: ideal {ideal} below H0·N"
            );
        }

        // achieved_bits is exactly 8 × what compress writes with the same options.
        let out = format!("r{i}.kft");
        ok(kraft(d.path())
            .arg("compress")
            .args(opts)
            .args(["-o", &out, "f"]));
        let size = fs::metadata(d.path().join(&out)).unwrap().len();
        assert_eq!(achieved, 8 * size, "options {opts:?}");
        assert_eq!(r["blocks"], info_json(d.path(), &out)[0]["blocks"]);
        fs::remove_file(d.path().join(&out)).unwrap();
    }

    // stdin.
    let r: Value = serde_json::from_slice(
        &ok(kraft(d.path())
            .args(["report", "--json", "-"])
            .write_stdin(data.clone()))
        .stdout,
    )
    .unwrap();
    assert_eq!(r["bytes"].as_u64(), Some(data.len() as u64));
    assert_eq!(names(d.path()), before);
}

#[test]
fn report_errors() {
    let d = tempdir();
    write(d.path(), "f", b"abc");
    fs::create_dir(d.path().join("dir")).unwrap();
    fails1(kraft(d.path()).args(["report", "missing"])).stderr(predicate::str::contains("missing"));
    fails1(kraft(d.path()).args(["report", "dir"])).stderr(predicate::str::contains("dir"));
    usage_error(kraft(d.path()).args(["report", "--model", "nope", "f"]))
        .stderr(predicate::str::contains("nope"));
    usage_error(kraft(d.path()).args(["report", "--block-size", "0", "f"]));
    usage_error(kraft(d.path()).arg("report"));
    assert_eq!(names(d.path()), set(&["dir", "f"]));
}

// ---------------------------------------------------------------------------------------
// Refusals: directories, missing files, suffixes
// ---------------------------------------------------------------------------------------

#[test]
fn directory_and_missing_inputs() {
    let d = tempdir();
    fs::create_dir(d.path().join("sub")).unwrap();
    fails1(kraft(d.path()).args(["compress", "sub"]))
        .stderr(predicate::str::contains("sub").and(predicate::str::contains("is a directory")));
    fails1(kraft(d.path()).args(["compress", "-f", "sub"]))
        .stderr(predicate::str::contains("is a directory"));
    fails1(kraft(d.path()).args(["compress", "nonexistent"]))
        .stderr(predicate::str::contains("nonexistent"));
    fs::create_dir(d.path().join("sub.kft")).unwrap();
    fails1(kraft(d.path()).args(["decompress", "-f", "sub.kft"]))
        .stderr(predicate::str::contains("is a directory"));
    fails1(kraft(d.path()).args(["decompress", "nonexistent.kft"]))
        .stderr(predicate::str::contains("nonexistent.kft"));
    fails1(kraft(d.path()).args(["test", "nonexistent.kft"]))
        .stderr(predicate::str::contains("nonexistent.kft"));
    fails1(kraft(d.path()).args(["info", "sub.kft"]))
        .stderr(predicate::str::contains("is a directory"));
    assert_eq!(names(d.path()), set(&["sub", "sub.kft"]));
    assert!(names(&d.path().join("sub")).is_empty());
}

#[test]
fn compress_refuses_kft_suffix_without_force() {
    let d = tempdir();
    let data = text(3_000, 28);
    write(d.path(), "x", &data);
    ok(kraft(d.path()).args(["compress", "x"]));
    let packed = read(d.path().join("x.kft"));
    fails1(kraft(d.path()).args(["compress", "x.kft"]))
        .stderr(predicate::str::contains("already has the .kft suffix"));
    assert_eq!(names(d.path()), set(&["x", "x.kft"]));
    assert_eq!(read(d.path().join("x.kft")), packed);
    // With -f it is compressed again, to x.kft.kft.
    ok(kraft(d.path()).args(["compress", "-f", "x.kft"]));
    assert_eq!(names(d.path()), set(&["x", "x.kft", "x.kft.kft"]));
    assert_eq!(kraft_decode(d.path(), "x.kft.kft"), packed);
}

#[test]
fn decompress_refuses_unknown_suffix_unless_output_is_given() {
    let d = tempdir();
    let data = text(3_000, 29);
    write(d.path(), "x", &data);
    ok(kraft(d.path()).args(["compress", "-o", "packed.bin", "x"]));
    fails1(kraft(d.path()).args(["decompress", "packed.bin"]))
        .stderr(predicate::str::contains("packed.bin").and(predicate::str::contains("suffix")));
    fails1(kraft(d.path()).args(["decompress", "-f", "packed.bin"]));
    assert_eq!(names(d.path()), set(&["packed.bin", "x"]));
    assert_eq!(kraft_decode(d.path(), "packed.bin"), data);
    ok(kraft(d.path()).args(["decompress", "-o", "y", "packed.bin"]));
    assert_eq!(read(d.path().join("y")), data);

    // A file named just ".kft" has no stem to restore to.
    write(d.path(), ".kft", &read(d.path().join("packed.bin")));
    fails1(kraft(d.path()).args(["decompress", ".kft"]));
    assert_eq!(names(d.path()), set(&[".kft", "packed.bin", "x", "y"]));
}

// ---------------------------------------------------------------------------------------
// Metadata
// ---------------------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn permissions_and_mtime_carry_over() {
    use filetime::FileTime;
    use std::os::unix::fs::PermissionsExt;

    let d = tempdir();
    let data = text(10_000, 30);
    let f = write(d.path(), "f", &data);
    fs::set_permissions(&f, fs::Permissions::from_mode(0o640)).unwrap();
    let old = FileTime::from_unix_time(1_000_000_000, 123_456_789);
    filetime::set_file_mtime(&f, old).unwrap();

    let check = |p: &Path| {
        let m = fs::metadata(p).unwrap();
        assert_eq!(m.permissions().mode() & 0o7777, 0o640, "{}", p.display());
        let got = FileTime::from_last_modification_time(&m);
        assert_eq!(got.unix_seconds(), old.unix_seconds(), "{}", p.display());
        assert_eq!(got.nanoseconds(), old.nanoseconds(), "{}", p.display());
    };
    ok(kraft(d.path()).args(["compress", "f"]));
    check(&d.path().join("f.kft"));
    ok(kraft(d.path()).args(["compress", "f", "-o", "o.kft"]));
    check(&d.path().join("o.kft"));

    let e = tempdir();
    fs::rename(d.path().join("f.kft"), e.path().join("f.kft")).unwrap();
    ok(kraft(e.path()).args(["decompress", "f.kft"]));
    check(&e.path().join("f"));
    assert_eq!(read(e.path().join("f")), data);
    ok(kraft(e.path()).args(["decompress", "-o", "g", "f.kft"]));
    check(&e.path().join("g"));

    // A read-only input gives a read-only output, and -f can still replace it.
    fs::set_permissions(&f, fs::Permissions::from_mode(0o400)).unwrap();
    ok(kraft(d.path()).args(["compress", "f", "-o", "ro.kft"]));
    let m = fs::metadata(d.path().join("ro.kft")).unwrap();
    assert_eq!(m.permissions().mode() & 0o777, 0o400);
    ok(kraft(d.path()).args(["compress", "-f", "f", "-o", "ro.kft"]));
    assert_eq!(kraft_decode(d.path(), "ro.kft"), data);
}

/// Written from stdin, an output file has no input to take permissions from; it should
/// get the usual mode for new files (0666 minus the umask), as with gzip and zstd, not
/// the 0600 of a private temporary file.
#[cfg(unix)]
#[test]
fn output_from_stdin_gets_the_mode_of_a_new_file() {
    use std::os::unix::fs::PermissionsExt;

    let d = tempdir();
    // The mode a new file gets here under the current umask.
    let probe = write(d.path(), "probe", b"");
    let want = fs::metadata(&probe).unwrap().permissions().mode() & 0o777;
    ok(kraft(d.path())
        .args(["compress", "-o", "s.kft"])
        .write_stdin("from stdin"));
    let got = fs::metadata(d.path().join("s.kft"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(
        got, want,
        "compress -o from stdin: mode {got:o}, a new file gets {want:o}"
    );
    ok(kraft(d.path())
        .args(["decompress", "-o", "s"])
        .write_stdin(read(d.path().join("s.kft"))));
    let got = fs::metadata(d.path().join("s"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(
        got, want,
        "decompress -o from stdin: mode {got:o}, want {want:o}"
    );
}

/// Like gzip and zstd, compressed data is not written to a terminal without -f: neither
/// from stdin nor with -c FILE. Needs a terminal, made by util-linux `script`; skipped
/// without it.
#[cfg(unix)]
#[test]
fn compressed_data_is_not_written_to_a_terminal() {
    let has_script = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("skipping: `script` (util-linux) not found, no terminal to test with");
        return;
    }
    let d = tempdir();
    write(d.path(), "f", &text(2_000, 33));
    let bin = assert_cmd::cargo::cargo_bin("kraft");
    // Run `args` under a pseudo-terminal; returns the exit code and what the terminal got.
    let on_tty = |args: &str| -> (Option<i32>, Vec<u8>) {
        let line = format!("'{}' {args}", bin.display());
        let out = std::process::Command::new("script")
            .args(["-eqc", &line, "/dev/null"])
            .current_dir(d.path())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        (out.status.code(), out.stdout)
    };
    let refused = |args: &str| {
        let (code, tty) = on_tty(args);
        let shown: String = String::from_utf8_lossy(&tty).chars().take(60).collect();
        assert_eq!(code, Some(1), "kraft {args} on a terminal: {shown:?}");
        assert!(shown.contains("terminal"), "kraft {args}: {shown:?}");
        assert!(
            !shown.contains("KRFT"),
            "kraft {args} wrote compressed data: {shown:?}"
        );
    };
    refused("compress < f");
    refused("compress - < f");
    // -f writes anyway.
    let (code, tty) = on_tty("compress -f < f");
    assert_eq!(code, Some(0));
    assert!(is_kraft(&tty));
    // The same guard for -c FILE.
    refused("compress -c f");
    assert_eq!(names(d.path()), set(&["f"]));
}

// ---------------------------------------------------------------------------------------
// Edge sizes
// ---------------------------------------------------------------------------------------

/// Edge sizes with each model: iid on the full sizes, the default model (cm) on smaller
/// constant and random inputs (it codes about 0.5 MB/s).
#[test]
fn empty_one_byte_and_random_inputs_round_trip() {
    for (model, same_len, random_len) in [("iid", 100_000, 300 * 1024), ("cm", 10_000, 16 * 1024)] {
        let d = tempdir();
        // No flag for the default model.
        let flags: &[&str] = if model == "cm" { &[] } else { &["-m", model] };
        let cases: [(&str, Vec<u8>); 5] = [
            ("empty", Vec::new()),
            ("one", vec![b'x']),
            ("zero", vec![0]),
            ("same", vec![b'a'; same_len]),
            ("random", random_bytes(random_len, 31)),
        ];
        for (name, data) in &cases {
            write(d.path(), name, data);
            ok(kraft(d.path()).arg("compress").args(flags).arg(name));
            let kft = format!("{name}.kft");
            kraft(d.path())
                .args(["test", &kft])
                .assert()
                .success()
                .stdout(predicate::str::contains(format!(
                    "OK ({} bytes",
                    data.len()
                )));
            let row = &info_json(d.path(), &kft)[0];
            assert_eq!(row["model"], model, "{name}");
            assert_eq!(row["original_bytes"].as_u64(), Some(data.len() as u64));
            fs::remove_file(d.path().join(name)).unwrap();
            ok(kraft(d.path()).args(["decompress", &kft]));
            assert_eq!(&read(d.path().join(name)), data, "{model} {name}");
            // Through stdin/stdout as well.
            let packed = compress_bytes(d.path(), data, flags);
            let back = ok(kraft(d.path()).arg("d").write_stdin(packed)).stdout;
            assert_eq!(&back, data, "{model} {name} via stdin");
        }
        // Incompressible data is stored, not expanded.
        let size = fs::metadata(d.path().join("random.kft")).unwrap().len();
        assert!(
            size <= random_len as u64 + 64,
            "{model} random: {size} bytes"
        );
        let row = &info_json(d.path(), "random.kft")[0];
        assert!(
            row["stored_blocks"].as_u64().unwrap() >= 1,
            "{model}: {row}"
        );
        // A constant input costs (next to) no payload: iid stores one byte value and no
        // payload; cm learns the byte within a few hundred and then pays almost nothing
        // (10,000 bytes gave 49 bytes when this was written).
        let same = fs::metadata(d.path().join("same.kft")).unwrap().len();
        let bound = if model == "iid" { 64 } else { 75 };
        assert!(same < bound, "{model}: same.kft is {same} bytes");
        assert_no_temp_files(d.path());
    }
}

#[test]
fn help_and_version() {
    let d = tempdir();
    kraft(d.path())
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("compress").and(predicate::str::contains("report")));
    kraft(d.path())
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
    usage_error(&mut kraft(d.path()));
    usage_error(kraft(d.path()).arg("frobnicate"));
    usage_error(kraft(d.path()).args(["compress", "--no-such-flag"]));
}

// ---------------------------------------------------------------------------------------
// corpus gen, bench
// ---------------------------------------------------------------------------------------

#[test]
fn corpus_gen_then_bench() {
    let d = tempdir();
    // Small 2D Ising files (20 configurations of 16×16 instead of 1000 of 64×64) keep
    // generation quick; their size does not depend on --size.
    let ising = ["--ising-samples", "20", "--ising-side", "16"];
    // Default seed and size: 1 MiB per file (quick to generate, too big to bench with cm).
    ok(kraft(d.path()).args(["corpus", "gen", "big"]).args(ising));
    let big = names(&d.path().join("big"));
    assert!(big.contains("MANIFEST.tsv"), "{big:?}");
    assert_eq!(big.iter().filter(|n| n.ends_with(".pbm")).count(), 6);
    for name in big.iter().filter(|n| *n != "MANIFEST.tsv") {
        let n = fs::metadata(d.path().join("big").join(name)).unwrap().len();
        if name.ends_with(".pbm") {
            assert_eq!(n, 20 * (9 + 16 * 2), "{name}");
        } else {
            assert!(n.abs_diff(1 << 20) < 1 << 12, "{name}: {n} bytes");
        }
    }

    // Default seed, 20 KiB per file: the corpus the rest of this test uses.
    let dir = d.path().join("gen");
    let out = ok(kraft(d.path())
        .args(["corpus", "gen", "gen", "--size", "20K"])
        .args(ising));
    let s = stdout_of(&out);
    assert!(s.contains("MANIFEST.tsv"), "{s}");

    // The manifest lists every file with its size and hash.
    let manifest = fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let mut lines = manifest.lines();
    assert!(lines.next().unwrap().starts_with("file\tbytes\tsha256\t"));
    let mut listed = BTreeSet::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 6, "{line}");
        let data = read(dir.join(f[0]));
        assert_eq!(data.len().to_string(), f[1], "{}", f[0]);
        assert_eq!(hex(&Sha256::digest(&data)), f[2], "{}", f[0]);
        let entropy: f64 = f[3].parse().unwrap();
        assert!((0.0..=8.0 * data.len() as f64 + 1e-6).contains(&entropy));
        assert!(s.contains(f[0]), "corpus gen names {}", f[0]);
        listed.insert(f[0].to_string());
    }
    assert!(listed.len() >= 5, "{listed:?}");
    let mut on_disk = names(&dir);
    assert!(on_disk.remove("MANIFEST.tsv"));
    assert_eq!(on_disk, listed);
    assert_eq!(big, names(&dir), "the same files at any size");

    // Same seed and size: the same files; another seed: other files.
    for sub in ["s1", "s2"] {
        ok(kraft(d.path())
            .args(["corpus", "gen", sub, "--size", "20K", "--seed", "7"])
            .args(ising));
    }
    ok(kraft(d.path())
        .args(["corpus", "gen", "s3", "--size", "20000", "--seed", "8"])
        .args(ising));
    for name in &listed {
        let s1 = read(d.path().join("s1").join(name));
        assert!(
            name.ends_with(".pbm") || s1.len().abs_diff(20 << 10) < 256,
            "{name}: {} bytes",
            s1.len()
        );
        assert_eq!(s1, read(d.path().join("s2").join(name)), "{name}");
        assert_ne!(s1, read(d.path().join("s3").join(name)), "{name}");
        // The default seed differs from seed 7.
        assert_ne!(s1, read(dir.join(name)), "{name}");
    }
    // A file where the directory should be: an error, not a panic.
    write(d.path(), "plain", b"x");
    fails1(kraft(d.path()).args(["corpus", "gen", "plain"]));

    // report and compress -v know the exact source entropy from the manifest.
    let first = listed.iter().next().unwrap();
    let path = format!("gen/{first}");
    let r = report_json(d.path(), &path, &[]);
    assert!(r["source_entropy_bits"].as_f64().is_some(), "{r}");
    let out = ok(kraft(d.path()).args(["compress", "-v", "-c", &path]));
    assert!(stderr_of(&out).contains("source entropy"));

    // bench: a header, then one table line per file and compressor ("corpus file
    // compressor ..."; by default every built-in model at the default level, labelled
    // `cm-l6`, or just `iid` for a model the level does not change), then the corpus's
    // totals, one line per compressor.
    let out = ok(kraft(d.path()).args(["bench", "gen", "--repeat", "1"]));
    let s = stdout_of(&out);
    let lines: Vec<&str> = s.lines().collect();
    assert!(lines[0].starts_with("corpus"), "{s}");
    let rows_of = |s: &str, name: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.split_whitespace().nth(1) == Some(name))
            .map(|l| l.split_whitespace().nth(2).unwrap_or_default().to_string())
            .collect()
    };
    let models = kraft::model::BUILTIN;
    for name in &listed {
        let got = rows_of(&s, name);
        assert_eq!(got.len(), models.len(), "bench lines for {name} in:\n{s}");
        for (g, m) in got.iter().zip(models) {
            assert!(
                g == m || g.starts_with(&format!("{m}-l")),
                "{g} for {m} in:\n{s}"
            );
        }
    }
    assert_eq!(lines.len(), 1 + (listed.len() + 1) * models.len(), "{s}");
    assert!(!s.contains("MANIFEST.tsv"));
    let totals = format!("({} files)", listed.len());
    assert!(
        lines[lines.len() - models.len()..]
            .iter()
            .all(|l| l.starts_with("gen ") && l.contains(&totals)),
        "{s}"
    );
    // bench writes nothing into the corpus directory.
    let mut after = names(&dir);
    after.remove("MANIFEST.tsv");
    assert_eq!(after, listed);

    // --models chooses the models and their order (each once); an unknown model is an
    // error.
    for (models, want) in [
        ("iid,iid", &["iid"][..]),
        ("cm", &["cm-l6"]),
        ("cm,iid", &["cm-l6", "iid"]),
    ] {
        let out = ok(kraft(d.path()).args(["bench", "--repeat", "1", "--models", models, &path]));
        assert_eq!(rows_of(&stdout_of(&out), first), want, "--models {models}");
    }
    fails1(kraft(d.path()).args(["bench", "--models", "nope", &path]));
    fails1(kraft(d.path()).args(["bench", "missing-dir"]));
}

// ---------------------------------------------------------------------------------------
// The public corpora
// ---------------------------------------------------------------------------------------

#[test]
fn public_corpora_round_trip_through_the_cli() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora");
    if !root.is_dir() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{} not found (required under CI=true)", root.display());
        }
        eprintln!("skipping: ../shared/corpora not found ({})", root.display());
        return;
    }
    let start = Instant::now();

    // The manifest's hashes: make sure the inputs are the published files.
    let manifest = fs::read_to_string(root.join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    let mut hashes = std::collections::BTreeMap::new();
    for line in manifest.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        hashes.insert(format!("{}/{}", f[0], f[1]), f[3].to_string());
    }

    let work = tempdir();
    const CM_MAX: usize = 25_000;
    let mut count = 0;
    let mut total = 0u64;
    let mut packed_total = 0u64;
    let (mut cm_count, mut cm_total, mut cm_packed) = (0, 0u64, 0u64);
    let mut iid_small_packed = 0u64;
    for set in ["calgary", "canterbury", "large"] {
        let mut files: Vec<PathBuf> = fs::read_dir(root.join(set))
            .unwrap_or_else(|e| panic!("{set}: {e}"))
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{set} is empty");
        for src in files {
            let name = src.file_name().unwrap().to_string_lossy().into_owned();
            let key = format!("{set}/{name}");
            let data = read(&src);
            let want = hashes
                .get(&key)
                .unwrap_or_else(|| panic!("{key} is not in MANIFEST.tsv"));
            assert_eq!(
                &hex(&Sha256::digest(&data)),
                want,
                "{key}: not the published file"
            );

            // Every file with iid (all 17 MB take seconds); the small ones with the
            // default model too (cm codes about 0.5 MB/s: the whole set would take
            // over a minute).
            let models: &[&[&str]] = if data.len() <= CM_MAX {
                cm_count += 1;
                &[&["-m", "iid"], &[]]
            } else {
                &[&["-m", "iid"]]
            };
            for flags in models {
                let kft = work.path().join(format!("{set}-{name}.kft"));
                let back = work.path().join(format!("{set}-{name}"));
                ok(kraft(work.path())
                    .arg("compress")
                    .args(*flags)
                    .arg(&src)
                    .arg("-o")
                    .arg(&kft));
                ok(kraft(work.path())
                    .arg("decompress")
                    .arg(&kft)
                    .arg("-o")
                    .arg(&back));
                assert!(read(&back) == data, "{key} {flags:?}: round trip differs");
                let size = fs::metadata(&kft).unwrap().len();
                assert!(
                    size <= data.len() as u64 + 64,
                    "{key} {flags:?}: expanded to {size}"
                );
                if flags.is_empty() {
                    cm_total += data.len() as u64;
                    cm_packed += size;
                } else {
                    total += data.len() as u64;
                    packed_total += size;
                    if data.len() <= CM_MAX {
                        iid_small_packed += size;
                    }
                }
                fs::remove_file(&kft).unwrap();
                fs::remove_file(&back).unwrap();
            }
            count += 1;
        }
    }
    assert_eq!(
        count,
        hashes.len(),
        "every file of MANIFEST.tsv was checked"
    );
    assert!(cm_count >= 5, "{cm_count} files small enough for cm");
    // On these (text, source, object code) cm must beat iid by a wide margin.
    assert!(
        cm_packed * 4 < iid_small_packed * 3,
        "{cm_count} files of {cm_total} bytes: cm {cm_packed} bytes, iid {iid_small_packed}"
    );
    eprintln!(
        "public corpora: {count} files, iid {total} -> {packed_total} bytes ({:.4} bits/byte); \
         cm on {cm_count} files {cm_total} -> {cm_packed} bytes ({:.4} bits/byte); {:.1} s",
        8.0 * packed_total as f64 / total as f64,
        8.0 * cm_packed as f64 / cm_total as f64,
        start.elapsed().as_secs_f64()
    );
}

/// Ctrl-C in the middle of a compression: exit status 130, no output and no temporary
/// file left, the input untouched.
#[test]
fn interrupt_leaves_no_partial_output() {
    let d = tempdir();
    let data = text(2_000_000, 41);
    write(d.path(), "big.txt", &data);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("kraft"))
        .current_dir(d.path())
        .args(["compress", "-l", "9", "big.txt"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(800));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{status:?}");
    let names: Vec<String> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["big.txt"], "left behind: {names:?}");
    assert_eq!(std::fs::read(d.path().join("big.txt")).unwrap(), data);
}

// ---------------------------------------------------------------------------------------
// --memory-limit
// ---------------------------------------------------------------------------------------

#[test]
fn memory_limit_refuses_to_decode_a_stream_that_needs_more() {
    let d = tempdir();
    let data = text(200_000, 43);
    write(d.path(), "t", &data);
    ok(kraft(d.path()).args(["compress", "t", "-o", "t.kft"]));
    let needed = info_json(d.path(), "t.kft")[0]["decoder_memory_bytes"]
        .as_u64()
        .unwrap();
    let below = (needed - 1).to_string();
    fails1(kraft(d.path()).args(["decompress", "--memory-limit", &below, "t.kft", "-o", "u"]))
        .stderr(predicate::str::contains("more than the limit"));
    fails1(kraft(d.path()).args(["test", "--memory-limit", &below, "t.kft"]))
        .stderr(predicate::str::contains("more than the limit"));
    assert_eq!(names(d.path()), set(&["t", "t.kft"]));
    ok(kraft(d.path()).args([
        "decompress",
        "--memory-limit",
        &needed.to_string(),
        "t.kft",
        "-o",
        "u",
    ]));
    assert_eq!(read(d.path().join("u")), data);
    usage_error(kraft(d.path()).args(["decompress", "--memory-limit", "lots", "t.kft"]));
}

#[test]
fn memory_limit_lowers_compression_threads_and_fails_below_one() {
    let d = tempdir();
    let data = text(300_000, 44);
    let one = compress_bytes(d.path(), &data, &["-l", "1", "--block-size", "64K"]);
    // Level 1 with 64 KiB blocks: a few MiB per thread; 8 threads do not fit in 40 MiB.
    let limited = compress_bytes(
        d.path(),
        &data,
        &[
            "-l",
            "1",
            "--block-size",
            "64K",
            "-T",
            "8",
            "--memory-limit",
            "40M",
        ],
    );
    assert_eq!(
        limited, one,
        "the output does not depend on the thread count"
    );
    fails1(
        kraft(d.path())
            .args(["compress", "-l", "6", "--memory-limit", "1M"])
            .write_stdin(data),
    )
    .stderr(predicate::str::contains("more than the limit"));
}

// ---------------------------------------------------------------------------------------
// Full disk
// ---------------------------------------------------------------------------------------

#[test]
fn a_full_disk_on_stdout_is_an_error() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full on this system");
        return;
    }
    let d = tempdir();
    let data = text(100_000, 45);
    write(d.path(), "t", &data);
    ok(kraft(d.path()).args(["compress", "-k", "t"]));
    for args in [["compress", "-c", "t"], ["decompress", "-c", "t.kft"]] {
        let full = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("kraft"))
            .current_dir(d.path())
            .args(args)
            .stdout(full)
            .output()
            .unwrap();
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr_of(&out).contains("No space left on device"),
            "{}",
            stderr_of(&out)
        );
    }
    assert_eq!(read(d.path().join("t")), data);
}

/// Run kraft through `sh` with files limited to `blocks` × 512 bytes (`ulimit -f`) and
/// SIGXFSZ ignored, so a write past the limit fails with EFBIG as on a full file system.
fn kraft_with_file_limit(dir: &Path, blocks: u32, args: &str) -> Output {
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

#[test]
fn a_write_that_does_not_fit_leaves_no_partial_output() {
    let d = tempdir();
    // Random bytes: the compressed file is as large as the input, 200 KB, over the 64 KiB
    // the limit allows; the decompressed one too.
    let data = random_bytes(200_000, 46);
    write(d.path(), "r", &data);
    let out = kraft_with_file_limit(d.path(), 128, "compress -l 1 r");
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("File too large"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(names(d.path()), set(&["r"]));
    assert_no_temp_files(d.path());
    assert_eq!(read(d.path().join("r")), data);

    ok(kraft(d.path()).args(["compress", "-l", "1", "--rm", "r"]));
    let packed = read(d.path().join("r.kft"));
    let out = kraft_with_file_limit(d.path(), 128, "decompress --rm r.kft");
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("File too large"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(
        names(d.path()),
        set(&["r.kft"]),
        "--rm keeps the input on failure"
    );
    assert_eq!(read(d.path().join("r.kft")), packed);
}

#[test]
fn a_full_file_system_leaves_no_partial_output() {
    // A real 1 MiB tmpfs; mounting needs privileges, so the test says when it cannot.
    let d = tempdir();
    let mnt = d.path().join("tiny");
    fs::create_dir(&mnt).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&mnt)
        .output()
        .is_ok_and(|o| o.status.success());
    if !mounted {
        eprintln!(
            "skipped: cannot mount a tmpfs here (needs root); see a_write_that_does_not_fit_leaves_no_partial_output"
        );
        return;
    }
    let data = random_bytes(3_000_000, 47);
    write(d.path(), "r", &data);
    let packed = compress_bytes(d.path(), &data, &["-m", "iid"]);
    write(d.path(), "p.kft", &packed);
    let results = [
        kraft(d.path())
            .args(["compress", "-m", "iid", "--rm", "r", "-o", "tiny/r.kft"])
            .output(),
        kraft(d.path())
            .args(["decompress", "--rm", "p.kft", "-o", "tiny/p"])
            .output(),
    ];
    let left = names(&mnt);
    let _ = std::process::Command::new("umount").arg(&mnt).status();
    for out in results {
        let out = out.unwrap();
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr_of(&out).contains("No space left on device"),
            "{}",
            stderr_of(&out)
        );
    }
    assert!(left.is_empty(), "left on the full file system: {left:?}");
    assert_eq!(read(d.path().join("r")), data);
    assert_eq!(read(d.path().join("p.kft")), packed);
}

#[test]
fn a_read_error_in_the_input_leaves_no_output() {
    // Reading /proc/self/mem at offset 0 fails with EIO: an input that opens but cannot be read.
    if !Path::new("/proc/self/mem").exists() {
        eprintln!("skipped: no /proc/self/mem on this system");
        return;
    }
    let d = tempdir();
    fails1(kraft(d.path()).args(["compress", "/proc/self/mem", "-o", "mem.kft"]))
        .stderr(predicate::str::contains("Input/output error"));
    assert!(names(d.path()).is_empty());
}

// ---------------------------------------------------------------------------------------
// Inputs read once and whole; devices, FIFOs and links never replaced or removed
// ---------------------------------------------------------------------------------------

/// `sh -c SCRIPT` in `dir` with the kraft binary as `$K`.
fn sh(dir: &Path, script: &str) -> Output {
    std::process::Command::new("bash")
        .current_dir(dir)
        .env("K", assert_cmd::cargo::cargo_bin("kraft"))
        .args(["-c", script])
        .output()
        .expect("run bash")
}

/// Make a FIFO at `path`.
fn mkfifo(path: &Path) {
    let st = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(st.success(), "mkfifo {}", path.display());
}

/// Write `data` into the FIFO at `path` from another thread (opening it waits for the
/// reader).
fn feed_fifo(path: &Path, data: Vec<u8>) -> std::thread::JoinHandle<()> {
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let _ = fs::write(path, data);
    })
}

fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

#[test]
fn pipes_fifos_and_process_substitution_are_read_once_and_whole() {
    let d = tempdir();
    let data = b"0123456789abcdefXYZ".to_vec();
    // /dev/stdin names the pipe the data comes through: no byte may be lost to a sniff.
    let packed = ok(kraft(d.path())
        .args(["compress", "-c", "/dev/stdin"])
        .write_stdin(data.clone()))
    .stdout;
    let back = ok(kraft(d.path())
        .args(["decompress", "-c"])
        .write_stdin(packed))
    .stdout;
    assert_eq!(back, data);
    // The model is still chosen from the first bytes: a PBM through a pipe is a grid.
    let pbm = [b"P4\n16 2\n".as_slice(), &[0xf0, 0x0f, 0xff, 0x00]].concat();
    let packed = ok(kraft(d.path())
        .args(["compress", "-c", "/dev/stdin"])
        .write_stdin(pbm.clone()))
    .stdout;
    write(d.path(), "p.kft", &packed);
    assert_eq!(info_json(d.path(), "p.kft")[0]["model"], "grid");
    assert_eq!(kraft_decode(d.path(), "p.kft"), pbm);

    // A named FIFO, with -o and --rm: all of it compressed, the FIFO kept.
    let text = text(50_000, 77);
    let fifo = d.path().join("fifo");
    mkfifo(&fifo);
    let writer = feed_fifo(&fifo, text.clone());
    let out = ok(kraft(d.path()).args(["compress", "--rm", "-o", "f.kft", "fifo"]));
    writer.join().unwrap();
    assert!(
        stderr_of(&out).contains("not removed"),
        "{}",
        stderr_of(&out)
    );
    assert!(is_fifo(&fifo), "--rm must not remove a FIFO");
    assert_eq!(kraft_decode(d.path(), "f.kft"), text);
    // Decompressing from a FIFO.
    let writer = feed_fifo(&fifo, read(d.path().join("f.kft")));
    let back = ok(kraft(d.path()).args(["decompress", "-c", "fifo"])).stdout;
    writer.join().unwrap();
    assert_eq!(back, text);
    // Without -c or -o a FIFO is refused before it is opened (nothing waits on it).
    fails1(kraft(d.path()).args(["compress", "fifo"]))
        .stderr(predicate::str::contains("not a regular file"));
    assert!(!d.path().join("fifo.kft").exists());

    // Process substitution.
    write(d.path(), "a.txt", &text);
    let out = sh(d.path(), r#""$K" compress -o o.kft <(cat a.txt)"#);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(kraft_decode(d.path(), "o.kft"), text);
    assert_no_temp_files(d.path());
}

#[test]
fn device_files_are_refused_kept_and_written_into() {
    let d = tempdir();
    write(d.path(), "a.txt", b"some data\n");
    // A character device of our own: the null device (1, 3), made in the temp dir.
    let node = d.path().join("node");
    let made = std::process::Command::new("mknod")
        .args([node.to_str().unwrap(), "c", "1", "3"])
        .output()
        .unwrap();
    let is_char = |p: &Path| {
        use std::os::unix::fs::FileTypeExt;
        fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_char_device())
    };
    if !made.status.success() {
        assert!(
            std::env::var_os("CI").is_none(),
            "mknod failed under CI: {}",
            stderr_of(&made)
        );
        eprintln!("skipped: mknod needs root ({})", stderr_of(&made).trim());
        return;
    }
    // Named after: refused, nothing created, the node kept (also with --rm).
    for args in [&["compress", "node"][..], &["compress", "--rm", "node"]] {
        fails1(kraft(d.path()).args(args)).stderr(predicate::str::contains("not a regular file"));
        assert!(is_char(&node));
        assert!(!d.path().join("node.kft").exists());
    }
    // Read as a stream: an empty input; --rm leaves the node.
    let packed = ok(kraft(d.path()).args(["compress", "-c", "node"])).stdout;
    write(d.path(), "n.kft", &packed);
    assert_eq!(kraft_decode(d.path(), "n.kft"), b"");
    ok(kraft(d.path()).args(["compress", "--rm", "-o", "m.kft", "node"]));
    assert!(is_char(&node));
    // A device as the output is written into, not replaced (-f or not).
    ok(kraft(d.path()).args(["compress", "-o", "node", "a.txt"]));
    assert!(is_char(&node));
    ok(kraft(d.path()).args(["compress", "-f", "-o", "node", "a.txt"]));
    assert!(is_char(&node));
    ok(kraft(d.path()).args(["compress", "-c", "a.txt"]));
    write(
        d.path(),
        "a.kft",
        &ok(kraft(d.path()).args(["compress", "-c", "a.txt"])).stdout,
    );
    ok(kraft(d.path()).args(["decompress", "-o", "node", "a.kft"]));
    ok(kraft(d.path()).args(["decompress", "-f", "-o", "node", "a.kft"]));
    assert!(is_char(&node));
    // /dev/null itself as the output.
    ok(kraft(d.path()).args(["decompress", "-o", "/dev/null", "a.kft"]));
    ok(kraft(d.path()).args(["compress", "-o", "/dev/null", "a.txt"]));
    assert_no_temp_files(d.path());
}

#[test]
fn symbolic_links_are_skipped_without_force_and_written_through() {
    let d = tempdir();
    write(d.path(), "a.txt", b"linked data\n");
    std::os::unix::fs::symlink("a.txt", d.path().join("lnk")).unwrap();
    // An input link is skipped without -f (as gzip does), read with -c or -f.
    fails1(kraft(d.path()).args(["compress", "lnk"]))
        .stderr(predicate::str::contains("symbolic link"));
    assert!(!d.path().join("lnk.kft").exists());
    ok(kraft(d.path()).args(["compress", "-c", "lnk"]));
    ok(kraft(d.path()).args(["compress", "-f", "--rm", "lnk"]));
    assert_eq!(kraft_decode(d.path(), "lnk.kft"), b"linked data\n");
    assert!(
        fs::symlink_metadata(d.path().join("lnk"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // An output link is written through with -f: the link stays, its target changes.
    write(d.path(), "target", b"old");
    std::os::unix::fs::symlink("target", d.path().join("out")).unwrap();
    fails1(kraft(d.path()).args(["compress", "-o", "out", "a.txt"]))
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(read(d.path().join("target")), b"old");
    ok(kraft(d.path()).args(["compress", "-f", "-o", "out", "a.txt"]));
    assert!(
        fs::symlink_metadata(d.path().join("out"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(kraft_decode(d.path(), "target"), b"linked data\n");
    // /dev/stdout names the open descriptor, redirected or appended to: written into.
    ok(kraft(d.path()).args(["compress", "-o", "a.kft", "a.txt"]));
    let out = sh(
        d.path(),
        r#"echo first > app && "$K" d -o /dev/stdout a.kft > red && "$K" d -o /dev/stdout a.kft >> app"#,
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(read(d.path().join("red")), b"linked data\n");
    assert_eq!(read(d.path().join("app")), b"first\nlinked data\n");
    assert_no_temp_files(d.path());
}

#[test]
fn inputs_whose_size_is_misstated_compress_what_is_read() {
    let d = tempdir();
    // /proc files report 0 bytes, /sys files 4096; both hold something else.
    for name in [
        "/proc/version",
        "/proc/self/stat",
        "/sys/kernel/mm/transparent_hugepage/enabled",
    ] {
        let path = Path::new(name);
        if !path.exists() {
            continue;
        }
        let out = kraft(d.path())
            .args(["compress", "-c", name])
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", stderr_of(&out));
        write(d.path(), "p.kft", &out.stdout);
        let back = kraft_decode(d.path(), "p.kft");
        assert!(!back.is_empty(), "{name}");
        if name != "/proc/self/stat" {
            assert_eq!(back, read(path), "{name}");
        }
        let info = info_json(d.path(), "p.kft");
        assert_eq!(info[0]["original_bytes"].as_u64(), Some(back.len() as u64));
    }
}

#[test]
fn options_of_another_model_are_usage_errors() {
    let d = tempdir();
    write(d.path(), "f", b"abc\n");
    for args in [
        &["--segment", "64"][..],
        &["--components", "2"],
        &["--bits-back", "off"],
        &["-m", "cm", "--width", "8"],
        &["-m", "iid", "--segment", "lines"],
    ] {
        usage_error(
            kraft(d.path())
                .arg("compress")
                .args(args)
                .args(["-o", "x.kft", "f"]),
        )
        .stderr(predicate::str::contains("is an option of the"));
        usage_error(kraft(d.path()).arg("report").args(args).arg("f"));
    }
    assert!(!d.path().join("x.kft").exists());
    ok(kraft(d.path()).args(["compress", "-m", "mixture", "--segment", "64", "-c", "f"]));
}

#[test]
fn info_reads_stdin_and_messages_name_a_file_once() {
    let d = tempdir();
    write(d.path(), "f", b"hello\n");
    ok(kraft(d.path()).args(["compress", "f"]));
    let out = ok(kraft(d.path())
        .args(["info", "-"])
        .write_stdin(read(d.path().join("f.kft"))));
    assert!(
        stdout_of(&out).contains("original         6 bytes"),
        "{}",
        stdout_of(&out)
    );
    fs::create_dir(d.path().join("dd")).unwrap();
    for cmd in ["info", "test", "compress", "decompress"] {
        let a = fails1(kraft(d.path()).args([cmd, "dd"]));
        let err = stderr_of(a.get_output());
        assert_eq!(err.matches("dd").count(), 1, "{cmd}: {err}");
    }
}

#[test]
fn trailing_garbage_is_reported_with_its_offset() {
    let d = tempdir();
    write(d.path(), "f", b"hello\n");
    ok(kraft(d.path()).args(["compress", "f"]));
    let mut kft = read(d.path().join("f.kft"));
    let n = kft.len();
    kft.extend_from_slice(b"garbage");
    write(d.path(), "g.kft", &kft);
    for cmd in ["test", "info"] {
        fails1(kraft(d.path()).args([cmd, "g.kft"])).stderr(predicate::str::contains(format!(
            "trailing garbage at byte {n}"
        )));
    }
    fails1(kraft(d.path()).args(["decompress", "-c", "g.kft"])).stderr(predicate::str::contains(
        format!("trailing garbage at byte {n}"),
    ));
}

#[test]
fn corpus_gen_checks_its_directory_before_generating() {
    let d = tempdir();
    write(d.path(), "file", b"x");
    let start = Instant::now();
    fails1(kraft(d.path()).args(["corpus", "gen", "file"]))
        .stderr(predicate::str::contains("not a directory"));
    assert!(start.elapsed().as_secs_f64() < 2.0, "{:?}", start.elapsed());
    let small = ["--size", "2K", "--ising-samples", "0"];
    ok(kraft(d.path()).args(["corpus", "gen", "c"]).args(small));
    let manifest = read(d.path().join("c/MANIFEST.tsv"));
    fails1(
        kraft(d.path())
            .args(["corpus", "gen", "c", "--seed", "9"])
            .args(small),
    )
    .stderr(predicate::str::contains("already holds a corpus"));
    assert_eq!(read(d.path().join("c/MANIFEST.tsv")), manifest);
    ok(kraft(d.path())
        .args(["corpus", "gen", "c", "-f", "--seed", "9"])
        .args(small));
    assert_ne!(read(d.path().join("c/MANIFEST.tsv")), manifest);
}

#[test]
fn bench_skips_a_fifo_instead_of_waiting_on_it() {
    let d = tempdir();
    let dir = d.path().join("set");
    fs::create_dir(&dir).unwrap();
    write(&dir, "small.txt", &text(2_000, 3));
    mkfifo(&dir.join("fifo"));
    kraft(d.path())
        .args(["bench", "set", "--models", "iid", "--repeat", "1"])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success()
        .stderr(predicate::str::contains("not a regular file -- skipped"));
}

#[test]
fn the_default_memory_limit_refuses_what_was_not_asked_for() {
    let d = tempdir();
    // A real level-9 stream of a few bytes whose header then declares 64 MiB blocks:
    // decoding it could take 1.4 GiB, more than the default limit of 1 GiB.
    write(d.path(), "f", &b"level nine\n".repeat(7000));
    ok(kraft(d.path()).args(["compress", "-l", "9", "f"]));
    let kft = read(d.path().join("f.kft"));
    let mut r = &kft[..];
    let mut h = kraft::format::Header::read_from(&mut r).unwrap().unwrap();
    h.block_size = 64 << 20;
    h.content_size = None;
    let forged = [h.to_bytes(), r.to_vec()].concat();
    write(d.path(), "big.kft", &forged);
    fails1(kraft(d.path()).args(["test", "big.kft"]))
        .stderr(predicate::str::contains("--memory-limit"));
    // Allowed explicitly, it decodes (the block is the real one).
    ok(kraft(d.path()).args(["test", "--memory-limit", "2G", "big.kft"]));
}

#[test]
fn threads_are_capped_at_the_cores() {
    let d = tempdir();
    let data = text(64 << 10, 5);
    write(d.path(), "f", &data);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let base = [
        "compress",
        "-m",
        "iid",
        "--block-size",
        "1K",
        "-v",
        "-c",
        "f",
    ];
    let out = ok(kraft(d.path()).args(base).args(["-T", "64"]));
    let err = stderr_of(&out);
    assert!(err.contains(&format!("; {cores} thread(s))")), "{err}");
    // The same output for any thread count.
    let one = ok(kraft(d.path()).args(base).args(["-T", "1"])).stdout;
    assert_eq!(out.stdout, one);
}

#[test]
fn rm_keeps_the_input_unless_the_output_is_a_file_of_its_own() {
    let d = tempdir();
    write(d.path(), "f", b"keep me\n");
    // Written into a device: nothing of its own to keep the data, so the input stays.
    let out = ok(kraft(d.path()).args(["compress", "--rm", "-o", "/dev/null", "f"]));
    assert!(
        stderr_of(&out).contains("not removed"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(read(d.path().join("f")), b"keep me\n");
    ok(kraft(d.path()).args(["compress", "f"]));
    let out = ok(kraft(d.path()).args(["decompress", "--rm", "-o", "/dev/null", "f.kft"]));
    assert!(stderr_of(&out).contains("not removed"));
    assert!(d.path().join("f.kft").exists());
    // A link to a device is an existing name: refused without -f, the input kept.
    std::os::unix::fs::symlink("/dev/null", d.path().join("x")).unwrap();
    fs::copy(d.path().join("f.kft"), d.path().join("x.kft")).unwrap();
    fails1(kraft(d.path()).args(["decompress", "--rm", "x.kft"]))
        .stderr(predicate::str::contains("already exists"));
    assert!(d.path().join("x.kft").exists());
}

#[test]
fn an_output_that_is_the_input_is_refused() {
    let d = tempdir();
    write(d.path(), "f", b"precious\n");
    // Only exact descriptor names are written into; a path that goes through /dev/fd to
    // a file is an existing file.
    let sneaky = format!("/dev/fd/../../..{}", d.path().join("f").display());
    fails1(kraft(d.path()).args(["compress", "-o", &sneaky, "f"]))
        .stderr(predicate::str::contains("output would overwrite the input"));
    fails1(kraft(d.path()).args(["compress", "-f", "-o", &sneaky, "f"]))
        .stderr(predicate::str::contains("output would overwrite the input"));
    // Standard input is the file named by -o (with -f): refused, the file intact.
    let out = sh(d.path(), r#""$K" compress -f -o f < f"#);
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("output would overwrite the input"));
    assert_eq!(read(d.path().join("f")), b"precious\n");
    assert_no_temp_files(d.path());
}

#[test]
fn the_read_ahead_stays_within_the_memory_limit() {
    let d = tempdir();
    let start = Instant::now();
    // Under an address space of 400 MB: reading a 1 GiB block ahead would not fit.
    let out = sh(
        d.path(),
        r#"ulimit -v 400000; head -c 300000000 /dev/zero | "$K" compress --block-size 1G --memory-limit 64M -c > /dev/null"#,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("--memory-limit"),
        "{}",
        stderr_of(&out)
    );
    assert!(
        start.elapsed().as_secs_f64() < 10.0,
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn decompress_on_several_threads_writes_the_same_bytes() {
    let d = tempdir();
    let data = text(300_000, 17);
    write(d.path(), "f", &data);
    ok(kraft(d.path()).args(["compress", "-l", "1", "--block-size", "32K", "f"]));
    for t in ["1", "2", "0", "64"] {
        let out = ok(kraft(d.path()).args(["decompress", "-c", "-T", t, "f.kft"]));
        assert_eq!(out.stdout, data, "-T {t}");
        ok(kraft(d.path()).args(["test", "-q", "-T", t, "f.kft"]));
    }
}

// ---------------------------------------------------------------------------------------
// Trained priors: kraft train, -D
// ---------------------------------------------------------------------------------------

/// A directory of similar small records, and two more records of the kind.
fn record_set(dir: &Path) -> (PathBuf, Vec<u8>, Vec<u8>) {
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

#[test]
fn train_then_compress_decompress_and_test_with_the_prior() {
    let d = tempdir();
    let (samples, a, b) = record_set(d.path());
    write(d.path(), "a.json", &a);
    write(d.path(), "b.json", &b);
    let out = ok(kraft(d.path()).args(["train", "samples", "-o", "p.kfp"]));
    assert!(
        stderr_of(&out).contains("40 samples"),
        "{}",
        stderr_of(&out)
    );
    let prior = kraft::Prior::from_bytes(&read(d.path().join("p.kfp"))).unwrap();
    assert_eq!(prior.model_name(), "cm");
    assert!(stderr_of(&out).contains(&prior.id_hex()));
    drop(samples);
    // Compressing with -D: smaller than without, and the prior is needed to decode.
    let cold = compress_bytes(d.path(), &a, &[]);
    ok(kraft(d.path()).args(["compress", "-D", "p.kfp", "a.json", "b.json"]));
    let warm = read(d.path().join("a.json.kft"));
    assert!(
        warm.len() * 3 < cold.len(),
        "{} with the prior, {} without",
        warm.len(),
        cold.len()
    );
    ok(kraft(d.path()).args(["test", "-D", "p.kfp", "a.json.kft", "b.json.kft"]));
    fails1(kraft(d.path()).args(["test", "a.json.kft"])).stderr(predicate::str::contains("prior"));
    ok(kraft(d.path()).args(["decompress", "-f", "--prior", "p.kfp", "a.json.kft"]));
    assert_eq!(read(d.path().join("a.json")), a);
    let back = ok(kraft(d.path()).args(["d", "-c", "-D", "p.kfp", "b.json.kft"])).stdout;
    assert_eq!(back, b);
    // From stdin too.
    let piped = ok(kraft(d.path())
        .args(["c", "-D", "p.kfp"])
        .write_stdin(a.clone()))
    .stdout;
    let back = ok(kraft(d.path())
        .args(["d", "-D", "p.kfp"])
        .write_stdin(piped))
    .stdout;
    assert_eq!(back, a);
    // A large input with the prior is a stream that names it.
    let big = a.repeat(3000);
    write(d.path(), "big.json", &big);
    ok(kraft(d.path()).args(["c", "-D", "p.kfp", "big.json"]));
    let info = info_json(d.path(), "big.json.kft");
    assert_eq!(info[0]["prior"], prior.id_hex());
    assert_eq!(info[0]["frame"], "stream");
    fails1(kraft(d.path()).args(["d", "-c", "big.json.kft"]))
        .stderr(predicate::str::contains(prior.id_hex()));
    let info = info_json(d.path(), "a.json.kft");
    assert_eq!(info[0]["frame"], "compact");
}

#[test]
fn a_wrong_or_damaged_prior_fails_and_leaves_no_output() {
    let d = tempdir();
    let (_, a, _) = record_set(d.path());
    write(d.path(), "a.json", &a);
    ok(kraft(d.path()).args(["train", "samples", "-o", "p.kfp"]));
    write(d.path(), "other.txt", &text(5000, 3));
    ok(kraft(d.path()).args(["train", "other.txt", "-o", "q.kfp"]));
    ok(kraft(d.path()).args(["c", "-D", "p.kfp", "a.json"]));
    fs::remove_file(d.path().join("a.json")).unwrap();
    fails1(kraft(d.path()).args(["d", "-D", "q.kfp", "a.json.kft"]))
        .stderr(predicate::str::contains("another prior"));
    assert!(!d.path().join("a.json").exists(), "no partial output");
    assert_no_temp_files(d.path());
    // A damaged prior file, a truncated one, a kraft stream given as a prior.
    let mut bad = read(d.path().join("p.kfp"));
    let mid = bad.len() / 2;
    bad[mid] ^= 1;
    write(d.path(), "bad.kfp", &bad);
    write(d.path(), "short.kfp", &bad[..10]);
    for p in ["bad.kfp", "short.kfp", "a.json.kft", "missing.kfp"] {
        fails1(kraft(d.path()).args(["d", "-D", p, "a.json.kft"]))
            .stderr(predicate::str::contains(p));
        assert!(!d.path().join("a.json").exists());
    }
    fails1(kraft(d.path()).args(["d", "-D", "bad.kfp", "a.json.kft"]))
        .stderr(predicate::str::contains("bad prior"));
    assert_no_temp_files(d.path());
}

#[test]
fn train_refuses_what_it_cannot_do() {
    let d = tempdir();
    record_set(d.path());
    ok(kraft(d.path()).args(["train", "samples", "-o", "p.kfp"]));
    let before = read(d.path().join("p.kfp"));
    // An existing prior is kept unless -f.
    fails1(kraft(d.path()).args(["train", "samples", "-o", "p.kfp", "-m", "iid"]))
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(read(d.path().join("p.kfp")), before);
    ok(kraft(d.path()).args(["train", "samples", "-o", "p.kfp", "-m", "iid", "-f"]));
    assert_eq!(
        kraft::Prior::from_bytes(&read(d.path().join("p.kfp")))
            .unwrap()
            .model_name(),
        "iid"
    );
    usage_error(kraft(d.path()).args(["train", "samples", "-o", "g.kfp", "-m", "grid"]));
    usage_error(kraft(d.path()).args([
        "train", "samples", "-o", "i.kfp", "-m", "iid", "--size", "1K",
    ]));
    usage_error(kraft(d.path()).args(["train", "samples"]));
    fs::create_dir(d.path().join("empty")).unwrap();
    fails1(kraft(d.path()).args(["train", "empty", "-o", "e.kfp"]))
        .stderr(predicate::str::contains("no sample files"));
    assert!(!d.path().join("e.kfp").exists());
    // A cm prior keeps within --size; the model given must be the prior's.
    ok(kraft(d.path()).args(["train", "samples", "-o", "s.kfp", "--size", "1K"]));
    let small = kraft::Prior::from_bytes(&read(d.path().join("s.kfp"))).unwrap();
    assert!(small.body_len() <= 1024 && small.body_len() > 0);
    write(d.path(), "x.txt", b"some text");
    usage_error(kraft(d.path()).args(["c", "-D", "s.kfp", "-m", "iid", "x.txt"]));
    assert_no_temp_files(d.path());
}

#[test]
fn report_with_a_prior_shows_what_it_saved() {
    let d = tempdir();
    let (_, a, _) = record_set(d.path());
    write(d.path(), "a.json", &a);
    ok(kraft(d.path()).args(["train", "samples", "-o", "p.kfp"]));
    let r = report_json(d.path(), "a.json", &["-D", "p.kfp"]);
    let achieved = r["achieved_bits"].as_u64().unwrap();
    let cold = r["prior"]["cold_achieved_bits"].as_u64().unwrap();
    assert!(achieved * 3 < cold, "{achieved} with, {cold} without");
    assert_eq!(
        r["prior"]["saved_bits"].as_i64().unwrap(),
        cold as i64 - achieved as i64
    );
    let plain = report_json(d.path(), "a.json", &[]);
    assert_eq!(plain["achieved_bits"].as_u64().unwrap(), cold);
    let text = ok(kraft(d.path()).args(["report", "-D", "p.kfp", "a.json"]));
    assert!(stdout_of(&text).contains("saved"));
}

#[test]
fn range_reads_an_indexed_file_and_any_other_input() {
    let d = tempdir();
    let data = text(200_000, 5);
    write(d.path(), "f.txt", &data);
    ok(kraft(d.path()).args(["c", "-l", "1", "--block-size", "16K", "--index", "f.txt"]));
    ok(kraft(d.path()).args([
        "c",
        "-l",
        "1",
        "--block-size",
        "16K",
        "-o",
        "plain.kft",
        "f.txt",
    ]));
    let info = info_json(d.path(), "f.txt.kft");
    assert_eq!(info[0]["indexed"], true);
    assert_eq!(info_json(d.path(), "plain.kft")[0]["indexed"], false);
    for (start, len) in [
        (0usize, 10usize),
        (16_383, 2),
        (100_000, 50_000),
        (199_990, 100),
    ] {
        let arg = format!("{start}:{len}");
        let end = (start + len).min(data.len());
        for file in ["f.txt.kft", "plain.kft"] {
            let out = ok(kraft(d.path()).args(["d", "--range", &arg, file])).stdout;
            assert_eq!(out, &data[start..end], "{file} {arg}");
        }
        let piped = read(d.path().join("f.txt.kft"));
        let out = ok(kraft(d.path())
            .args(["d", "--range", &arg])
            .write_stdin(piped))
        .stdout;
        assert_eq!(out, &data[start..end], "stdin {arg}");
    }
    ok(kraft(d.path()).args(["d", "--range", "1K:1K", "-o", "part", "f.txt.kft"]));
    assert_eq!(read(d.path().join("part")), &data[1024..2048]);
    usage_error(kraft(d.path()).args(["d", "--range", "12", "f.txt.kft"]));
    usage_error(kraft(d.path()).args(["d", "--range", "0:1", "f.txt.kft", "plain.kft"]));
    // A damaged index is an error, never wrong bytes.
    let mut bad = read(d.path().join("f.txt.kft"));
    let n = bad.len();
    bad[n - 12] ^= 0x55;
    write(d.path(), "bad.kft", &bad);
    fails1(kraft(d.path()).args(["d", "--range", "0:10", "bad.kft"]))
        .stderr(predicate::str::contains("index"));
}
