//! The results as an aligned table, JSON, CSV or Markdown; totals per corpus.

use std::fmt::Write;

use super::{Document, Row, Total};

/// Totals per corpus and compressor (in order of first appearance), then, when there is
/// more than one corpus, over all corpora (`corpus: None`).
pub(crate) fn totals(rows: &[Row]) -> Vec<Total> {
    let mut corpora: Vec<&str> = Vec::new();
    let mut compressors: Vec<&str> = Vec::new();
    for r in rows {
        if !corpora.contains(&r.corpus.as_str()) {
            corpora.push(&r.corpus);
        }
        if !compressors.contains(&r.compressor.as_str()) {
            compressors.push(&r.compressor);
        }
    }
    let mut out = Vec::new();
    let mut groups: Vec<Option<&str>> = corpora.iter().map(|c| Some(*c)).collect();
    if corpora.len() > 1 {
        groups.push(None);
    }
    for corpus in groups {
        for &c in &compressors {
            let of: Vec<&Row> = rows
                .iter()
                .filter(|r| r.compressor == c && corpus.is_none_or(|k| r.corpus == k))
                .collect();
            if let Some(t) = total(corpus, &of) {
                out.push(t);
            }
        }
    }
    out
}

fn total(corpus: Option<&str>, rows: &[&Row]) -> Option<Total> {
    let first = rows.first()?;
    let n: u64 = rows.iter().map(|r| r.original_bytes).sum();
    let packed: u64 = rows.iter().map(|r| r.compressed_bytes).sum();
    let per_byte = |bits: f64| if n > 0 { bits / n as f64 } else { 0.0 };
    let h0_bits: f64 = rows
        .iter()
        .map(|r| r.empirical_entropy_bpb[0] * r.original_bytes as f64)
        .sum();
    let source: Option<f64> = rows
        .iter()
        .map(|r| r.source_entropy_bpb.map(|s| s * r.original_bytes as f64))
        .sum();
    let ideal: Option<f64> = rows.iter().map(|r| r.model_ideal_bits).sum();
    let cs: f64 = rows.iter().map(|r| r.compress_seconds).sum();
    let ds: f64 = rows.iter().map(|r| r.decompress_seconds).sum();
    Some(Total {
        corpus: corpus.map(str::to_string),
        compressor: first.compressor.clone(),
        kind: first.kind.clone(),
        model: first.model.clone(),
        level: first.level,
        files: rows.len() as u64,
        original_bytes: n,
        compressed_bytes: packed,
        bits_per_byte: per_byte(8.0 * packed as f64),
        h0_bpb: per_byte(h0_bits),
        source_entropy_bpb: source.map(per_byte),
        model_ideal_bits: ideal,
        compress_seconds: cs,
        decompress_seconds: ds,
        compress_mb_per_s: super::mb_per_s(n, cs),
        decompress_mb_per_s: super::mb_per_s(n, ds),
        round_trip_ok: rows.iter().all(|r| r.round_trip_ok),
    })
}

pub(crate) fn json(doc: &Document) -> Result<String, String> {
    serde_json::to_string_pretty(doc)
        .map(|s| s + "\n")
        .map_err(|e| format!("JSON: {e}"))
}

/// The CSV columns, in order.
pub(crate) const CSV_HEADER: &[&str] = &[
    "corpus",
    "file",
    "path",
    "compressor",
    "kind",
    "model",
    "level",
    "original_bytes",
    "compressed_bytes",
    "bits_per_byte",
    "ratio",
    "h0_bpb",
    "h1_bpb",
    "h2_bpb",
    "h3_bpb",
    "h4_bpb",
    "source_entropy_bpb",
    "model_ideal_bits",
    "coder_overhead_bits",
    "compress_seconds",
    "decompress_seconds",
    "compress_mb_per_s",
    "decompress_mb_per_s",
    "model_memory_bytes",
    "round_trip_ok",
];

pub(crate) fn csv(rows: &[Row]) -> Result<String, String> {
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER).map_err(|e| e.to_string())?;
    for r in rows {
        let h = r.empirical_entropy_bpb;
        w.write_record([
            r.corpus.clone(),
            r.file.clone(),
            r.path.clone(),
            r.compressor.clone(),
            r.kind.clone(),
            r.model.clone().unwrap_or_default(),
            r.level.map(|l| l.to_string()).unwrap_or_default(),
            r.original_bytes.to_string(),
            r.compressed_bytes.to_string(),
            r.bits_per_byte.to_string(),
            r.ratio.to_string(),
            h[0].to_string(),
            h[1].to_string(),
            h[2].to_string(),
            h[3].to_string(),
            h[4].to_string(),
            opt(r.source_entropy_bpb),
            opt(r.model_ideal_bits),
            opt(r.coder_overhead_bits),
            r.compress_seconds.to_string(),
            r.decompress_seconds.to_string(),
            r.compress_mb_per_s.to_string(),
            r.decompress_mb_per_s.to_string(),
            r.model_memory_bytes
                .map(|m| m.to_string())
                .unwrap_or_default(),
            r.round_trip_ok.to_string(),
        ])
        .map_err(|e| e.to_string())?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

fn mib(bytes: Option<u64>) -> String {
    match bytes {
        Some(b) => format!("{:.1} MiB", b as f64 / f64::from(1 << 20)),
        None => "-".into(),
    }
}

fn opt4(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.4}"))
}

/// The aligned table: one line per file and compressor, grouped by corpus, each corpus
/// followed by its totals, and totals over all corpora at the end when there are several.
pub(crate) fn table(doc: &Document) -> String {
    let mut lines: Vec<[String; 18]> = Vec::new();
    lines.push(
        [
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
            "comp MB/s",
            "dec MB/s",
            "memory",
            "check",
        ]
        .map(String::from),
    );
    let total_line = |t: &Total| {
        let n = t.original_bytes.max(1) as f64;
        [
            t.corpus.clone().unwrap_or_else(|| "all".into()),
            format!("({} file{})", t.files, if t.files == 1 { "" } else { "s" }),
            t.compressor.clone(),
            t.original_bytes.to_string(),
            t.compressed_bytes.to_string(),
            format!("{:.4}", t.bits_per_byte),
            format!("{:.3}", t.h0_bpb),
            "".into(),
            "".into(),
            "".into(),
            "".into(),
            opt4(t.model_ideal_bits.map(|b| b / n)),
            opt4(t.source_entropy_bpb),
            "".into(),
            format!("{:.2}", t.compress_mb_per_s),
            format!("{:.2}", t.decompress_mb_per_s),
            "".into(),
            if t.round_trip_ok { "ok" } else { "FAILED" }.into(),
        ]
    };
    let mut corpus: Option<&str> = None;
    let flush = |lines: &mut Vec<[String; 18]>, c: Option<&str>| {
        if let Some(c) = c {
            for t in doc.totals.iter().filter(|t| t.corpus.as_deref() == Some(c)) {
                lines.push(total_line(t));
            }
        }
    };
    for r in &doc.rows {
        if corpus != Some(r.corpus.as_str()) {
            flush(&mut lines, corpus);
            corpus = Some(&r.corpus);
        }
        let n = r.original_bytes.max(1) as f64;
        let h = r.empirical_entropy_bpb;
        lines.push([
            r.corpus.clone(),
            r.file.clone(),
            r.compressor.clone(),
            r.original_bytes.to_string(),
            r.compressed_bytes.to_string(),
            format!("{:.4}", r.bits_per_byte),
            format!("{:.3}", h[0]),
            format!("{:.3}", h[1]),
            format!("{:.3}", h[2]),
            format!("{:.3}", h[3]),
            format!("{:.3}", h[4]),
            opt4(r.model_ideal_bits.map(|b| b / n)),
            opt4(r.source_entropy_bpb),
            r.coder_overhead_percent
                .map_or_else(|| "-".into(), |p| format!("{p:.3}")),
            format!("{:.2}", r.compress_mb_per_s),
            format!("{:.2}", r.decompress_mb_per_s),
            mib(r.model_memory_bytes),
            if r.round_trip_ok { "ok" } else { "FAILED" }.into(),
        ]);
    }
    flush(&mut lines, corpus);
    for t in doc.totals.iter().filter(|t| t.corpus.is_none()) {
        lines.push(total_line(t));
    }
    let mut width = [0usize; 18];
    for l in &lines {
        for (w, cell) in width.iter_mut().zip(l) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut s = String::new();
    for l in &lines {
        let mut line = String::new();
        for (i, (cell, w)) in l.iter().zip(width).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = w - cell.chars().count();
            if i < 3 {
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', pad));
            } else {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(cell);
            }
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

fn thousands(n: u64) -> String {
    let d = n.to_string();
    let mut s = String::new();
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i) % 3 == 0 {
            s.push(',');
        }
        s.push(c);
    }
    s
}

/// Markdown: compressed bytes per file (one column per compressor, the smallest of each
/// line in bold) with the corpus totals, then the totals with bits per byte and speed.
pub(crate) fn markdown(doc: &Document) -> String {
    let mut s = String::new();
    let compressors = &doc.compressors;
    let _ = write!(s, "| corpus | file | bytes |");
    for c in compressors {
        let _ = write!(s, " {c} |");
    }
    s.push_str("\n|---|---|--:|");
    for _ in compressors {
        s.push_str("--:|");
    }
    s.push('\n');
    let cells = |sizes: Vec<Option<u64>>| -> String {
        let best = sizes.iter().flatten().min().copied();
        let mut s = String::new();
        for v in sizes {
            match v {
                Some(v) if Some(v) == best => {
                    let _ = write!(s, " **{}** |", thousands(v));
                }
                Some(v) => {
                    let _ = write!(s, " {} |", thousands(v));
                }
                None => s.push_str(" – |"),
            }
        }
        s
    };
    // Files in order of first appearance, keyed by path.
    let mut files: Vec<&Row> = Vec::new();
    for r in &doc.rows {
        if !files.iter().any(|f| f.path == r.path) {
            files.push(r);
        }
    }
    let mut i = 0;
    while i < files.len() {
        let corpus = &files[i].corpus;
        while i < files.len() && &files[i].corpus == corpus {
            let f = files[i];
            let sizes = compressors
                .iter()
                .map(|c| {
                    doc.rows
                        .iter()
                        .find(|r| r.path == f.path && &r.compressor == c)
                        .map(|r| r.compressed_bytes)
                })
                .collect();
            let _ = writeln!(
                s,
                "| {} | {} | {} |{}",
                f.corpus,
                f.file,
                thousands(f.original_bytes),
                cells(sizes)
            );
            i += 1;
        }
        let of: Vec<&Total> = doc
            .totals
            .iter()
            .filter(|t| t.corpus.as_deref() == Some(corpus))
            .collect();
        let bytes = of.first().map_or(0, |t| t.original_bytes);
        let sizes = compressors
            .iter()
            .map(|c| {
                of.iter()
                    .find(|t| &t.compressor == c)
                    .map(|t| t.compressed_bytes)
            })
            .collect();
        let _ = writeln!(
            s,
            "| **{corpus}** | **total** | {} |{}",
            thousands(bytes),
            cells(sizes)
        );
    }
    s.push_str("\n| corpus | compressor | files | bytes | compressed | bits/byte | compress MB/s | decompress MB/s |\n");
    s.push_str("|---|---|--:|--:|--:|--:|--:|--:|\n");
    for t in &doc.totals {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {:.3} | {:.2} | {:.2} |",
            t.corpus.as_deref().unwrap_or("all"),
            t.compressor,
            t.files,
            thousands(t.original_bytes),
            thousands(t.compressed_bytes),
            t.bits_per_byte,
            t.compress_mb_per_s,
            t.decompress_mb_per_s
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(3_251_493), "3,251,493");
    }
}
