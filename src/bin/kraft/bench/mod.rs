//! `kraft bench`: compress, decompress and verify files with kraft's models and with the
//! peers found on PATH; achieved bits against the entropy bounds, as an aligned table,
//! JSON, CSV, Markdown, and an SVG plot.
//!
//! Every compressor runs over every file: compress (timed), decompress (timed), compare
//! with the original byte for byte. A round trip that differs, or a peer that fails, is
//! reported and makes the command exit 1 once every row is printed.

mod jobs;
mod output;
mod peers;
mod plot;
mod records;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Failed, fail};
use jobs::{Job, collect, dir_name, display_name};

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Files or directories (recursively); none: the generated corpora, in a temporary directory.
    paths: Vec<PathBuf>,
    /// kraft models to run, comma-separated [default: every built-in model]; `none`: peers only.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    models: Option<Vec<String>>,
    /// Levels to run each model at, comma-separated [default: 6]; a model that ignores the
    /// level runs once.
    #[arg(short = 'l', long = "levels", visible_alias = "level", value_delimiter = ',',
          value_name = "LEVELS", value_parser = clap::value_parser!(u8).range(1..=9))]
    levels: Option<Vec<u8>>,
    /// Timed runs of each compression and decompression; the median is reported.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    repeat: u32,
    /// Also run the peers found on PATH: all of them, or those named (--peers=xz-9e,zstd):
    /// gzip-9, bzip2-9, xz-9e, zstd-19, zstd-22-long, brotli-11, 7z-ppmd, zpaq-m5.
    #[arg(long, value_name = "NAMES", num_args = 0..=1, require_equals = true,
          value_delimiter = ',', default_missing_value = "all")]
    peers: Option<Vec<String>>,
    /// One JSON document on stdout: rows and totals (fields in BENCHMARKS.md).
    #[arg(long, group = "format")]
    json: bool,
    /// CSV on stdout: a header line, then one line per file and compressor.
    #[arg(long, group = "format")]
    csv: bool,
    /// Markdown tables on stdout: compressed bytes per file and compressor, and totals.
    #[arg(long, group = "format")]
    markdown: bool,
    /// Run nothing: read the results from a document written by --json, and print
    /// them (table, --csv, --markdown) or plot them.
    #[arg(long, value_name = "FILE.json", conflicts_with_all = ["paths", "models", "levels", "peers"])]
    from: Option<PathBuf>,
    /// Also write an SVG plot: bits per byte per file and compressor, with H0 and the
    /// source entropy where known.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
    /// Small records: each PATH is a directory with train/ and test/; train a cm prior
    /// on train/ and compress each test file on its own, cold and with the prior (and
    /// with --peers: zstd -19 alone and with a dictionary from zstd --train, brotli,
    /// xz). Markdown tables, with speed.
    #[arg(long, conflicts_with_all = ["from", "models", "json", "csv", "plot"])]
    records: bool,
    /// --records: keep the prior's samples within SIZE (default 256K).
    #[arg(long, value_name = "SIZE", value_parser = crate::parse_size, requires = "records")]
    prior_size: Option<usize>,
}

/// One compressor at its settings.
#[derive(Clone, Debug)]
pub(crate) enum Compressor {
    /// A kraft model at a level.
    Kraft {
        model: String,
        level: u8,
        label: String,
    },
    /// An external program.
    Peer(&'static peers::Peer),
}

impl Compressor {
    pub(crate) fn label(&self) -> &str {
        match self {
            Compressor::Kraft { label, .. } => label,
            Compressor::Peer(p) => p.name,
        }
    }
}

/// One file through one compressor. Serialized as an element of `rows` in `--json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Row {
    /// The directory the file was found in, relative to the PATH given.
    pub corpus: String,
    /// The file's path inside its corpus.
    pub file: String,
    /// The file's path as found.
    pub path: String,
    /// Label: `cm-l6`, `iid`, `xz-9e`, …
    pub compressor: String,
    /// `kraft` or `peer`.
    pub kind: String,
    /// kraft's model (null for peers).
    pub model: Option<String>,
    /// kraft's level (null for peers).
    pub level: Option<u8>,
    /// The equivalent command line.
    pub command: String,
    pub original_bytes: u64,
    pub compressed_bytes: u64,
    pub bits_per_byte: f64,
    pub ratio: f64,
    /// Empirical order-0..4 entropies of the file, bits per byte.
    pub empirical_entropy_bpb: [f64; 5],
    /// The generator's exact entropy, bits per byte, when the file is a generated one.
    pub source_entropy_bpb: Option<f64>,
    /// kraft: the model's ideal code length Σ −log2 q, bits.
    pub model_ideal_bits: Option<f64>,
    /// kraft: payload bits − ideal bits.
    pub coder_overhead_bits: Option<f64>,
    /// kraft: coder overhead as a percentage of the ideal.
    pub coder_overhead_percent: Option<f64>,
    /// Median wall seconds of one compression.
    pub compress_seconds: f64,
    /// Median wall seconds of one decompression.
    pub decompress_seconds: f64,
    /// original bytes / 10^6 / compress_seconds.
    pub compress_mb_per_s: f64,
    /// original bytes / 10^6 / decompress_seconds.
    pub decompress_mb_per_s: f64,
    /// kraft: the model's working memory for this file's block, bytes.
    pub model_memory_bytes: Option<u64>,
    /// Whether decompression gave back the original exactly.
    pub round_trip_ok: bool,
}

/// The files of one corpus through one compressor. An element of `totals` in `--json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Total {
    /// The corpus, or null for all corpora together.
    pub corpus: Option<String>,
    pub compressor: String,
    pub kind: String,
    pub model: Option<String>,
    pub level: Option<u8>,
    pub files: u64,
    pub original_bytes: u64,
    pub compressed_bytes: u64,
    pub bits_per_byte: f64,
    /// Σ H0·N / Σ N over the files.
    pub h0_bpb: f64,
    /// Σ source entropy / Σ N, when every file's is known.
    pub source_entropy_bpb: Option<f64>,
    /// Σ ideal bits (kraft).
    pub model_ideal_bits: Option<f64>,
    pub compress_seconds: f64,
    pub decompress_seconds: f64,
    pub compress_mb_per_s: f64,
    pub decompress_mb_per_s: f64,
    pub round_trip_ok: bool,
}

/// The whole `--json` document.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Document {
    pub kraft_version: String,
    pub repeat: u32,
    pub compressors: Vec<String>,
    pub peers_missing: Vec<String>,
    pub rows: Vec<Row>,
    pub totals: Vec<Total>,
    pub failures: Vec<String>,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() { 0.0 } else { v[v.len() / 2] }
}

fn mb_per_s(bytes: u64, seconds: f64) -> f64 {
    if bytes == 0 {
        0.0
    } else {
        bytes as f64 / 1e6 / seconds.max(1e-9)
    }
}

/// The kraft compressors asked for: every model at every level, except that a model
/// whose settings do not depend on the level runs once.
fn kraft_compressors(a: &BenchArgs) -> Result<Vec<Compressor>, Failed> {
    let models: Vec<String> = match &a.models {
        None => kraft::BUILTIN_MODELS
            .iter()
            .map(|m| m.name.to_string())
            .collect(),
        Some(m) if m.len() == 1 && m[0] == "none" => Vec::new(),
        Some(m) => {
            let mut once: Vec<String> = Vec::new();
            for name in m {
                if !once.contains(name) {
                    once.push(name.clone());
                }
            }
            once
        }
    };
    let levels = a.levels.clone().unwrap_or(vec![kraft::DEFAULT_LEVEL]);
    let mut out = Vec::new();
    for name in &models {
        let ignores_level = model_ignores_level(name);
        let mut seen: Vec<Vec<u8>> = Vec::new();
        for &level in &levels {
            let model = kraft::Options::new()
                .model(name)
                .level(level)
                .build_model()
                .map_err(|e| {
                    fail(format!(
                        "{e} (models: {}, or `none`)",
                        kraft::BUILTIN_MODELS
                            .iter()
                            .map(|m| m.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?;
            // Levels that build the same model run once.
            let settings = model.settings();
            if seen.contains(&settings) {
                continue;
            }
            seen.push(settings);
            let label = if ignores_level {
                name.clone()
            } else {
                format!("{name}-l{level}")
            };
            out.push(Compressor::Kraft {
                model: name.clone(),
                level,
                label,
            });
        }
    }
    Ok(out)
}

/// Whether `name`'s settings are the same at levels 1 and 9.
fn model_ignores_level(name: &str) -> bool {
    let s = |l| {
        kraft::Options::new()
            .model(name)
            .level(l)
            .build_model()
            .map(|m| m.settings())
            .ok()
    };
    s(1) == s(9)
}

pub fn run(a: &BenchArgs) -> Result<(), Failed> {
    if a.records {
        let settings = records::Settings {
            level: a
                .levels
                .as_ref()
                .and_then(|l| l.first().copied())
                .unwrap_or(kraft::DEFAULT_LEVEL),
            size: a.prior_size.unwrap_or(kraft::DEFAULT_PRIOR_SIZE),
            peers: a.peers.is_some(),
        };
        return records::run(&a.paths, &settings);
    }
    if let Some(from) = &a.from {
        let text =
            std::fs::read_to_string(from).map_err(|e| fail(format!("{}: {e}", from.display())))?;
        let doc: Document = serde_json::from_str(&text).map_err(|e| {
            fail(format!(
                "{}: not a document written by kraft bench --json: {e}",
                from.display()
            ))
        })?;
        return show(a, &doc);
    }
    let mut compressors = kraft_compressors(a)?;
    let mut peers_missing = Vec::new();
    if let Some(names) = &a.peers {
        let (found, missing) = peers::select(names).map_err(fail)?;
        for m in &missing {
            eprintln!("kraft: peer {m} not found on PATH: skipped");
        }
        peers_missing = missing;
        compressors.extend(found.into_iter().map(Compressor::Peer));
    }
    if compressors.is_empty() {
        return Err(fail("nothing to run (no models and no peers)"));
    }

    let tmp;
    let mut jobs = Vec::new();
    if a.paths.is_empty() {
        tmp = tempfile::tempdir().map_err(|e| fail(format!("temporary directory: {e}")))?;
        kraft::corpus::write_suite(
            tmp.path(),
            kraft::corpus::DEFAULT_SEED,
            kraft::corpus::DEFAULT_SIZE,
        )
        .map_err(|e| fail(format!("generating corpora: {e}")))?;
        collect(tmp.path(), tmp.path(), &mut jobs)
            .map_err(|e| fail(format!("generated corpora: {e}")))?;
        for j in &mut jobs {
            j.corpus = "generated".to_string();
        }
    } else {
        for r in &a.paths {
            let meta = std::fs::metadata(r).map_err(|e| fail(format!("{}: {e}", r.display())))?;
            if meta.is_dir() {
                collect(r, r, &mut jobs).map_err(|e| fail(format!("{}: {e}", r.display())))?;
            } else {
                let corpus = r
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map(dir_name)
                    .unwrap_or_else(|| dir_name(Path::new(".")));
                jobs.push(Job {
                    path: r.clone(),
                    corpus,
                    file: display_name(r),
                });
            }
        }
    }
    if jobs.is_empty() {
        return Err(fail("no files to benchmark"));
    }

    let mut sizes = Vec::with_capacity(jobs.len());
    for j in &jobs {
        // Unreadable files are reported when their turn comes.
        sizes.push(std::fs::metadata(&j.path).map_or(0, |m| m.len()));
    }
    let work: u64 = sizes
        .iter()
        .map(|&s| (s + 1) * compressors.len() as u64)
        .sum();
    let bar = if std::io::stderr().is_terminal() {
        let b = ProgressBar::with_draw_target(Some(work), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template(
                "{elapsed_precise} [{wide_bar}] {percent:>3}% eta {eta} {msg}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        b.enable_steady_tick(Duration::from_millis(200));
        b
    } else {
        ProgressBar::hidden()
    };

    let mut rows = Vec::new();
    let mut failures = Vec::new();
    let repeat = a.repeat as usize;
    for (job, &size) in jobs.iter().zip(&sizes) {
        // A file that cannot be read is a failure, and the others still run.
        let data = match std::fs::read(&job.path) {
            Ok(d) => d,
            Err(e) => {
                let msg = format!("{}: {e}", job.path.display());
                bar.suspend(|| eprintln!("kraft: {msg}"));
                failures.push(msg);
                bar.inc((size + 1) * compressors.len() as u64);
                continue;
            }
        };
        let h = kraft::report::empirical_entropies(&data);
        let source = kraft::corpus::lookup(&job.path)
            .filter(|m| m.bytes == data.len() as u64 && m.sha256 == hex(&Sha256::digest(&data)))
            .map(|m| m.entropy_bits / data.len().max(1) as f64);
        for c in &compressors {
            bar.set_message(format!("{}/{} {}", job.corpus, job.file, c.label()));
            let base = Row {
                corpus: job.corpus.clone(),
                file: job.file.clone(),
                path: job.path.display().to_string(),
                compressor: c.label().to_string(),
                kind: "kraft".into(),
                model: None,
                level: None,
                command: String::new(),
                original_bytes: data.len() as u64,
                compressed_bytes: 0,
                bits_per_byte: 0.0,
                ratio: 0.0,
                empirical_entropy_bpb: h,
                source_entropy_bpb: source,
                model_ideal_bits: None,
                coder_overhead_bits: None,
                coder_overhead_percent: None,
                compress_seconds: 0.0,
                decompress_seconds: 0.0,
                compress_mb_per_s: 0.0,
                decompress_mb_per_s: 0.0,
                model_memory_bytes: None,
                round_trip_ok: true,
            };
            let row = match c {
                Compressor::Kraft { model, level, .. } => {
                    run_kraft(base, &data, model, *level, repeat)
                }
                Compressor::Peer(p) => run_peer(base, &data, p, repeat),
            };
            match row {
                Ok(row) => {
                    if !row.round_trip_ok {
                        let msg = format!(
                            "{}: round trip with {} does not reproduce the input",
                            job.path.display(),
                            c.label()
                        );
                        bar.suspend(|| eprintln!("kraft: {msg}"));
                        failures.push(msg);
                    }
                    rows.push(row);
                }
                Err(e) => {
                    let msg = format!("{}: {}: {e}", job.path.display(), c.label());
                    bar.suspend(|| eprintln!("kraft: {msg}"));
                    failures.push(msg);
                }
            }
            bar.inc(size + 1);
        }
    }
    bar.finish_and_clear();

    let totals = output::totals(&rows);
    let doc = Document {
        kraft_version: env!("CARGO_PKG_VERSION").into(),
        repeat: a.repeat,
        compressors: compressors.iter().map(|c| c.label().to_string()).collect(),
        peers_missing,
        rows,
        totals,
        failures,
    };
    show(a, &doc)
}

/// Print the results in the format asked for, write the plot, and fail if anything did.
fn show(a: &BenchArgs, doc: &Document) -> Result<(), Failed> {
    let printed = if a.json {
        output::json(doc)
    } else if a.csv {
        output::csv(&doc.rows)
    } else if a.markdown {
        Ok(output::markdown(doc))
    } else {
        Ok(output::table(doc))
    };
    let printed = printed.map_err(fail)?;
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(printed.as_bytes()).and_then(|_| out.flush()) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                return Err(fail(format!("stdout: {e}")));
            }
        }
    }
    if let Some(svg) = &a.plot {
        plot::write(svg, doc).map_err(|e| fail(format!("{}: {e}", svg.display())))?;
    }
    if !doc.failures.is_empty() {
        return Err(fail(format!("{} run(s) failed", doc.failures.len())));
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn run_kraft(
    mut row: Row,
    data: &[u8],
    model: &str,
    level: u8,
    repeat: usize,
) -> Result<Row, String> {
    let options = kraft::Options::new().model(model).level(level);
    let built = options.build_model().map_err(|e| e.to_string())?;
    let mut ct = Vec::with_capacity(repeat);
    let mut dt = Vec::with_capacity(repeat);
    let mut last = None;
    for _ in 0..repeat {
        let t = Instant::now();
        let (packed, stats) =
            kraft::compress_with_stats(data, &options).map_err(|e| e.to_string())?;
        ct.push(t.elapsed().as_secs_f64());
        last = Some((packed, stats));
    }
    let (packed, stats) = last.expect("repeat is at least 1");
    for _ in 0..repeat {
        let t = Instant::now();
        // The stream is the bench's own: it may need more memory than a decoder allows
        // an unknown one by default (cm level 9 above a few MiB).
        let mut back = Vec::with_capacity(data.len());
        let decoded = kraft::Decoder::new(&packed[..])
            .memory_limit(None)
            .read_all(&mut back);
        dt.push(t.elapsed().as_secs_f64());
        if decoded.is_err() || back != data {
            row.round_trip_ok = false;
            break;
        }
    }
    let report = kraft::Report::new(model, level, row.empirical_entropy_bpb, &stats);
    let block = options
        .block_size_for(built.as_ref())
        .min(data.len().max(1));
    row.kind = "kraft".into();
    row.model = Some(model.to_string());
    row.level = Some(level);
    row.command = format!("kraft compress --model {model} -l {level}");
    row.model_ideal_bits = Some(report.model_ideal_bits);
    row.coder_overhead_bits = Some(report.coder_overhead_bits);
    row.coder_overhead_percent = Some(report.coder_overhead_percent);
    row.model_memory_bytes = Some(built.memory(block) as u64);
    finish_row(row, packed.len() as u64, &mut ct, &mut dt)
}

fn run_peer(mut row: Row, data: &[u8], peer: &peers::Peer, repeat: usize) -> Result<Row, String> {
    let r = peers::run(peer, &row.file, data, repeat)?;
    row.kind = "peer".into();
    row.command = peer.command();
    row.round_trip_ok = r.round_trip_ok;
    let (mut ct, mut dt) = (r.compress_seconds, r.decompress_seconds);
    finish_row(row, r.compressed_bytes, &mut ct, &mut dt)
}

fn finish_row(mut row: Row, packed: u64, ct: &mut [f64], dt: &mut [f64]) -> Result<Row, String> {
    let n = row.original_bytes;
    row.compressed_bytes = packed;
    row.bits_per_byte = if n > 0 {
        8.0 * packed as f64 / n as f64
    } else {
        0.0
    };
    row.ratio = if packed > 0 {
        n as f64 / packed as f64
    } else {
        0.0
    };
    row.compress_seconds = median(ct);
    row.decompress_seconds = median(dt);
    row.compress_mb_per_s = mb_per_s(n, row.compress_seconds);
    row.decompress_mb_per_s = mb_per_s(n, row.decompress_seconds);
    Ok(row)
}
