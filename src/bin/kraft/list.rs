//! `kraft list`: every block of each file, where it is and what it holds, from the
//! frames alone.

use std::io;
use std::path::PathBuf;

use clap::Args;

use std::fmt::Write as _;

use crate::{Failed, fail, print_out, read_only_input};

#[derive(Args, Debug)]
pub(crate) struct ListArgs {
    /// Files to list (`-`: stdin).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

pub(crate) fn list_all(a: &ListArgs) -> Result<(), Failed> {
    let mut ok = true;
    let mut rows = Vec::new();
    let mut text = String::new();
    for path in &a.files {
        let (name, input) = read_only_input(path);
        let listed = input.and_then(|i| {
            kraft::list_blocks(io::BufReader::new(i)).map_err(|e| format!("{name}: {e}"))
        });
        let (streams, blocks) = match listed {
            Ok(l) => l,
            Err(e) => {
                ok = false;
                let _ = fail(e);
                continue;
            }
        };
        if !a.json {
            let _ = writeln!(
                text,
                "{name}: {} stream(s), {} block(s)",
                streams.len(),
                blocks.len()
            );
            let _ = writeln!(
                text,
                "  {:>6} {:>7} {:<8} {:>14} {:>11} {:>14} {:>11}  crc32",
                "stream", "block", "kind", "original at", "bytes", "packed at", "bytes"
            );
        }
        for b in &blocks {
            let kind = match b.kind {
                kraft::format::BLOCK_STORED => "stored",
                kraft::format::BLOCK_MODELED_X86 => "x86",
                _ => "modeled",
            };
            if a.json {
                rows.push(serde_json::json!({
                    "file": name,
                    "stream": b.stream,
                    "block": b.block,
                    "kind": kind,
                    "original_offset": b.original_offset,
                    "original_bytes": b.original_bytes,
                    "compressed_offset": b.compressed_offset,
                    "compressed_bytes": b.compressed_bytes,
                    "crc32": format!("{:08x}", b.crc),
                }));
            } else {
                let _ = writeln!(
                    text,
                    "  {:>6} {:>7} {:<8} {:>14} {:>11} {:>14} {:>11}  {:08x}",
                    b.stream,
                    b.block,
                    kind,
                    b.original_offset,
                    b.original_bytes,
                    b.compressed_offset,
                    b.compressed_bytes,
                    b.crc
                );
            }
        }
    }
    if a.json {
        text = serde_json::to_string_pretty(&rows).expect("json") + "\n";
    }
    print_out(&text)?;
    if ok { Ok(()) } else { Err(Failed) }
}
