//! `kraft info`: what each stream declares, from its frames alone.

use std::io;
use std::path::PathBuf;

use clap::Args;

use crate::{Failed, fail, read_only_input, train};

#[derive(Args, Debug)]
pub(crate) struct InfoArgs {
    /// Files to describe (`-`: stdin).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    prior: train::PriorArg,
}

pub(crate) fn info_all(a: &InfoArgs) -> Result<(), Failed> {
    let prior = a.prior.load()?;
    let mut ok = true;
    let mut rows = Vec::new();
    for path in &a.files {
        let (name, input) = read_only_input(path);
        let streams = input.and_then(|i| {
            kraft::inspect(io::BufReader::new(i)).map_err(|e| format!("{name}: {e}"))
        });
        let streams = match streams {
            Ok(s) => s,
            Err(e) => {
                ok = false;
                let _ = fail(e);
                continue;
            }
        };
        for s in streams {
            let h = &s.header;
            let model = kraft::Registry::builtin().build(h.model, &h.settings).ok();
            // cm and grid go by the level in their settings.
            let level = model.as_ref().and_then(|m| m.level()).unwrap_or(h.level);
            // With a prior the model is sized for the prior's samples too: known with -D.
            let memory = match (&prior, s.uses_prior) {
                (_, false) => model.as_ref().map(|m| kraft::decoder_memory(h, m.as_ref())),
                (Some(p), true) if h.prior.is_none_or(|id| id == p.id()) => p
                    .model_for_stream(h.model, &h.settings)
                    .ok()
                    .map(|m| kraft::decoder_memory(h, m.as_ref())),
                _ => None,
            };
            let prior = match (s.uses_prior, h.prior) {
                (false, _) => None,
                (true, Some(id)) => Some(format!("{id:016x}")),
                (true, None) => Some("not recorded (compact frame)".to_string()),
            };
            let bpb = if s.content_size > 0 {
                8.0 * s.compressed_bytes as f64 / s.content_size as f64
            } else {
                0.0
            };
            let ratio = if s.compressed_bytes > 0 {
                s.content_size as f64 / s.compressed_bytes as f64
            } else {
                0.0
            };
            rows.push(serde_json::json!({
                "file": name,
                "model": kraft::model_name(h.model),
                "model_id": h.model,
                "level": level,
                "block_size": h.block_size,
                "blocks": s.blocks,
                "stored_blocks": s.stored_blocks,
                "filtered_blocks": s.filtered_blocks,
                "compressed_bytes": s.compressed_bytes,
                "original_bytes": s.content_size,
                "ratio": ratio,
                "bits_per_byte": bpb,
                "crc32": format!("{:08x}", s.crc),
                "decoder_memory_bytes": memory,
                "frame": if s.compact { "compact" } else { "stream" },
                "indexed": s.indexed,
                "prior": prior,
            }));
            if !a.json {
                println!("{name}");
                println!(
                    "  model            {} (level {level})",
                    kraft::model_name(h.model)
                );
                println!("  original         {} bytes", s.content_size);
                println!("  compressed       {} bytes", s.compressed_bytes);
                println!("  ratio            {ratio:.3}  ({bpb:.4} bits/byte)");
                println!(
                    "  blocks           {} of up to {} bytes ({} stored, {} x86-filtered)",
                    s.blocks, h.block_size, s.stored_blocks, s.filtered_blocks
                );
                println!("  crc32            {:08x}", s.crc);
                if s.compact {
                    println!("  frame            compact");
                }
                if s.indexed {
                    println!("  index            yes (kraft decompress --range)");
                }
                if let Some(p) = &prior {
                    println!("  prior            {p}");
                }
                match memory {
                    Some(m) => println!("  decoder memory   {m} bytes"),
                    None if s.uses_prior => {
                        println!("  decoder memory   depends on the prior (give it with -D)")
                    }
                    None => {}
                }
            }
        }
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rows).expect("json"));
    }
    if ok { Ok(()) } else { Err(Failed) }
}
