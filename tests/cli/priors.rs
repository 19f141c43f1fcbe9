//! Trained priors (kraft train, -D) and block ranges (--index, --range).

use super::*;

// ---------------------------------------------------------------------------------------
// Trained priors: kraft train, -D
// ---------------------------------------------------------------------------------------

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
    ok(kraft(d.path()).args(["train", "samples", "-o", "g.kfp", "-m", "grid"]));
    assert_eq!(
        kraft::Prior::from_bytes(&read(d.path().join("g.kfp")))
            .unwrap()
            .model_name(),
        "grid"
    );
    usage_error(kraft(d.path()).args(["train", "samples", "-o", "z.kfp", "-m", "zip"]));
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

#[test]
fn list_shows_every_block_and_quits_quietly_when_its_reader_goes() {
    let d = tempdir();
    let data = text(100_000, 9);
    write(d.path(), "f.txt", &data);
    ok(kraft(d.path()).args(["c", "-l", "1", "--block-size", "16K", "f.txt"]));
    let out = ok(kraft(d.path()).args(["list", "--json", "f.txt.kft"]));
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 100_000usize.div_ceil(16 << 10));
    let total: u64 = rows
        .iter()
        .map(|r| r["original_bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 100_000);
    assert_eq!(rows[1]["original_offset"], 16 << 10);
    let text_out = ok(kraft(d.path()).args(["list", "f.txt.kft"]));
    assert!(
        stdout_of(&text_out).contains("7 block(s)"),
        "{}",
        stdout_of(&text_out)
    );
    // A reader that stops early: no panic.
    let many = read(d.path().join("f.txt.kft")).repeat(200);
    write(d.path(), "many.kft", &many);
    let out = sh(
        d.path(),
        "\"$K\" list many.kft | head -1; exit ${PIPESTATUS[0]}",
    );
    assert_no_panic(&out);
    fails1(kraft(d.path()).args(["list", "f.txt"]));
}
