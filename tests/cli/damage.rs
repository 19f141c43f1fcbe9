//! Damaged and truncated input on the command line: every flip and cut detected, no
//! panic, only checked data written.

use super::*;

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
