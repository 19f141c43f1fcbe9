//! `kraft`: the command-line front end (gzip/zstd conventions). This file holds the
//! command line, the options the commands share and the helpers they share; each
//! command is a module of its own.

mod bench;
mod compress;
mod corpus;
mod decompress;
mod files;
mod info;
mod list;
mod report;
mod test;
mod train;

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use files::{Input, Output, Policy};

/// Lossless compression with learned entropy models, reported against the Shannon bound.
#[derive(Parser, Debug)]
#[command(name = "kraft", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Compress FILEs to FILE.kft (no FILE or `-`: stdin to stdout).
    #[command(visible_alias = "c")]
    Compress(compress::CompressArgs),
    /// Restore FILE from FILE.kft (no FILE or `-`: stdin to stdout).
    #[command(visible_alias = "d")]
    Decompress(decompress::DecompressArgs),
    /// Check that .kft files decode exactly (checksums included); writes nothing.
    #[command(visible_alias = "t")]
    Test(test::TestArgs),
    /// Show model, sizes, ratio, bits per byte and checksum of .kft files.
    Info(info::InfoArgs),
    /// List every block of .kft files: original and compressed offsets, sizes, kind, CRC.
    List(list::ListArgs),
    /// Entropy report of FILE under a model: achieved bits against the bounds; writes nothing.
    Report(report::ReportArgs),
    /// Compress, decompress and verify files (default: the generated corpora) with kraft's models and the peers on PATH: bits against entropy, speed, memory.
    Bench(bench::BenchArgs),
    /// Learn a prior from sample files (e.g. a directory of small records), for coding
    /// similar files with -D PRIOR.
    Train(train::TrainArgs),
    /// Synthetic corpora with exactly known entropy.
    Corpus {
        #[command(subcommand)]
        action: corpus::CorpusCommand,
    },
}

#[derive(Args, Debug, Clone)]
pub(crate) struct Common {
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
pub(crate) struct ModelArgs {
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
    /// Write a block index after the stream, so that `kraft decompress --range` decodes
    /// only the blocks a range is in (a few bytes per block).
    #[arg(long)]
    index: bool,
}

/// `--components`: a number or `auto`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Components(Option<usize>);

pub(crate) fn parse_components(s: &str) -> Result<Components, String> {
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
pub(crate) const MIN_BLOCK_SIZE: usize = 1 << 10;

pub(crate) fn parse_block_size(s: &str) -> Result<usize, String> {
    let n = parse_size(s)?;
    let max = kraft::format::MAX_BLOCK_SIZE as usize;
    if (MIN_BLOCK_SIZE..=max).contains(&n) {
        Ok(n)
    } else {
        Err(format!("'{s}': expected a block size of 1K to 1G"))
    }
}

pub(crate) fn parse_segment(s: &str) -> Result<kraft::model::Segment, String> {
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
        // The string form for every model; the models with options of their own get
        // their value, built from the flags.
        let spec = match model {
            "grid" if prior.is_none() => kraft::ModelSpec::Grid(
                kraft::model::Grid::new(level).width(self.width.map(|w| w as usize)),
            ),
            "mixture" if prior.is_none() => kraft::ModelSpec::Mixture(
                kraft::model::Mixture::new()
                    .segment(self.segment.unwrap_or(kraft::model::Segment::Lines))
                    .components(self.components.and_then(|c| c.0))
                    .bits_back(self.bits_back.as_deref() != Some("off")),
            ),
            name => kraft::ModelSpec::from(name),
        };
        let o = kraft::Options::new()
            .model(spec)
            .level(level)
            .threads(threads);
        let o = match self.block_size {
            Some(b) => o.block_size(b),
            None => o,
        }
        .index(self.index);
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
        Command::Compress(a) => compress::compress_all(&a),
        Command::Decompress(a) => decompress::decompress_all(&a),
        Command::Test(a) => test::test_all(&a),
        Command::Info(a) => info::info_all(&a),
        Command::List(a) => list::list_all(&a),
        Command::Report(a) => report::report(&a),
        Command::Bench(a) => bench::run(&a),
        Command::Train(a) => train::train(&a),
        Command::Corpus {
            action:
                corpus::CorpusCommand::Gen {
                    dir,
                    seed,
                    size,
                    ising_samples,
                    ising_side,
                    force,
                },
        } => corpus::corpus_gen(
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
pub(crate) static USAGE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

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

/// Write `text` to standard output; a reader that went away (`kraft list f | head`)
/// ends the command quietly, never in a panic.
pub(crate) fn print_out(text: &str) -> Result<(), Failed> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(Failed),
        Err(e) => Err(fail(format!("standard output: {e}"))),
    }
}

/// A failure while processing `name`; a reader that went away (`kraft d -c f.kft | head`)
/// is not worth a message.
pub(crate) fn file_error(name: &str, e: impl Into<kraft::Error>) -> Failed {
    match e.into() {
        kraft::Error::Io(e) if e.kind() == io::ErrorKind::BrokenPipe => Failed,
        e => fail(format!("{name}: {}", explain(&e))),
    }
}

/// An error as the command line states it: a memory limit names the option that
/// raises it.
pub(crate) fn explain(e: &kraft::Error) -> String {
    match e {
        kraft::Error::MemoryLimit { needed, .. } => format!(
            "{e}; allow it with --memory-limit {}M",
            needed.div_ceil(1 << 20)
        ),
        e => e.to_string(),
    }
}

pub(crate) fn parse_size(s: &str) -> Result<usize, String> {
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

pub(crate) fn is_stdio(files: &[PathBuf]) -> bool {
    files.is_empty() || (files.len() == 1 && files[0].as_os_str() == "-")
}

/// Run `one` for every file; report each failure and go on, like gzip.
pub(crate) fn for_each_file(
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
pub(crate) fn normalize(common: &Common) -> Common {
    let mut c = common.clone();
    if c.output.as_deref().is_some_and(|p| p.as_os_str() == "-") {
        c.output = None;
        c.stdout = true;
    }
    c
}

/// Where one input file's output goes: standard output with `-c`, the `-o` path, or
/// the name `default` gives.
pub(crate) fn output_for(
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
pub(crate) fn check_rm(input: &Input, common: &Common) -> Result<(), Failed> {
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

/// Copy all of `r` into `w` (kraft errors travel inside io::Error and come out again).
pub(crate) fn copy<R: Read + ?Sized, W: Write + ?Sized>(
    r: &mut R,
    w: &mut W,
) -> Result<u64, kraft::Error> {
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

pub(crate) fn unwrap_io(e: io::Error) -> kraft::Error {
    if e.get_ref().is_some_and(|inner| inner.is::<kraft::Error>()) {
        let inner = e.into_inner().expect("checked above");
        *inner.downcast::<kraft::Error>().expect("checked above")
    } else {
        kraft::Error::Io(e)
    }
}

/// `-T N`: 0 is one per core, and more than the cores only holds more in memory.
pub(crate) fn thread_count(n: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if n == 0 { cores } else { n.min(cores) }
}

/// An input that is only read (`test`, `info`, `list`): `-` is stdin. Returns its name
/// for messages, and the input or the message of why it cannot be opened.
pub(crate) fn read_only_input(path: &Path) -> (String, Result<Input, String>) {
    if path.as_os_str() == "-" {
        ("stdin".to_string(), Ok(Input::stdin()))
    } else {
        (path.display().to_string(), Input::file(path, STREAM))
    }
}

/// Inputs that nothing is named after (`test`, `info`): read as streams.
pub(crate) const STREAM: Policy = Policy {
    force: false,
    stream: true,
};
