//! --memory-limit, a full disk, and other limits and refusals of the command.

use super::*;

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
