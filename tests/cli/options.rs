//! -q and -v, and the model options: model, level, block size, threads.

use super::*;

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
