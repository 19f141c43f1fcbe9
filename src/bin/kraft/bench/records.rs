//! `kraft bench --records`: sets of small records, each a directory with `train/` and
//! `test/`. kraft trains a prior on `train/` and compresses every file of `test/` on
//! its own, cold and with the prior (each checked by decoding it); the peers do the
//! same with what they offer: zstd -19 alone and with a dictionary trained on the same
//! split (`zstd --train`), brotli -q 11, xz -9e.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Failed, fail};

/// What `--records` runs.
pub(crate) struct Settings {
    pub level: u8,
    pub size: usize,
    pub peers: bool,
}

/// One compressor's sums over a set's test files.
struct Line {
    name: String,
    bytes: u64,
    /// The prior's or dictionary's size, if one is used.
    model_bytes: Option<u64>,
}

pub(crate) fn run(dirs: &[PathBuf], s: &Settings) -> Result<(), Failed> {
    if dirs.is_empty() {
        return Err(fail(
            "--records needs directories that hold train/ and test/",
        ));
    }
    let mut ok = true;
    let mut timing = Vec::new();
    for dir in dirs {
        if !dir.join("train").is_dir() || !dir.join("test").is_dir() {
            eprintln!(
                "kraft: {}: not a record set (no train/ and test/) -- skipped",
                dir.display()
            );
            continue;
        }
        match set(dir, s) {
            Ok((lines, t)) => {
                print_set(dir, &lines);
                timing.push((dir.clone(), t));
            }
            Err(e) => {
                ok = false;
                let _ = fail(format!("{}: {e}", dir.display()));
            }
        }
    }
    if !timing.is_empty() {
        println!(
            "\n### Speed with the prior (level {}, one thread)\n",
            s.level
        );
        println!(
            "| set | records | mean record | train | load (learn the prior) | compress records/s | MB/s | decompress records/s | MB/s | reset + framing vs coding |"
        );
        println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        for (dir, t) in &timing {
            let mb = t.bytes as f64 / 1e6;
            println!(
                "| {} | {} | {} B | {:.2} s | {:.2} s | {:.0} | {:.2} | {:.0} | {:.2} | {:+.1}% |",
                name(dir),
                t.records,
                t.bytes / t.records.max(1) as u64,
                t.train.as_secs_f64(),
                t.load.as_secs_f64(),
                t.records as f64 / t.compress.as_secs_f64(),
                mb / t.compress.as_secs_f64(),
                t.records as f64 / t.decompress.as_secs_f64(),
                mb / t.decompress.as_secs_f64(),
                100.0 * (t.compress.as_secs_f64() / t.joined.as_secs_f64() - 1.0),
            );
        }
        println!(
            "\nreset + framing: compressing the records one by one against compressing them \
             joined into one input with the same prior (the cost of putting the model back \
             and framing each record); compress records/s and both of these are medians of \
             {ROUNDS} rounds, taken in turn."
        );
    }
    if ok { Ok(()) } else { Err(Failed) }
}

fn name(dir: &Path) -> String {
    dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Rounds of compressing the records one by one and joined, whose medians the speed
/// table gives: one round of each swings by tens of percent on a shared machine.
const ROUNDS: usize = 3;

/// The median of `times`.
fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Times with the prior.
struct Timing {
    records: usize,
    bytes: u64,
    train: Duration,
    load: Duration,
    compress: Duration,
    decompress: Duration,
    joined: Duration,
}

fn files(dir: &Path) -> Result<Vec<(PathBuf, Vec<u8>)>, String> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .and_then(|d| d.map(|e| e.map(|e| e.path())).collect())
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    names.retain(|p| p.is_file());
    names.sort();
    names
        .into_iter()
        .map(|p| {
            let data = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            Ok((p, data))
        })
        .collect()
}

fn set(dir: &Path, s: &Settings) -> Result<(Vec<Line>, Timing), String> {
    let train_dir = dir.join("train");
    let train = files(&train_dir)?;
    let test = files(&dir.join("test"))?;
    if train.is_empty() || test.is_empty() {
        return Err("train/ and test/ must hold files".into());
    }
    let raw: u64 = test.iter().map(|(_, d)| d.len() as u64).sum();
    let mut lines = vec![Line {
        name: "raw".into(),
        bytes: raw,
        model_bytes: None,
    }];
    let cold = kraft::Options::new().level(s.level);
    let mut cold_total = 0;
    for (p, r) in &test {
        let packed = kraft::compress(r, &cold).map_err(|e| format!("{}: {e}", p.display()))?;
        check(&packed, r, None, p)?;
        cold_total += packed.len() as u64;
    }
    lines.push(Line {
        name: format!("kraft -l{}", s.level),
        bytes: cold_total,
        model_bytes: None,
    });

    let samples: Vec<&[u8]> = train.iter().map(|(_, d)| &d[..]).collect();
    let t = Instant::now();
    let prior = kraft::Prior::train_within(&samples, &cold, s.size).map_err(|e| e.to_string())?;
    let prior_bytes = prior.to_bytes().len() as u64;
    let train_time = t.elapsed();
    // Loading: a prior read from its bytes, then learned by the first record's model.
    let t = Instant::now();
    let prior = kraft::Prior::from_bytes(&prior.to_bytes()).map_err(|e| e.to_string())?;
    let with = cold.clone().prior(&prior);
    drop(kraft::compress(&test[0].1, &with).map_err(|e| e.to_string())?);
    let load = t.elapsed();
    // The records one by one, then the same bytes as one input coded against the same
    // prior in blocks of 64 KiB (the coding work with a reset and a frame per 64 KiB
    // rather than per record), in turn for ROUNDS rounds: the medians compare.
    let joined: Vec<u8> = test.iter().flat_map(|(_, d)| d.iter().copied()).collect();
    let blocks = with.clone().compact(false).block_size(64 << 10);
    let mut total = 0;
    let mut packed_all = Vec::with_capacity(test.len());
    let (mut each, mut whole) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let t = Instant::now();
        for (p, r) in &test {
            let packed = kraft::compress(r, &with).map_err(|e| format!("{}: {e}", p.display()))?;
            if round == 0 {
                total += packed.len() as u64;
                packed_all.push(packed);
            }
        }
        each.push(t.elapsed());
        let t = Instant::now();
        drop(kraft::compress(&joined, &blocks).map_err(|e| e.to_string())?);
        whole.push(t.elapsed());
    }
    let (compress, joined_time) = (median(&mut each), median(&mut whole));
    let t = Instant::now();
    for ((p, r), packed) in test.iter().zip(&packed_all) {
        check(packed, r, Some(&prior), p)?;
    }
    let decompress = t.elapsed();
    lines.push(Line {
        name: format!("kraft -l{} -D (prior {} B)", s.level, prior.body_len()),
        bytes: total,
        model_bytes: Some(prior_bytes),
    });
    if s.peers {
        peers(&train_dir, &test, &mut lines)?;
    }
    Ok((
        lines,
        Timing {
            records: test.len(),
            bytes: raw,
            train: train_time,
            load,
            compress,
            decompress,
            joined: joined_time,
        },
    ))
}

/// Decode `packed` (with `prior`) and compare.
fn check(packed: &[u8], r: &[u8], prior: Option<&kraft::Prior>, p: &Path) -> Result<(), String> {
    let mut dec = kraft::Decoder::new(packed);
    if let Some(prior) = prior {
        dec = dec.prior(prior);
    }
    let mut out = Vec::new();
    dec.read_all(&mut out)
        .map_err(|e| format!("{}: decoding: {e}", p.display()))?;
    if out != r {
        return Err(format!("{}: round trip differs", p.display()));
    }
    Ok(())
}

/// The peers on PATH, each test file compressed on its own.
fn peers(train: &Path, test: &[(PathBuf, Vec<u8>)], lines: &mut Vec<Line>) -> Result<(), String> {
    let on_path = |p: &str| {
        Command::new(p)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    let run = |program: &str, args: &[&str], input: &[u8]| -> Result<Vec<u8>, String> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{program}: {e}"))?;
        let mut stdin = child.stdin.take().expect("piped");
        let data = input.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&data));
        let out = child
            .wait_with_output()
            .map_err(|e| format!("{program}: {e}"))?;
        writer
            .join()
            .expect("writer")
            .map_err(|e| format!("{program}: {e}"))?;
        if !out.status.success() {
            return Err(format!("{program} {}: failed", args.join(" ")));
        }
        Ok(out.stdout)
    };
    let sum = |program: &str, args: &[&str]| -> Result<u64, String> {
        let mut total = 0;
        for (_, r) in test {
            total += run(program, args, r)?.len() as u64;
        }
        Ok(total)
    };
    if on_path("zstd") {
        lines.push(Line {
            name: "zstd -19".into(),
            bytes: sum("zstd", &["-q", "-19", "-c"])?,
            model_bytes: None,
        });
        let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
        let dict = tmp.path().join("dict");
        let mut names: Vec<PathBuf> = std::fs::read_dir(train)
            .and_then(|d| d.map(|e| e.map(|e| e.path())).collect())
            .map_err(|e| e.to_string())?;
        names.retain(|p| p.is_file());
        names.sort();
        let status = Command::new("zstd")
            .arg("-q")
            .arg("--train")
            .args(&names)
            .arg("-o")
            .arg(&dict)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("zstd --train: {e}"))?;
        if status.success() {
            let d = dict.to_string_lossy().into_owned();
            let dict_bytes = std::fs::metadata(&dict).map_err(|e| e.to_string())?.len();
            lines.push(Line {
                name: "zstd -19 -D (zstd --train)".into(),
                bytes: sum("zstd", &["-q", "-19", "-c", "-D", &d])?,
                model_bytes: Some(dict_bytes),
            });
        }
    }
    if on_path("brotli") {
        lines.push(Line {
            name: "brotli -q 11".into(),
            bytes: sum("brotli", &["-q", "11", "-c"])?,
            model_bytes: None,
        });
    }
    if on_path("xz") {
        lines.push(Line {
            name: "xz -9e".into(),
            bytes: sum("xz", &["-9e", "-T1", "-c"])?,
            model_bytes: None,
        });
    }
    Ok(())
}

fn print_set(dir: &Path, lines: &[Line]) {
    let dict = lines
        .iter()
        .find(|l| l.name.starts_with("zstd -19 -D"))
        .map(|l| l.bytes);
    println!("\n### {} ({})\n", name(dir), dir.display());
    println!("| compressor | Σ test files | × zstd -19 -D | prior or dictionary | Σ + prior |");
    println!("|---|--:|--:|--:|--:|");
    for l in lines {
        let vs = dict.map_or("–".to_string(), |d| {
            format!("{:.3}", l.bytes as f64 / d as f64)
        });
        let (m, all) = match l.model_bytes {
            Some(m) => (m.to_string(), (l.bytes + m).to_string()),
            None => ("–".into(), l.bytes.to_string()),
        };
        println!("| {} | {} | {vs} | {m} | {all} |", l.name, l.bytes);
    }
}
