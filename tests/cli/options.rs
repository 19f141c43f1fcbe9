//! -q and -v, the model options, and test, info and report.

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

// ---------------------------------------------------------------------------------------
// test, info, report
// ---------------------------------------------------------------------------------------

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
