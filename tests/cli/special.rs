//! Inputs read once and whole; devices, FIFOs and links never replaced or removed;
//! inputs whose size is misstated.

use super::*;

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
