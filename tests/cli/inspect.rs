//! kraft test, info and report: what they print, as text and JSON, and their errors.

use super::*;

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
