//! `kraft report`: achieved bits against the entropy bounds, writing nothing.

use std::io::{self, Read};
use std::path::PathBuf;

use clap::Args;

use crate::{Failed, ModelArgs, fail, train, usage};

#[derive(Args, Debug)]
pub(crate) struct ReportArgs {
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

pub(crate) fn report(a: &ReportArgs) -> Result<(), Failed> {
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
