//! `kraft train`: a prior learned from a set of samples; `-D PRIOR`: reading one.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::files::Output;
use crate::{Failed, fail, parse_size, usage};

#[derive(Args, Debug)]
pub(crate) struct TrainArgs {
    /// Sample files, or directories to take every regular file from (recursively, in
    /// name order).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The prior file to write (by convention NAME.kfp).
    #[arg(short, long, value_name = "PRIOR", required = true)]
    output: PathBuf,
    /// Model: cm (the default), iid, mixture or grid (PBM images as samples).
    #[arg(short, long, default_value = "cm")]
    model: String,
    /// Level the prior is for: the default when coding with it (a cm prior works at
    /// every level).
    #[arg(short, long, default_value_t = kraft::DEFAULT_LEVEL, value_parser = clap::value_parser!(u8).range(1..=9))]
    level: u8,
    /// Keep a cm or grid prior's samples within SIZE (e.g. 256K, 1M; default 256K). Larger
    /// priors code records smaller and take longer to load (learning them runs the model
    /// over them once per process, about 2 s per MiB at level 6).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    size: Option<usize>,
    /// Overwrite an existing prior file.
    #[arg(short, long)]
    force: bool,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
}

/// `-D PRIOR`: the prior to code with.
#[derive(Args, Clone, Debug, Default)]
pub(crate) struct PriorArg {
    /// Code with the trained prior PRIOR (written by `kraft train`); a stream coded with
    /// one decodes only with it.
    #[arg(short = 'D', long = "prior", value_name = "PRIOR")]
    prior: Option<PathBuf>,
}

impl PriorArg {
    /// The prior named, read and checked; `None` without `-D`.
    pub(crate) fn load(&self) -> Result<Option<kraft::Prior>, Failed> {
        let Some(path) = &self.prior else {
            return Ok(None);
        };
        let name = path.display();
        let file = std::fs::File::open(path).map_err(|e| fail(format!("{name}: {e}")))?;
        // Never more than a prior can hold: the body's bound and its framing.
        let mut bytes = Vec::new();
        file.take(kraft::MAX_PRIOR_BODY + 64)
            .read_to_end(&mut bytes)
            .map_err(|e| fail(format!("{name}: {e}")))?;
        kraft::Prior::from_bytes(&bytes)
            .map(Some)
            .map_err(|e| fail(format!("{name}: {e}")))
    }
}

pub(crate) fn train(a: &TrainArgs) -> Result<(), Failed> {
    if !matches!(a.model.as_str(), "cm" | "iid" | "mixture" | "grid") {
        return Err(usage(format!(
            "model {} takes no trained prior (cm, iid, mixture and grid do)",
            a.model
        )));
    }
    if a.size.is_some() && !matches!(a.model.as_str(), "cm" | "grid") {
        return Err(usage("--size is an option of cm and grid priors"));
    }
    // The output is checked before the samples are read: reading them can take long.
    let mut out = Output::file(&a.output, a.force, false).map_err(fail)?;
    let mut paths = Vec::new();
    for f in &a.files {
        collect(f, &mut paths)?;
    }
    if paths.is_empty() {
        return Err(fail("no sample files found"));
    }
    let mut samples = Vec::with_capacity(paths.len());
    let mut total = 0u64;
    for p in &paths {
        let data = std::fs::read(p).map_err(|e| fail(format!("{}: {e}", p.display())))?;
        total += data.len() as u64;
        samples.push(data);
    }
    let options = kraft::Options::new().model(&a.model).level(a.level);
    let size = a.size.unwrap_or(kraft::DEFAULT_PRIOR_SIZE);
    let prior = kraft::Prior::train_within(&samples, &options, size)
        .map_err(|e| fail(format!("training: {e}")))?;
    let bytes = prior.to_bytes();
    out.writer()
        .write_all(&bytes)
        .map_err(|e| fail(format!("{}: {e}", a.output.display())))?;
    out.commit(None)
        .map_err(|e| fail(format!("{}: {e}", a.output.display())))?;
    if !a.quiet {
        eprintln!(
            "{}: prior {} ({} level {}), {} bytes from {} samples of {} bytes",
            a.output.display(),
            prior.id_hex(),
            prior.model_name(),
            prior.level(),
            bytes.len(),
            samples.len(),
            total
        );
    }
    Ok(())
}

/// The regular files `path` names: itself, or those under it, in name order.
fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), Failed> {
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("{}: {e}", path.display())))?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if !meta.is_dir() {
        eprintln!("kraft: {}: not a regular file -- skipped", path.display());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .and_then(|d| d.map(|e| e.map(|e| e.path())).collect())
        .map_err(|e| fail(format!("{}: {e}", path.display())))?;
    entries.sort();
    for e in entries {
        collect(&e, out)?;
    }
    Ok(())
}
