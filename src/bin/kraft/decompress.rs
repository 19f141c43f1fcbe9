//! `kraft decompress`: each FILE.kft back to FILE (or standard output, or `-o`).

use std::io::{self, IsTerminal, Read};
use std::path::PathBuf;

use clap::Args;

use crate::files::{self, Input, Output, Policy};
use crate::{
    Common, Failed, STREAM, check_rm, copy, fail, file_error, for_each_file, is_stdio, normalize,
    output_for, parse_size, thread_count, train, usage,
};

#[derive(Args, Debug)]
pub(crate) struct DecompressArgs {
    /// Files to decompress.
    files: Vec<PathBuf>,
    #[command(flatten)]
    common: Common,
    /// Decode up to N blocks at once (0: one per core; at most one per core); the output
    /// is the same for any N.
    #[arg(short = 'T', long, default_value_t = 1)]
    threads: usize,
    #[command(flatten)]
    prior: train::PriorArg,
    /// Only the original bytes START..START+LEN (e.g. 1M:4K), to standard output or -o:
    /// a file written with --index decodes only the blocks they are in; any other input
    /// is decoded from its start.
    #[arg(long, value_name = "START:LEN", value_parser = parse_range)]
    range: Option<(u64, u64)>,
}

fn parse_range(s: &str) -> Result<(u64, u64), String> {
    let (start, len) = s
        .split_once(':')
        .ok_or_else(|| format!("'{s}': expected START:LEN"))?;
    Ok((parse_size(start)? as u64, parse_size(len)? as u64))
}

pub(crate) fn decompress_all(a: &DecompressArgs) -> Result<(), Failed> {
    let a = &DecompressArgs {
        files: a.files.clone(),
        common: normalize(&a.common),
        threads: a.threads,
        prior: a.prior.clone(),
        range: a.range,
    };
    let prior = a.prior.load()?;
    if let Some(range) = a.range {
        return decompress_range(a, range, prior.as_ref());
    }
    if is_stdio(&a.files) {
        if io::stdin().is_terminal() && !a.common.force {
            return Err(fail(
                "refusing to read compressed data from a terminal (use -f to force)",
            ));
        }
        let out = match &a.common.output {
            Some(p) => Output::file(p, a.common.force, false).map_err(fail)?,
            None => Output::stdout(),
        };
        let input = Input::stdin();
        out.check_not(&input).map_err(fail)?;
        return decompress_one(input, out, &a.common, a.threads, prior.as_ref(), "stdin")
            .map(|_| ());
    }
    let policy = Policy {
        force: a.common.force,
        stream: a.common.stdout || a.common.output.is_some(),
    };
    for_each_file(&a.files, &a.common, |path| {
        let input = Input::file(path, policy).map_err(fail)?;
        check_rm(&input, &a.common)?;
        let out = output_for(path, &a.common, || {
            match path.to_str().and_then(|s| s.strip_suffix(".kft")) {
                Some(stem) if !stem.is_empty() && !stem.ends_with('/') => Ok(PathBuf::from(stem)),
                _ => Err(fail(format!(
                    "{}: unknown suffix -- ignored (expected .kft; use -o or -c)",
                    path.display()
                ))),
            }
        })?;
        out.check_not(&input).map_err(fail)?;
        let name = path.display().to_string();
        let (input, saved) =
            decompress_one(input, out, &a.common, a.threads, prior.as_ref(), &name)?;
        if a.common.rm && !a.common.stdout {
            files::remove_input(&input, saved).map_err(fail)?;
        }
        Ok(())
    })
}

/// A decoder of `input` with `threads` and `prior` under `--memory-limit`, or the
/// library's default limit.
pub(crate) fn decoder(
    input: Input,
    limit: Option<usize>,
    threads: usize,
    prior: Option<&kraft::Prior>,
) -> kraft::Decoder<Input> {
    let mut dec = kraft::Decoder::new(input).threads(thread_count(threads));
    if let Some(p) = prior {
        dec = dec.prior(p);
    }
    match limit {
        Some(n) => dec.memory_limit(Some(n as u64)),
        None => dec,
    }
}

/// Decompress `input` into `out`; gives the input back, and whether the output is a
/// synced file of its own (for `--rm`).
pub(crate) fn decompress_one(
    input: Input,
    mut out: Output,
    common: &Common,
    threads: usize,
    prior: Option<&kraft::Prior>,
    name: &str,
) -> Result<(Input, bool), Failed> {
    let meta = input.metadata();
    let mut dec = decoder(input, common.memory_limit, threads, prior);
    let n = copy(&mut dec, &mut out.writer()).map_err(|e| file_error(name, e))?;
    let shown = out.describe();
    let saved = out.commit(meta).map_err(|e| file_error(name, e))?;
    if common.verbose {
        let packed: u64 = dec.streams().iter().map(|s| s.compressed_bytes).sum();
        eprintln!("{name}: {packed} => {n} bytes ({shown})");
    }
    Ok((dec.into_inner(), saved))
}

/// `--range`: one input, its bytes `start..start + len`, to standard output or `-o`.
fn decompress_range(
    a: &DecompressArgs,
    (start, len): (u64, u64),
    prior: Option<&kraft::Prior>,
) -> Result<(), Failed> {
    if a.files.len() > 1 {
        return Err(usage("--range takes one input file"));
    }
    if a.common.rm {
        return Err(usage("--range keeps its input (no --rm)"));
    }
    let mut out = match &a.common.output {
        Some(p) => Output::file(p, a.common.force, false).map_err(fail)?,
        None => Output::stdout(),
    };
    let stdin = is_stdio(&a.files);
    let name = if stdin {
        "stdin".to_string()
    } else {
        a.files[0].display().to_string()
    };
    // The input is opened once. An indexed regular file: only the blocks the range is
    // in; anything else is decoded from its start, the range kept.
    let input = if stdin {
        Input::stdin()
    } else {
        Input::file(&a.files[0], STREAM).map_err(fail)?
    };
    let input = match input.seekable() {
        Some(file) => {
            let file: &std::fs::File = file;
            let opened = match prior {
                Some(p) => kraft::Seekable::with_prior(io::BufReader::new(file), p),
                None => kraft::Seekable::new(io::BufReader::new(file)),
            };
            match opened {
                Ok(mut s) => {
                    let bytes = s.read_range(start, len).map_err(|e| file_error(&name, e))?;
                    out.writer()
                        .write_all(&bytes)
                        .map_err(|e| file_error(&name, e))?;
                    out.commit(None).map_err(|e| file_error(&name, e))?;
                    return Ok(());
                }
                Err(kraft::Error::NoIndex) => input.rewound().map_err(|e| file_error(&name, e))?,
                Err(e) => return Err(file_error(&name, e)),
            }
        }
        None => input,
    };
    let mut dec = decoder(input, a.common.memory_limit, a.threads, prior);
    io::copy(&mut (&mut dec).take(start), &mut io::sink()).map_err(|e| file_error(&name, e))?;
    copy(&mut (&mut dec).take(len), &mut out.writer()).map_err(|e| file_error(&name, e))?;
    out.commit(None).map_err(|e| file_error(&name, e))?;
    Ok(())
}
