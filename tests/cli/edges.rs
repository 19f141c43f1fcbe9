//! Refusals, metadata, edge sizes, corpus gen and bench, the public corpora.

use super::*;

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
    let models: Vec<&str> = kraft::BUILTIN_MODELS.iter().map(|m| m.name).collect();
    for name in &listed {
        let got = rows_of(&s, name);
        assert_eq!(got.len(), models.len(), "bench lines for {name} in:\n{s}");
        for (g, m) in got.iter().zip(&models) {
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
