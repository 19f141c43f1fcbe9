//! Files, standard streams, -o, -f, --rm and -k.

use super::*;

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
