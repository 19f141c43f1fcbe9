//! `kraft`: the command-line front end (gzip/zstd conventions).

mod bench;
mod files;
mod train;

use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use files::{Input, Output, Policy};

/// Lossless compression with learned entropy models, reported against the Shannon bound.
#[derive(Parser, Debug)]
#[command(name = "kraft", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compress FILEs to FILE.kft (no FILE or `-`: stdin to stdout).
    #[command(visible_alias = "c")]
    Compress(CompressArgs),
    /// Restore FILE from FILE.kft (no FILE or `-`: stdin to stdout).
    #[command(visible_alias = "d")]
    Decompress(DecompressArgs),
    /// Check that .kft files decode exactly (checksums included); writes nothing.
    #[command(visible_alias = "t")]
    Test(TestArgs),
    /// Show model, sizes, ratio, bits per byte and checksum of .kft files.
    Info(InfoArgs),
    /// Entropy report of FILE under a model: achieved bits against the bounds; writes nothing.
    Report(ReportArgs),
    /// Compress, decompress and verify files (default: the generated corpora) with kraft's models and the peers on PATH: bits against entropy, speed, memory.
    Bench(bench::BenchArgs),
    /// Learn a prior from sample files (e.g. a directory of small records), for coding
    /// similar files with -D PRIOR.
    Train(train::TrainArgs),
    /// Synthetic corpora with exactly known entropy.
    Corpus {
        #[command(subcommand)]
        action: CorpusCommand,
    },
}

#[derive(Subcommand, Debug)]
enum CorpusCommand {
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

#[derive(Args, Debug, Clone)]
struct Common {
    /// Write to standard output; keep input files.
    #[arg(short = 'c', long = "stdout")]
    stdout: bool,
    /// Write to PATH (one input only).
    #[arg(short, long, value_name = "PATH", conflicts_with = "stdout")]
    output: Option<PathBuf>,
    /// Overwrite existing output files.
    #[arg(short, long)]
    force: bool,
    /// Remove each input file once its output is complete and synced (regular files
    /// only, and only when the output is a file of its own).
    #[arg(long)]
    rm: bool,
    /// Keep input files (the default; accepted for gzip compatibility).
    #[arg(short, long, conflicts_with = "rm")]
    keep: bool,
    /// Print nothing but errors.
    #[arg(short, long, conflicts_with = "verbose")]
    quiet: bool,
    /// Print a summary per file (and, when compressing, the entropy report).
    #[arg(short, long)]
    verbose: bool,
    /// Use at most SIZE of memory (e.g. 512M, 2G): decompressing refuses a stream that
    /// could need more (default 1G; `kraft info` shows what a file needs) and decodes
    /// fewer blocks at once (-T) to fit; compressing runs fewer threads to fit and fails
    /// if one is too many.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    memory_limit: Option<usize>,
}

#[derive(Args, Clone, Debug)]
struct ModelArgs {
    /// Model: cm (context mixing, the default), iid (order 0, fastest), mixture (latent
    /// components, bits-back) or grid (bilevel images; the default for PBM files and with
    /// --width).
    #[arg(short, long)]
    model: Option<String>,
    /// Level, 1 (fastest) to 9 (strongest) [default: 6, or the prior's].
    #[arg(short, long, value_parser = clap::value_parser!(u8).range(1..=9))]
    level: Option<u8>,
    /// Original bytes per independent block (e.g. 1M, 64K; 1K to 1G; default: the model's).
    #[arg(long, value_parser = parse_block_size)]
    block_size: Option<usize>,
    /// Compress up to N blocks at once (0: one per core); the output is the same for any N.
    #[arg(short = 'T', long, default_value_t = 1)]
    threads: usize,
    /// Raw bit grid of W pixels a row (rows of ⌈W/8⌉ bytes, no header) for the grid model.
    #[arg(long, value_name = "W", value_parser = clap::value_parser!(u32).range(1..=kraft::model::GRID_MAX_WIDTH as i64))]
    width: Option<u32>,
    /// mixture: segments are `lines` (the default) or pieces of SIZE bytes (e.g. 64).
    #[arg(long, value_parser = parse_segment)]
    segment: Option<kraft::model::Segment>,
    /// mixture: number of components, 1 to 16, or `auto` (the default: chosen by
    /// description length).
    #[arg(long, value_parser = parse_components)]
    components: Option<Components>,
    /// mixture: bits-back coding `on` (the default) or `off` (the naive path).
    #[arg(long, value_parser = ["on", "off"])]
    bits_back: Option<String>,
}

/// `--components`: a number or `auto`.
#[derive(Clone, Copy, Debug)]
struct Components(Option<usize>);

fn parse_components(s: &str) -> Result<Components, String> {
    if s == "auto" {
        return Ok(Components(None));
    }
    match s.parse::<usize>() {
        Ok(m) if (1..=kraft::model::mixture::MAX_COMPONENTS).contains(&m) => {
            Ok(Components(Some(m)))
        }
        _ => Err(format!(
            "'{s}': expected auto or 1 to {}",
            kraft::model::mixture::MAX_COMPONENTS
        )),
    }
}

/// The smallest `--block-size`: below it the per-block work (a model's setup, a frame)
/// outweighs the bytes.
const MIN_BLOCK_SIZE: usize = 1 << 10;

fn parse_block_size(s: &str) -> Result<usize, String> {
    let n = parse_size(s)?;
    let max = kraft::format::MAX_BLOCK_SIZE as usize;
    if (MIN_BLOCK_SIZE..=max).contains(&n) {
        Ok(n)
    } else {
        Err(format!("'{s}': expected a block size of 1K to 1G"))
    }
}

fn parse_segment(s: &str) -> Result<kraft::model::Segment, String> {
    if s == "lines" {
        return Ok(kraft::model::Segment::Lines);
    }
    match parse_size(s) {
        Ok(n) if (1..=kraft::model::mixture::MAX_SEGMENT).contains(&n) => {
            Ok(kraft::model::Segment::Fixed(n))
        }
        _ => Err(format!(
            "'{s}': expected lines or a size of 1 to {} bytes",
            kraft::model::mixture::MAX_SEGMENT
        )),
    }
}

impl ModelArgs {
    /// The options for an input that starts with `head`: with a prior, its model and
    /// (unless one is given) its level; else the model given, else `grid` for PBM data
    /// or a raw grid (`--width`), else the default.
    fn options(&self, head: &[u8], prior: Option<&kraft::Prior>) -> kraft::Options {
        let threads = thread_count(self.threads);
        let model = match &self.model {
            Some(m) => m.as_str(),
            None if prior.is_none()
                && (self.width.is_some() || kraft::model::looks_like_pbm(head)) =>
            {
                "grid"
            }
            None => kraft::DEFAULT_MODEL,
        };
        let level = self
            .level
            .or(prior.map(kraft::Prior::level))
            .unwrap_or(kraft::DEFAULT_LEVEL);
        let o = kraft::Options::new()
            .model(model)
            .level(level)
            .threads(threads)
            .width(self.width.map(|w| w as usize))
            .segment(self.segment.unwrap_or(kraft::model::Segment::Lines))
            .components(self.components.and_then(|c| c.0))
            .bits_back(self.bits_back.as_deref() != Some("off"));
        let o = match self.block_size {
            Some(b) => o.block_size(b),
            None => o,
        };
        match prior {
            Some(p) => o.prior(p),
            None => o,
        }
    }

    /// The prior's model is the model: another one given is a usage error.
    fn check_prior(&self, prior: Option<&kraft::Prior>) -> Result<(), Failed> {
        match (prior, &self.model) {
            (Some(p), Some(m)) if *m != p.model_name() => Err(usage(format!(
                "the prior is for model {}, not {m}",
                p.model_name()
            ))),
            _ => Ok(()),
        }
    }

    /// Options that belong to one model, refused with any other (a usage error).
    fn check_model_options(&self, model: &str) -> Result<(), Failed> {
        if self.width.is_some() && model != "grid" {
            return Err(usage("--width is an option of the grid model (-m grid)"));
        }
        let mixture_only = [
            ("--segment", self.segment.is_some()),
            ("--components", self.components.is_some()),
            ("--bits-back", self.bits_back.is_some()),
        ];
        for (name, given) in mixture_only {
            if given && model != "mixture" {
                return Err(usage(format!(
                    "{name} is an option of the mixture model (-m mixture)"
                )));
            }
        }
        Ok(())
    }
}

#[derive(Args, Debug)]
struct CompressArgs {
    /// Files to compress.
    files: Vec<PathBuf>,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    prior: train::PriorArg,
}

#[derive(Args, Debug)]
struct DecompressArgs {
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
}

#[derive(Args, Debug)]
struct TestArgs {
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

#[derive(Args, Debug)]
struct InfoArgs {
    /// Files to describe (`-`: stdin).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    prior: train::PriorArg,
}

#[derive(Args, Debug)]
struct ReportArgs {
    /// File to analyse (`-`: stdin).
    file: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    prior: train::PriorArg,
    /// Machine-readable output (fields documented in docs/REPORT.md).
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout and succeed; every usage error exits with 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    // Interrupted (Ctrl-C, SIGTERM, SIGHUP): no partial output is left behind; inputs
    // are only removed after a complete output is in place, so they are untouched.
    let _ = ctrlc::set_handler(|| {
        files::remove_pending();
        eprintln!("kraft: interrupted");
        std::process::exit(130);
    });
    let result = match cli.command {
        Command::Compress(a) => compress_all(&a),
        Command::Decompress(a) => decompress_all(&a),
        Command::Test(a) => test_all(&a),
        Command::Info(a) => info_all(&a),
        Command::Report(a) => report(&a),
        Command::Bench(a) => bench::run(&a),
        Command::Train(a) => train::train(&a),
        Command::Corpus {
            action:
                CorpusCommand::Gen {
                    dir,
                    seed,
                    size,
                    ising_samples,
                    ising_side,
                    force,
                },
        } => corpus_gen(
            &dir,
            seed,
            size,
            ising_samples,
            usize::from(ising_side),
            force,
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failed) if USAGE.load(std::sync::atomic::Ordering::Relaxed) => ExitCode::from(2),
        Err(Failed) => ExitCode::FAILURE,
    }
}

/// Set by [`usage`]: the command line itself was wrong (exit status 2, as for clap's
/// own errors; any other failure exits with 1).
static USAGE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A usage error: options that do not go together or do not apply.
pub(crate) fn usage(what: impl std::fmt::Display) -> Failed {
    USAGE.store(true, std::sync::atomic::Ordering::Relaxed);
    fail(format!("{what} (see kraft --help)"))
}

/// Something failed; the message has been printed.
#[derive(Debug)]
pub(crate) struct Failed;

pub(crate) fn fail(what: impl std::fmt::Display) -> Failed {
    eprintln!("kraft: {what}");
    Failed
}

/// A failure while processing `name`; a reader that went away (`kraft d -c f.kft | head`)
/// is not worth a message.
fn file_error(name: &str, e: impl Into<kraft::Error>) -> Failed {
    match e.into() {
        kraft::Error::Io(e) if e.kind() == io::ErrorKind::BrokenPipe => Failed,
        e => fail(format!("{name}: {}", explain(&e))),
    }
}

/// An error as the command line states it: a memory limit names the option that
/// raises it.
fn explain(e: &kraft::Error) -> String {
    match e {
        kraft::Error::MemoryLimit { needed, .. } => format!(
            "{e}; allow it with --memory-limit {}M",
            needed.div_ceil(1 << 20)
        ),
        e => e.to_string(),
    }
}

fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => {
            let mult = match s[i..]
                .to_ascii_uppercase()
                .trim_end_matches("IB")
                .trim_end_matches('B')
            {
                "" => 1,
                "K" => 1 << 10,
                "M" => 1 << 20,
                "G" => 1 << 30,
                other => return Err(format!("unknown size suffix '{other}'")),
            };
            (&s[..i], mult)
        }
        None => (s, 1),
    };
    let n: usize = num
        .trim()
        .parse()
        .map_err(|e| format!("bad size '{s}': {e}"))?;
    n.checked_mul(mult)
        .ok_or_else(|| format!("size '{s}' too large"))
}

fn is_stdio(files: &[PathBuf]) -> bool {
    files.is_empty() || (files.len() == 1 && files[0].as_os_str() == "-")
}

/// Run `one` for every file; report each failure and go on, like gzip.
fn for_each_file(
    files: &[PathBuf],
    common: &Common,
    mut one: impl FnMut(&Path) -> Result<(), Failed>,
) -> Result<(), Failed> {
    if common.output.is_some() && files.len() > 1 {
        return Err(usage("--output takes one input file"));
    }
    if files.iter().any(|f| f.as_os_str() == "-") {
        return Err(usage("'-' (stdin) cannot be mixed with file names"));
    }
    let mut ok = true;
    for f in files {
        ok &= one(f).is_ok();
    }
    if ok { Ok(()) } else { Err(Failed) }
}

/// `-o -` means standard output, as `-c`.
fn normalize(common: &Common) -> Common {
    let mut c = common.clone();
    if c.output.as_deref().is_some_and(|p| p.as_os_str() == "-") {
        c.output = None;
        c.stdout = true;
    }
    c
}

fn compress_all(a: &CompressArgs) -> Result<(), Failed> {
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

/// Where one input file's output goes: standard output with `-c`, the `-o` path, or
/// the name `default` gives.
fn output_for(
    path: &Path,
    common: &Common,
    default: impl FnOnce() -> Result<PathBuf, Failed>,
) -> Result<Output, Failed> {
    if common.stdout {
        return Ok(Output::stdout());
    }
    let target = match &common.output {
        Some(p) => p.clone(),
        None => default()?,
    };
    Output::file_for(&target, common.force, path).map_err(fail)
}

/// `--rm` on a file with other hard links would lose nothing but surprise the user:
/// refuse unless forced, as gzip does.
fn check_rm(input: &Input, common: &Common) -> Result<(), Failed> {
    if common.rm && !common.force && input.links() > 1 {
        let name = input
            .path()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        return Err(fail(format!(
            "{name}: has {} other links -- unchanged (use -f with --rm)",
            input.links() - 1
        )));
    }
    Ok(())
}

fn with_suffix(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".kft");
    PathBuf::from(s)
}

/// Lower the thread count so that compressing fits `--memory-limit`.
fn within_memory(options: kraft::Options, common: &Common) -> kraft::Result<kraft::Options> {
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
fn compress_one(
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
fn read_up_to(input: &mut Input, buf: &mut Vec<u8>, limit: usize) -> Result<(), kraft::Error> {
    let want = limit.saturating_sub(buf.len()) as u64;
    input.take(want).read_to_end(buf)?;
    Ok(())
}

/// Copy all of `r` into `w` (kraft errors travel inside io::Error and come out again).
fn copy<R: Read + ?Sized, W: Write + ?Sized>(r: &mut R, w: &mut W) -> Result<u64, kraft::Error> {
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(unwrap_io(e)),
        };
        w.write_all(&buf[..n]).map_err(unwrap_io)?;
        total += n as u64;
    }
}

fn unwrap_io(e: io::Error) -> kraft::Error {
    if e.get_ref().is_some_and(|inner| inner.is::<kraft::Error>()) {
        let inner = e.into_inner().expect("checked above");
        *inner.downcast::<kraft::Error>().expect("checked above")
    } else {
        kraft::Error::Io(e)
    }
}

fn decompress_all(a: &DecompressArgs) -> Result<(), Failed> {
    let a = &DecompressArgs {
        files: a.files.clone(),
        common: normalize(&a.common),
        threads: a.threads,
        prior: a.prior.clone(),
    };
    let prior = a.prior.load()?;
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

/// `-T N`: 0 is one per core, and more than the cores only holds more in memory.
fn thread_count(n: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if n == 0 { cores } else { n.min(cores) }
}

/// A decoder of `input` with `threads` and `prior` under `--memory-limit`, or the
/// library's default limit.
fn decoder(
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
fn decompress_one(
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

fn test_all(a: &TestArgs) -> Result<(), Failed> {
    let prior = a.prior.load()?;
    let mut ok = true;
    for path in &a.files {
        let (input, name) = if path.as_os_str() == "-" {
            (Input::stdin(), "stdin".to_string())
        } else {
            match Input::file(path, STREAM) {
                Ok(i) => (i, path.display().to_string()),
                Err(e) => {
                    fail(e);
                    ok = false;
                    continue;
                }
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

/// Inputs that nothing is named after (`test`, `info`): read as streams.
const STREAM: Policy = Policy {
    force: false,
    stream: true,
};

fn info_all(a: &InfoArgs) -> Result<(), Failed> {
    let prior = a.prior.load()?;
    let mut ok = true;
    let mut rows = Vec::new();
    for path in &a.files {
        let stdin = path.as_os_str() == "-";
        let name = if stdin {
            "stdin".to_string()
        } else {
            path.display().to_string()
        };
        let input = if stdin {
            Ok(Input::stdin())
        } else {
            Input::file(path, STREAM)
        };
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

fn report(a: &ReportArgs) -> Result<(), Failed> {
    let name = a.file.display().to_string();
    let data = if a.file.as_os_str() == "-" {
        let mut v = Vec::new();
        io::stdin().read_to_end(&mut v).map(|_| v)
    } else {
        std::fs::read(&a.file)
    }
    .map_err(|e| fail(format!("{name}: {e}")))?;
    let prior = a.prior.load()?;
    a.model.check_prior(prior.as_ref())?;
    let options = a.model.options(&data, prior.as_ref());
    options.validate().map_err(usage)?;
    options.build_model().map_err(usage)?;
    a.model.check_model_options(options.get_model())?;
    let mut r = kraft::report(&data, &options).map_err(|e| fail(format!("{name}: {e}")))?;
    if a.file.as_os_str() != "-" {
        r.source_entropy_bits = kraft::corpus::lookup(&a.file).map(|m| m.entropy_bits);
    }
    if a.json {
        let mut v = serde_json::to_value(&r).expect("json");
        v["file"] = serde_json::Value::String(name);
        println!("{}", serde_json::to_string_pretty(&v).expect("json"));
    } else {
        println!("{name}");
        print!("{}", r.to_text());
    }
    Ok(())
}

fn corpus_gen(
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
