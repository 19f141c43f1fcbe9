//! `kraft bench`: compress, decompress and verify, against the entropy bounds.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use crate::{Failed, fail};

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Files or directories (recursively); none: the generated corpora.
    paths: Vec<PathBuf>,
    /// Models to run, comma-separated.
    #[arg(long, default_value = "iid,cm", value_delimiter = ',')]
    models: Vec<String>,
    /// Level.
    #[arg(short, long, default_value_t = kraft::DEFAULT_LEVEL, value_parser = clap::value_parser!(u8).range(1..=9))]
    level: u8,
    /// Timed runs per file; the median is reported.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
}

struct Row {
    file: String,
    model: String,
    bytes: u64,
    packed: u64,
    h0: f64,
    ideal: f64,
    source: Option<f64>,
    comp_mbs: f64,
    decomp_mbs: f64,
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for e in entries {
            collect(&e, out)?;
        }
    } else if path.file_name().is_none_or(|n| n != "MANIFEST.tsv") {
        out.push(path.to_path_buf());
    }
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub fn run(a: &BenchArgs) -> Result<(), Failed> {
    let tmp;
    let roots: Vec<PathBuf> = if a.paths.is_empty() {
        tmp = tempfile::tempdir().map_err(|e| fail(format!("temporary directory: {e}")))?;
        kraft::corpus::write_suite(
            tmp.path(),
            kraft::corpus::DEFAULT_SEED,
            kraft::corpus::DEFAULT_SIZE,
        )
        .map_err(|e| fail(format!("generating corpora: {e}")))?;
        vec![tmp.path().to_path_buf()]
    } else {
        a.paths.clone()
    };
    let mut files = Vec::new();
    for r in &roots {
        collect(r, &mut files).map_err(|e| fail(format!("{}: {e}", r.display())))?;
    }
    let repeat = a.repeat.max(1);
    let mut rows = Vec::new();
    let mut mismatches = 0;
    for path in &files {
        let data = std::fs::read(path).map_err(|e| fail(format!("{}: {e}", path.display())))?;
        let source = kraft::corpus::lookup(path).map(|m| m.entropy_bits);
        let h0 = kraft::report::empirical_entropies(&data)[0];
        for model in &a.models {
            let options = kraft::Options::new().model(model).level(a.level);
            let mut ct = Vec::new();
            let mut dt = Vec::new();
            let mut packed = Vec::new();
            let mut ideal = 0.0;
            for _ in 0..repeat {
                let t = Instant::now();
                let (p, stats) = kraft::compress_with_stats(&data, &options)
                    .map_err(|e| fail(format!("{}: {e}", path.display())))?;
                ct.push(t.elapsed().as_secs_f64());
                (packed, ideal) = (p, stats.ideal_bits);
                let t = Instant::now();
                let back = kraft::decompress(&packed);
                dt.push(t.elapsed().as_secs_f64());
                if back.as_deref().ok() != Some(&data[..]) {
                    mismatches += 1;
                    let _ = fail(format!(
                        "{}: round trip with model {model} does not reproduce the input",
                        path.display()
                    ));
                    break;
                }
            }
            let mb = data.len() as f64 / 1e6;
            rows.push(Row {
                file: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                model: model.clone(),
                bytes: data.len() as u64,
                packed: packed.len() as u64,
                h0,
                ideal,
                source,
                comp_mbs: mb / median(ct).max(1e-9),
                decomp_mbs: mb / median(dt).max(1e-9),
            });
        }
    }
    println!(
        "{:<22} {:<6} {:>10} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9}",
        "file",
        "model",
        "bytes",
        "packed",
        "bpb",
        "H0",
        "ideal",
        "source",
        "÷source",
        "comp MB/s",
        "dec MB/s"
    );
    for r in &rows {
        let n = r.bytes.max(1) as f64;
        let bpb = 8.0 * r.packed as f64 / n;
        let (src, ratio) = match r.source {
            Some(s) => (
                format!("{:.4}", s / n),
                format!("{:.4}", 8.0 * r.packed as f64 / s),
            ),
            None => ("-".into(), "-".into()),
        };
        println!(
            "{:<22} {:<6} {:>10} {:>10} {:>8.4} {:>8.4} {:>8.4} {:>8} {:>8} {:>9.1} {:>9.1}",
            r.file,
            r.model,
            r.bytes,
            r.packed,
            bpb,
            r.h0,
            r.ideal / n,
            src,
            ratio,
            r.comp_mbs,
            r.decomp_mbs
        );
    }
    let total: u64 = rows.iter().map(|r| r.bytes).sum();
    let packed: u64 = rows.iter().map(|r| r.packed).sum();
    println!(
        "total: {total} bytes -> {packed} bytes ({:.4} bits/byte)",
        8.0 * packed as f64 / total.max(1) as f64
    );
    if mismatches > 0 {
        return Err(fail(format!("{mismatches} round trip(s) failed")));
    }
    Ok(())
}
