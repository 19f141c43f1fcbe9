//! `kraft test`: decode every stream and check every checksum, writing nothing.

use std::io;
use std::path::PathBuf;

use clap::Args;

use crate::decompress::decoder;
use crate::{Failed, copy, explain, fail, parse_size, read_only_input, train};

#[derive(Args, Debug)]
pub(crate) struct TestArgs {
    /// Files to check (`-`: stdin).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
    /// Refuse streams that could need more than SIZE of memory to decode (default 1G).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    memory_limit: Option<usize>,
    /// Decode up to N blocks at once (0: one per core; at most one per core).
    #[arg(short = 'T', long, default_value_t = 1)]
    threads: usize,
    #[command(flatten)]
    prior: train::PriorArg,
}

pub(crate) fn test_all(a: &TestArgs) -> Result<(), Failed> {
    let prior = a.prior.load()?;
    let mut ok = true;
    for path in &a.files {
        let (name, input) = read_only_input(path);
        let input = match input {
            Ok(i) => i,
            Err(e) => {
                fail(e);
                ok = false;
                continue;
            }
        };
        let mut dec = decoder(input, a.memory_limit, a.threads, prior.as_ref());
        match copy(&mut dec, &mut io::sink()) {
            Ok(n) => {
                if !a.quiet {
                    println!(
                        "{name}: OK ({n} bytes, {} block(s))",
                        dec.streams().iter().map(|s| s.blocks).sum::<u64>()
                    );
                }
            }
            Err(e) => {
                ok = false;
                let _ = fail(format!("{name}: {}", explain(&e)));
            }
        }
    }
    if ok { Ok(()) } else { Err(Failed) }
}
