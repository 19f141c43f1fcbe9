//! `kraft corpus gen`: the synthetic corpora with their exact entropies.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use crate::{Failed, fail, parse_size};

#[derive(Subcommand, Debug)]
pub(crate) enum CorpusCommand {
    /// Write the generated corpora and their MANIFEST.tsv into DIR.
    Gen {
        /// Directory to write into (created if missing).
        dir: PathBuf,
        /// Seed of the generators.
        #[arg(long, default_value_t = kraft::corpus::DEFAULT_SEED)]
        seed: u64,
        /// Approximate bytes per file.
        #[arg(long, default_value_t = kraft::corpus::DEFAULT_SIZE, value_parser = parse_size)]
        size: usize,
        /// Configurations per 2D Ising file (0: no Ising files).
        #[arg(long, default_value_t = kraft::corpus::ising::DEFAULT_SAMPLES)]
        ising_samples: usize,
        /// Side L of the 2D Ising lattices (2 to 4096).
        #[arg(long, default_value_t = kraft::corpus::ising::DEFAULT_SIDE as u16, value_parser = clap::value_parser!(u16).range(2..=4096))]
        ising_side: u16,
        /// Replace a corpus already in DIR.
        #[arg(short, long)]
        force: bool,
    },
}

pub(crate) fn corpus_gen(
    dir: &Path,
    seed: u64,
    size: usize,
    ising_samples: usize,
    ising_side: usize,
    force: bool,
) -> Result<(), Failed> {
    // Checked before the generators run: they take seconds.
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => {
            return Err(fail(format!("{}: not a directory", dir.display())));
        }
        Ok(_) if dir.join("MANIFEST.tsv").exists() && !force => {
            return Err(fail(format!(
                "{}: already holds a corpus (MANIFEST.tsv); not overwritten (use -f to force)",
                dir.display()
            )));
        }
        _ => {}
    }
    let mut files = kraft::corpus::generate_all(seed, size);
    if ising_samples > 0 {
        files.extend(kraft::corpus::generate_ising(
            seed,
            ising_side,
            ising_samples,
        ));
    }
    kraft::corpus::write_files(dir, &files).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
    for g in &files {
        println!(
            "{:<24} {:>9} bytes  entropy {:>12.1} bits ({:.4} bits/byte)",
            g.name,
            g.data.len(),
            g.entropy_bits,
            g.entropy_bits / g.data.len().max(1) as f64
        );
    }
    println!("manifest: {}", dir.join("MANIFEST.tsv").display());
    Ok(())
}
