//! `kraft bench`: the JSON document and its totals, CSV, Markdown, the plot, the peers
//! (against running them by hand), and the failure of a round trip that differs.
//!
//! Peers: under `CI=true` the peer test fails when one is missing (CI installs them);
//! elsewhere it says which are missing and checks the others.
//!
//! One file over 600 lines because it is one concept: every test drives the one command
//! through the same helpers (a bench run, its JSON, the corpora it runs on).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

/// Every peer `kraft bench --peers` knows, with the program it runs.
const PEERS: &[(&str, &str)] = &[
    ("gzip-9", "gzip"),
    ("bzip2-9", "bzip2"),
    ("xz-9e", "xz"),
    ("zstd-19", "zstd"),
    ("zstd-22-long", "zstd"),
    ("brotli-11", "brotli"),
    ("7z-ppmd", "7z"),
    ("zpaq-m5", "zpaq"),
];

fn kraft(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("kraft").expect("the kraft binary is built");
    cmd.current_dir(dir);
    cmd
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run kraft");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(101), "kraft panicked:\n{err}");
    assert!(!err.contains("panicked at"), "{err}");
    out
}

#[track_caller]
fn ok(cmd: &mut Command) -> Output {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "expected success, got {:?}; stderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// A generated corpus of small files (`gen/`, with its manifest) and a second corpus
/// with two plain files (`plain/`), under `root/`.
fn corpora() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("root");
    ok(kraft(d.path()).args([
        "corpus",
        "gen",
        "root/gen",
        "--size",
        "6K",
        "--ising-samples",
        "0",
    ]));
    let plain = root.join("plain");
    fs::create_dir_all(&plain).unwrap();
    let text = b"It was the best of times, it was the worst of times; ".repeat(120);
    fs::write(plain.join("dickens.txt"), &text).unwrap();
    fs::write(plain.join("empty"), b"").unwrap();
    (d, root)
}

fn f64_of(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

fn u64_of(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is not an unsigned integer in {v}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn json_rows_and_totals() {
    let (d, root) = corpora();
    let out = ok(kraft(d.path()).args([
        "bench", "--json", "--models", "iid,cm", "--levels", "1,2", "--repeat", "2", "root",
    ]));
    // No progress bar or other noise when stderr is not a terminal.
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let doc = json(&out);
    // iid ignores the level: it runs once.
    let compressors: Vec<&str> = doc["compressors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(compressors, ["iid", "cm-l1", "cm-l2"]);
    assert_eq!(doc["repeat"], 2);
    assert_eq!(doc["failures"].as_array().unwrap().len(), 0);
    assert_eq!(doc["peers_missing"].as_array().unwrap().len(), 0);
    assert!(doc["kraft_version"].is_string());

    let generated: Vec<String> = fs::read_dir(root.join("gen"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "MANIFEST.tsv")
        .collect();
    let rows = doc["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3 * (generated.len() + 2));

    let mut sums: BTreeMap<(String, String), (u64, u64, u64)> = BTreeMap::new();
    for r in rows {
        let corpus = r["corpus"].as_str().unwrap();
        let file = r["file"].as_str().unwrap();
        let compressor = r["compressor"].as_str().unwrap();
        let path = PathBuf::from(r["path"].as_str().unwrap());
        let data = fs::read(d.path().join(&path)).unwrap();
        assert_eq!(path.file_name().unwrap().to_string_lossy(), file);
        assert_eq!(
            corpus,
            path.parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
        );
        assert_eq!(r["kind"], "kraft");
        assert_eq!(r["round_trip_ok"], true);
        let n = u64_of(r, "original_bytes");
        let packed = u64_of(r, "compressed_bytes");
        assert_eq!(n, data.len() as u64);
        let bpb = f64_of(r, "bits_per_byte");
        if n > 0 {
            assert!(close(bpb, 8.0 * packed as f64 / n as f64), "{r}");
            assert!(close(f64_of(r, "ratio"), n as f64 / packed as f64), "{r}");
            assert!(f64_of(r, "compress_mb_per_s") > 0.0, "{r}");
            assert!(f64_of(r, "decompress_mb_per_s") > 0.0, "{r}");
        } else {
            assert_eq!(bpb, 0.0);
        }
        assert!(f64_of(r, "compress_seconds") >= 0.0);
        assert!(f64_of(r, "decompress_seconds") >= 0.0);
        // The empirical entropies are those of the library, order 0 to 4.
        let h: Vec<f64> = r["empirical_entropy_bpb"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let want = kraft::report::empirical_entropies(&data);
        assert_eq!(h.len(), 5);
        for (a, b) in h.iter().zip(want) {
            assert!(close(*a, b), "{r}");
        }
        // The exact source entropy for generated files only, from the manifest.
        if corpus == "gen" {
            let m = kraft::corpus::lookup(&d.path().join(&path)).unwrap();
            assert!(close(
                f64_of(r, "source_entropy_bpb"),
                m.entropy_bits / n as f64
            ));
        } else {
            assert!(r["source_entropy_bpb"].is_null(), "{r}");
        }
        // Model, level, ideal code length and memory, as the library gives them.
        let model = r["model"].as_str().unwrap();
        let level = u64_of(r, "level") as u8;
        assert!(compressor == model || compressor == format!("{model}-l{level}"));
        let options = kraft::Options::new().model(model).level(level);
        let (packed_lib, stats) = kraft::compress_with_stats(&data, &options).unwrap();
        assert_eq!(packed, packed_lib.len() as u64, "{r}");
        assert!(
            close(f64_of(r, "model_ideal_bits"), stats.ideal_bits),
            "{r}"
        );
        let overhead = 8.0 * stats.payload_bytes as f64 - stats.ideal_bits;
        assert!(close(f64_of(r, "coder_overhead_bits"), overhead), "{r}");
        assert!(r["coder_overhead_percent"].is_number());
        let built = options.build_model().unwrap();
        let block = options
            .block_size_for(built.as_ref())
            .min(data.len().max(1));
        assert_eq!(u64_of(r, "model_memory_bytes"), built.memory(block) as u64);
        assert!(r["command"].as_str().unwrap().starts_with("kraft compress"));
        let s = sums.entry((corpus.into(), compressor.into())).or_default();
        *s = (s.0 + 1, s.1 + n, s.2 + packed);
    }

    // Totals: per corpus and compressor, then over both corpora (corpus null), each the
    // sum of its rows.
    let totals = doc["totals"].as_array().unwrap();
    assert_eq!(totals.len(), 3 * 3);
    for t in totals {
        let compressor = t["compressor"].as_str().unwrap();
        let (files, n, packed) = match t["corpus"].as_str() {
            Some(c) => sums[&(c.to_string(), compressor.to_string())],
            None => sums
                .iter()
                .filter(|((_, k), _)| k == compressor)
                .fold((0, 0, 0), |a, (_, s)| (a.0 + s.0, a.1 + s.1, a.2 + s.2)),
        };
        assert_eq!(u64_of(t, "files"), files, "{t}");
        assert_eq!(u64_of(t, "original_bytes"), n, "{t}");
        assert_eq!(u64_of(t, "compressed_bytes"), packed, "{t}");
        assert!(
            close(f64_of(t, "bits_per_byte"), 8.0 * packed as f64 / n as f64),
            "{t}"
        );
        // The plain corpus has no known source entropy; the generated one has.
        assert_eq!(
            t["source_entropy_bpb"].is_number(),
            t["corpus"] == "gen",
            "{t}"
        );
        assert_eq!(t["round_trip_ok"], true);
        let of = |key: &str| -> f64 {
            rows.iter()
                .filter(|r| {
                    r["compressor"] == compressor
                        && (t["corpus"].is_null() || r["corpus"] == t["corpus"])
                })
                .map(|r| f64_of(r, key))
                .sum()
        };
        assert!(close(f64_of(t, "compress_seconds"), of("compress_seconds")));
        assert!(close(f64_of(t, "model_ideal_bits"), of("model_ideal_bits")));
    }

    // The same sizes as `kraft compress` writes.
    let file = root.join("plain/dickens.txt");
    let by_hand = ok(kraft(d.path())
        .args(["compress", "-c", "--model", "cm", "-l", "2"])
        .arg(&file));
    let row = rows
        .iter()
        .find(|r| r["file"] == "dickens.txt" && r["compressor"] == "cm-l2")
        .unwrap();
    assert_eq!(u64_of(row, "compressed_bytes"), by_hand.stdout.len() as u64);
}

#[test]
fn table_csv_markdown_and_plot() {
    let (d, root) = corpora();
    let generated = root.join("gen");
    let files = fs::read_dir(&generated).unwrap().count() - 1;

    // The table: header, a line per file and compressor, then the totals.
    let out = ok(kraft(d.path()).args(["bench", "--models", "iid", "root/gen"]));
    let table = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].split_whitespace().eq([
        "corpus",
        "file",
        "compressor",
        "bytes",
        "packed",
        "bpb",
        "H0",
        "H1",
        "H2",
        "H3",
        "H4",
        "ideal",
        "source",
        "ovh%",
        "comp",
        "MB/s",
        "dec",
        "MB/s",
        "memory",
        "check"
    ]));
    assert!(lines[1..].iter().all(|l| l.ends_with(" ok")), "{table}");
    assert_eq!(lines.len(), 1 + files + 1, "{table}");
    let total: Vec<&str> = lines[files + 1].split_whitespace().collect();
    assert_eq!(
        &total[..4],
        ["gen", &*format!("({files}"), "files)", "iid"],
        "{table}"
    );

    // CSV: the documented header, then one record per file.
    let out = ok(kraft(d.path()).args(["bench", "--csv", "--models", "iid,cm", "root/gen"]));
    let csv = String::from_utf8(out.stdout).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "corpus,file,path,compressor,kind,model,level,original_bytes,compressed_bytes,\
         bits_per_byte,ratio,h0_bpb,h1_bpb,h2_bpb,h3_bpb,h4_bpb,source_entropy_bpb,\
         model_ideal_bits,coder_overhead_bits,compress_seconds,decompress_seconds,\
         compress_mb_per_s,decompress_mb_per_s,model_memory_bytes,round_trip_ok"
    );
    let records: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(records.len(), 2 * files);
    for r in &records {
        assert_eq!(r.len(), 25, "{r:?}");
        assert_eq!(r[0], "gen");
        assert!(["iid", "cm-l6"].contains(&r[3]), "{r:?}");
        let n: f64 = r[7].parse().unwrap();
        let packed: f64 = r[8].parse().unwrap();
        let bpb: f64 = r[9].parse().unwrap();
        assert!(close(bpb, 8.0 * packed / n));
        assert!(r[16].parse::<f64>().is_ok(), "source entropy known: {r:?}");
        assert_eq!(r[24], "true");
    }

    // Markdown: a size table with a column per compressor and a total line, then totals.
    let out = ok(kraft(d.path()).args(["bench", "--markdown", "--models", "iid,cm", "root"]));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("| corpus | file | bytes | iid | cm-l6 |\n|---|---|--:|--:|--:|\n"));
    assert!(md.contains("| **gen** | **total** |"), "{md}");
    assert!(md.contains("| **plain** | **total** |"), "{md}");
    assert!(
        md.contains(&format!("| all | cm-l6 | {} |", files + 2)),
        "{md}"
    );

    // The plot: an SVG naming every file and compressor, with the bounds in the legend.
    let out = ok(kraft(d.path()).args([
        "bench", "--models", "iid,cm", "--plot", "plot.svg", "--json", "root/gen",
    ]));
    let doc = json(&out);
    let svg = fs::read_to_string(d.path().join("plot.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..100.min(svg.len())]);
    assert!(svg.trim_end().ends_with("</svg>"));
    for r in doc["rows"].as_array().unwrap() {
        assert!(svg.contains(r["file"].as_str().unwrap()));
        assert!(svg.contains(r["compressor"].as_str().unwrap()));
    }
    assert!(svg.contains("H0 (empirical, order 0)"));
    assert!(svg.contains("source entropy (exact)"));
    // One mark per file and compressor (plus one per compressor in the legend).
    let circles = svg.matches("<circle").count();
    assert_eq!(circles, 2 * files + 2, "circles in the plot");
}

#[test]
fn bad_arguments_fail_cleanly() {
    let (d, _root) = corpora();
    for args in [
        &["bench", "--models", "nope", "root"][..],
        &["bench", "--peers=nope", "root"],
        &["bench", "--models", "none", "root"],
        &["bench", "no-such-dir"],
        &[
            "bench",
            "--plot",
            "no-such-dir/x.svg",
            "--models",
            "iid",
            "root/plain",
        ],
    ] {
        let out = run(kraft(d.path()).args(args));
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
    let out = run(kraft(d.path()).args(["bench", "--levels", "0", "root"]));
    assert_eq!(out.status.code(), Some(2), "a usage error");
}

/// A directory holding fake peers: `gzip` gives back one byte too many, `xz` fails.
fn broken_peers(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("fakebin");
    fs::create_dir_all(&bin).unwrap();
    let scripts = [
        (
            "gzip",
            "#!/bin/sh\n# -9 -c FILE: store; -d -c FILE: give it back with a byte more\n\
             if [ \"$1\" = -d ]; then cat \"$3\"; printf x; else cat \"$3\"; fi\n",
        ),
        ("xz", "#!/bin/sh\necho 'xz: out of luck' >&2\nexit 3\n"),
    ];
    for (name, body) in scripts {
        let p = bin.join(name);
        fs::write(&p, body).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

#[test]
fn a_round_trip_that_differs_fails_the_bench() {
    let (d, _root) = corpora();
    let bin = broken_peers(d.path());
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = run(kraft(d.path()).env("PATH", &path).args([
        "bench",
        "--json",
        "--models",
        "iid",
        "--peers=gzip,xz",
        "root/plain",
    ]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("dickens.txt: round trip with gzip-9 does not reproduce the input"),
        "{err}"
    );
    assert!(
        err.contains("xz-9e") && err.contains("out of luck"),
        "{err}"
    );
    // The document is still complete, and says what failed.
    let doc = json(&out);
    let rows = doc["rows"].as_array().unwrap();
    let gzip: Vec<&Value> = rows
        .iter()
        .filter(|r| r["compressor"] == "gzip-9")
        .collect();
    assert_eq!(gzip.len(), 2);
    // The empty file comes back as one byte too: every gzip round trip failed.
    assert!(gzip.iter().all(|r| r["round_trip_ok"] == false), "{gzip:?}");
    assert!(
        rows.iter()
            .filter(|r| r["compressor"] == "iid")
            .all(|r| r["round_trip_ok"] == true)
    );
    assert!(rows.iter().all(|r| r["compressor"] != "xz-9e"));
    assert_eq!(doc["failures"].as_array().unwrap().len(), 4, "{doc}");
    // The same run with iid alone passes: the failure is gzip's.
    ok(kraft(d.path())
        .env("PATH", &path)
        .args(["bench", "--models", "iid", "root/plain"]));
}

#[test]
fn missing_peers_are_named_and_skipped() {
    let (d, _root) = corpora();
    let empty = d.path().join("emptybin");
    fs::create_dir_all(&empty).unwrap();
    let out = ok(kraft(d.path()).env("PATH", &empty).args([
        "bench",
        "--json",
        "--models",
        "iid",
        "--peers",
        "root/plain",
    ]));
    let err = String::from_utf8_lossy(&out.stderr);
    let doc = json(&out);
    let missing: Vec<&str> = doc["peers_missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let all: Vec<&str> = PEERS.iter().map(|p| p.0).collect();
    assert_eq!(missing, all);
    for p in all {
        assert!(err.contains(&format!("peer {p} not found")), "{err}");
    }
    assert_eq!(doc["rows"].as_array().unwrap().len(), 2);
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

/// The size of what a peer writes when run by hand as BENCHMARKS.md says, in `dir`
/// holding `name`.
fn by_hand(dir: &Path, peer: &str, name: &str) -> u64 {
    let stdout = |program: &str, args: &[&str]| -> u64 {
        let out = std::process::Command::new(program)
            .args(args)
            .arg(name)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{program} {args:?}");
        out.stdout.len() as u64
    };
    let archive = |program: &str, args: &[&str], arc: &str| -> u64 {
        let _ = fs::remove_file(dir.join(arc));
        let out = std::process::Command::new(program)
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{program} {args:?}");
        fs::metadata(dir.join(arc)).unwrap().len()
    };
    match peer {
        "gzip-9" => stdout("gzip", &["-9", "-c"]),
        "bzip2-9" => stdout("bzip2", &["-9", "-c"]),
        "xz-9e" => stdout("xz", &["-9e", "-c"]),
        "zstd-19" => stdout("zstd", &["-19", "-c"]),
        "zstd-22-long" => stdout("zstd", &["--ultra", "-22", "--long=27", "-c"]),
        "brotli-11" => stdout("brotli", &["-q", "11", "-w", "24", "-c"]),
        "7z-ppmd" => archive(
            "7z",
            &["a", "-t7z", "-m0=PPMd", "-mx=9", "hand.7z", name],
            "hand.7z",
        ),
        "zpaq-m5" => archive("zpaq", &["a", "hand.zpaq", name, "-m5"], "hand.zpaq"),
        other => panic!("no hand command for {other}"),
    }
}

#[test]
fn peers_agree_with_running_them_by_hand() {
    let missing: Vec<&str> = PEERS
        .iter()
        .filter(|p| !on_path(p.1))
        .map(|p| p.1)
        .collect();
    if !missing.is_empty() {
        let msg = format!("peers not on PATH: {}", missing.join(" "));
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg} (CI installs them: see .ci/run)");
        }
        eprintln!("{msg}: checking the others only");
    }
    let (d, root) = corpora();
    let out = ok(kraft(d.path()).args([
        "bench",
        "--json",
        "--models",
        "iid",
        "--peers",
        "root/gen/text-like.txt",
    ]));
    let doc = json(&out);
    let rows = doc["rows"].as_array().unwrap();
    let hand_dir = d.path().join("hand");
    fs::create_dir_all(&hand_dir).unwrap();
    fs::copy(
        root.join("gen/text-like.txt"),
        hand_dir.join("text-like.txt"),
    )
    .unwrap();
    let mut checked = 0;
    for (peer, program) in PEERS {
        let row = rows.iter().find(|r| r["compressor"] == *peer);
        if missing.contains(program) {
            assert!(row.is_none());
            continue;
        }
        let row = row.unwrap_or_else(|| panic!("no row for {peer} in {doc}"));
        assert_eq!(row["kind"], "peer");
        assert_eq!(row["round_trip_ok"], true);
        assert!(row["model"].is_null() && row["model_ideal_bits"].is_null());
        assert!(row["command"].as_str().unwrap().starts_with(program));
        // Sizes as by hand: exact for the stream formats; archives store the file's
        // time, which changes nothing in their length.
        assert_eq!(
            u64_of(row, "compressed_bytes"),
            by_hand(&hand_dir, peer, "text-like.txt"),
            "{peer}"
        );
        assert!(f64_of(row, "compress_mb_per_s") > 0.0);
        checked += 1;
    }
    if missing.is_empty() {
        assert_eq!(checked, PEERS.len());
    }
    // The iid row is there too, and the source entropy is known for every row.
    assert!(rows.iter().any(|r| r["compressor"] == "iid"));
    assert!(rows.iter().all(|r| r["source_entropy_bpb"].is_number()));
}

#[test]
fn saved_results_are_shown_again_without_running() {
    let (d, _root) = corpora();
    let out = ok(kraft(d.path()).args(["bench", "--json", "--models", "iid,cm", "root"]));
    fs::write(d.path().join("saved.json"), &out.stdout).unwrap();
    let saved = json(&out);

    // The same document back, and the same sizes in the Markdown as a fresh run gives
    // (the speeds differ from run to run; the sizes do not).
    let again = json(&ok(kraft(d.path()).args([
        "bench",
        "--from",
        "saved.json",
        "--json",
    ])));
    assert_eq!(again, saved);
    let sizes = |md: &[u8]| -> String {
        let md = String::from_utf8(md.to_vec()).unwrap();
        md.split("\n\n").next().unwrap().to_string()
    };
    let shown = ok(kraft(d.path()).args(["bench", "--from", "saved.json", "--markdown"]));
    let fresh = ok(kraft(d.path()).args(["bench", "--markdown", "--models", "iid,cm", "root"]));
    assert_eq!(sizes(&shown.stdout), sizes(&fresh.stdout));
    assert!(sizes(&shown.stdout).contains("| **plain** | **total** |"));
    // A plot from saved results.
    ok(kraft(d.path()).args(["bench", "--from", "saved.json", "--plot", "p.svg"]));
    assert!(
        fs::read_to_string(d.path().join("p.svg"))
            .unwrap()
            .contains("cm-l6")
    );

    // Not a saved document, or a missing one: exit 1 with a message; with files to run:
    // a usage error.
    fs::write(d.path().join("bad.json"), b"{\"rows\": 3}").unwrap();
    for f in ["bad.json", "missing.json"] {
        let out = run(kraft(d.path()).args(["bench", "--from", f]));
        assert_eq!(out.status.code(), Some(1), "{f}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(f));
    }
    let out = run(kraft(d.path()).args(["bench", "--from", "saved.json", "root"]));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn unreadable_files_fail_and_the_others_run() {
    let (d, root) = corpora();
    let plain = root.join("plain");
    // A link that loops back is not followed; a dangling one cannot be read.
    std::os::unix::fs::symlink("..", plain.join("loop")).unwrap();
    std::os::unix::fs::symlink("nowhere", plain.join("dangling")).unwrap();
    let out = run(kraft(d.path()).args(["bench", "--json", "--models", "iid", "root/plain"]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("dangling"), "{err}");
    let doc = json(&out);
    let files: Vec<&str> = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["dickens.txt", "empty"]);
    let failures = doc["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1);
    assert!(failures[0].as_str().unwrap().contains("dangling"));
}
