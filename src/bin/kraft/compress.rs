//! `kraft compress`: each input to FILE.kft (or standard output, or `-o`), read once.

use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::Args;

use crate::files::{self, Input, Output, Policy};
use crate::{
    Common, Failed, ModelArgs, check_rm, copy, fail, file_error, for_each_file, is_stdio,
    normalize, output_for, train, unwrap_io, usage,
};

#[derive(Args, Debug)]
pub(crate) struct CompressArgs {
    /// Files to compress.
    files: Vec<PathBuf>,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    prior: train::PriorArg,
}

pub(crate) fn compress_all(a: &CompressArgs) -> Result<(), Failed> {
    let common = normalize(&a.common);
    let a = &CompressArgs {
        files: a.files.clone(),
        common,
        model: a.model.clone(),
        prior: a.prior.clone(),
    };
    let prior = a.prior.load()?;
    a.model.check_prior(prior.as_ref())?;
    let options = a.model.options(&[], prior.as_ref());
    options.validate().map_err(usage)?;
    options.build_model().map_err(usage)?;
    a.model.check_model_options(options.get_model())?;
    if is_stdio(&a.files) {
        let out = match &a.common.output {
            Some(p) => Output::file(p, a.common.force, false).map_err(fail)?,
            None => {
                if io::stdout().is_terminal() && !a.common.force {
                    return Err(fail(
                        "refusing to write compressed data to a terminal (use -f to force)",
                    ));
                }
                Output::stdout()
            }
        };
        let mut input = Input::stdin();
        out.check_not(&input).map_err(fail)?;
        return compress_one(
            &mut input,
            out,
            &a.model,
            prior.as_ref(),
            &a.common,
            "stdin",
        )
        .map(|_| ());
    }
    if a.common.stdout && io::stdout().is_terminal() && !a.common.force {
        return Err(fail(
            "refusing to write compressed data to a terminal (use -f to force)",
        ));
    }
    let policy = Policy {
        force: a.common.force,
        stream: a.common.stdout || a.common.output.is_some(),
    };
    for_each_file(&a.files, &a.common, |path| {
        if path.extension().is_some_and(|e| e == "kft") && !a.common.force {
            return Err(fail(format!(
                "{}: already has the .kft suffix -- unchanged (use -f to compress it again)",
                path.display()
            )));
        }
        let mut input = Input::file(path, policy).map_err(fail)?;
        check_rm(&input, &a.common)?;
        let out = output_for(path, &a.common, || Ok(with_suffix(path)))?;
        out.check_not(&input).map_err(fail)?;
        let name = path.display().to_string();
        let saved = compress_one(&mut input, out, &a.model, prior.as_ref(), &a.common, &name)?;
        if a.common.rm && !a.common.stdout {
            files::remove_input(&input, saved).map_err(fail)?;
        }
        Ok(())
    })
}

pub(crate) fn with_suffix(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".kft");
    PathBuf::from(s)
}

/// Lower the thread count so that compressing fits `--memory-limit`.
pub(crate) fn within_memory(
    options: kraft::Options,
    common: &Common,
) -> kraft::Result<kraft::Options> {
    let Some(limit) = common.memory_limit else {
        return Ok(options);
    };
    let limit = limit as u64;
    let per_thread = options.clone().threads(1).compress_memory()?;
    if per_thread > limit {
        return Err(kraft::Error::MemoryLimit {
            needed: per_thread,
            limit,
        });
    }
    let fit = usize::try_from(limit / per_thread).unwrap_or(usize::MAX);
    let threads = options.get_threads().min(fit);
    Ok(options.threads(threads))
}

/// Compress everything `input` holds, reading it once: its first bytes choose the
/// model when none is given, and its size is declared in the header only when all of it
/// has been read before the header is written (within the first block), so a size that
/// the file system misstates or that changes while it is read is never claimed. Returns
/// whether the output is a synced file of its own (for `--rm`).
pub(crate) fn compress_one(
    input: &mut Input,
    mut out: Output,
    model: &ModelArgs,
    prior: Option<&kraft::Prior>,
    common: &Common,
    name: &str,
) -> Result<bool, Failed> {
    let err = |e| file_error(name, e);
    let mut first = Vec::new();
    read_up_to(input, &mut first, 8).map_err(err)?;
    let options = model.options(&first, prior);
    let block = options
        .build_model()
        .map(|m| options.block_size_for(m.as_ref()))
        .map_err(err)?;
    // Never more read ahead than --memory-limit allows.
    let ahead = block.min(common.memory_limit.unwrap_or(usize::MAX).max(8));
    if common.verbose {
        // The report needs the whole input for its empirical entropies.
        input.read_to_end(&mut first).map_err(|e| err(e.into()))?;
    } else {
        read_up_to(input, &mut first, ahead).map_err(err)?;
    }
    // The end was seen: nothing more is read (a file that grows, a terminal).
    let complete = common.verbose || first.len() < ahead;
    let options = within_memory(
        options.content_size(complete.then_some(first.len() as u64)),
        common,
    )
    .map_err(err)?;
    let mut enc = kraft::Encoder::new(out.writer(), &options).map_err(err)?;
    // All but the last byte first: the encoder codes a block once it is full, and the
    // bytes read ahead are freed before that, so they never count twice.
    let last = if common.verbose { None } else { first.pop() };
    enc.write_all(&first).map_err(|e| err(unwrap_io(e)))?;
    if common.verbose {
        let (_, stats) = enc.finish_with_stats().map_err(err)?;
        let shown = out.describe();
        let saved = out.commit(input.metadata()).map_err(|e| err(e.into()))?;
        let mut r = kraft::Report::new(
            options.get_model(),
            options.get_level(),
            kraft::report::empirical_entropies(&first),
            &stats,
        );
        r.pixels = kraft::report::pbm_pixels(&first);
        r.source_entropy_bits = input
            .path()
            .and_then(kraft::corpus::lookup)
            .map(|m| m.entropy_bits);
        eprintln!(
            "{name}: {} => {} bytes ({:.3} bits/byte, {}; {} thread(s))",
            stats.raw_bytes,
            stats.compressed_bytes(),
            r.bits_per_byte,
            shown,
            options.get_threads()
        );
        eprint!("{}", r.to_text());
        return Ok(saved);
    }
    drop(first);
    if let Some(byte) = last {
        enc.write_all(&[byte]).map_err(|e| err(unwrap_io(e)))?;
    }
    if !complete {
        copy(input, &mut enc).map_err(err)?;
    }
    enc.finish().map_err(err)?;
    out.commit(input.metadata()).map_err(|e| err(e.into()))
}

/// Read from `input` until `buf` holds `limit` bytes or the input ends.
pub(crate) fn read_up_to(
    input: &mut Input,
    buf: &mut Vec<u8>,
    limit: usize,
) -> Result<(), kraft::Error> {
    let want = limit.saturating_sub(buf.len()) as u64;
    input.take(want).read_to_end(buf)?;
    Ok(())
}
