//! Trained priors: a model learned once from a set of samples, against which each new
//! record is coded.
//!
//! A data set of similar records is a sample of one source; a model fitted to the set
//! codes a new record in about −log2 p(record) bits under that fit, where a model
//! starting from nothing pays to learn the source again in every record. [`Prior::train`]
//! fits one; [`crate::Options::prior`] and [`crate::Decoder::prior`] use it. What a prior
//! holds depends on the model:
//!
//! - `cm`: samples chosen from the set, which the model learns before every block (the
//!   state they leave is computed once and copied per block). The samples do not depend
//!   on the level: a `cm` prior works at every level.
//! - `iid`: a byte table fitted to the whole set; each block is coded with it or with a
//!   table of its own, whichever is smaller.
//! - `mixture`: components and their weights π fitted by EM to the set's segments (each
//!   sample cut on its own); every block is coded with them by bits-back, and its
//!   parameters are only where its naive tail starts.
//! - `grid`: sample images (PBM) chosen from the set, which the model codes before every
//!   block, its count tables sized for both.
//!
//! A stream coded with a prior records the prior's id (the first 8 bytes of the SHA-256
//! of its model and body); decoding it without that prior, or with another one, fails
//! with an error naming the id.
//!
//! The prior file (`.kfp`), all integers little-endian:
//!
//! ```text
//! prior = "KRFP" version:u8 model:u8 level:u8 body_len:varint body id:u64 crc:u32
//! ```
//!
//! `body` is the model's (above: the samples; the `iid` table), `id` is as stated and
//! checked, `crc` is the CRC-32 of every byte before it. `docs/FORMAT.md` has the details.

use std::fmt;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::format::varint;
use crate::model::{Cm, Grid, Model, cm, ids, iid, mixture};

/// The first four bytes of every prior file.
pub const PRIOR_MAGIC: [u8; 4] = *b"KRFP";
/// The prior format version this build writes and reads.
pub const PRIOR_VERSION: u8 = 1;
/// The size a `cm` prior's samples are kept within when no size is given: 256 KiB.
pub const DEFAULT_PRIOR_SIZE: usize = 256 << 10;
/// The largest prior body a reader accepts (64 MiB): learning it bounds the work of
/// loading a prior.
pub const MAX_PRIOR_BODY: u64 = 64 << 20;

/// A model trained on a set of samples (see the module documentation).
///
/// Cheap to clone: clones share the samples and the primed model state.
#[derive(Clone)]
pub struct Prior {
    inner: Arc<Inner>,
}

struct Inner {
    model: u8,
    level: u8,
    body: Vec<u8>,
    id: u64,
    kind: Kind,
}

enum Kind {
    Cm(Arc<cm::Primer>),
    /// PBM images the grid model codes before every block.
    Grid(Arc<Vec<u8>>),
    Iid(Box<iid::Trained>),
    Mixture(Box<mixture::Trained>),
}

impl fmt::Debug for Prior {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prior")
            .field("id", &format_args!("{}", self.id_hex()))
            .field("model", &crate::model::model_name(self.inner.model))
            .field("level", &self.inner.level)
            .field("body", &self.inner.body.len())
            .finish()
    }
}

impl PartialEq for Prior {
    fn eq(&self, other: &Prior) -> bool {
        self.inner.id == other.inner.id && self.inner.body == other.inner.body
    }
}

impl Eq for Prior {}

impl Prior {
    /// A prior of `model` at `level` with `body`, checked.
    pub(crate) fn build(model: u8, level: u8, body: Vec<u8>) -> Result<Prior> {
        let kind = match model {
            ids::CM => Kind::Cm(Arc::new(cm::Primer::new(body.clone()))),
            ids::GRID => Kind::Grid(Arc::new(body.clone())),
            ids::IID => {
                let mut input = &body[..];
                let freq = iid::read_table(&mut input)
                    .map_err(|e| bad(format!("its i.i.d. table: {e}")))?;
                if !input.is_empty() {
                    return Err(bad("bytes after its i.i.d. table"));
                }
                Kind::Iid(Box::new(
                    iid::Trained::new(freq).map_err(|e| bad(e.to_string()))?,
                ))
            }
            ids::MIXTURE => Kind::Mixture(Box::new(
                mixture::Trained::from_body(&body).map_err(|e| bad(format!("its mixture: {e}")))?,
            )),
            other => return Err(bad(format!("model id {other} takes no prior"))),
        };
        if !(1..=9).contains(&level) {
            return Err(bad(format!("level {level} out of range")));
        }
        let id = content_id(model, &body);
        Ok(Prior {
            inner: Arc::new(Inner {
                model,
                level,
                body,
                id,
                kind,
            }),
        })
    }

    /// Serialize as a prior file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let i = &self.inner;
        let mut out = Vec::with_capacity(i.body.len() + 32);
        out.extend_from_slice(&PRIOR_MAGIC);
        out.push(PRIOR_VERSION);
        out.push(i.model);
        out.push(i.level);
        varint::write(&mut out, i.body.len() as u64);
        out.extend_from_slice(&i.body);
        out.extend_from_slice(&i.id.to_le_bytes());
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Read a prior file, checking magic, version, sizes, checksum and id.
    ///
    /// # Errors
    /// [`Error::BadPrior`] saying what is wrong: not a prior, another version, damaged.
    pub fn from_bytes(bytes: &[u8]) -> Result<Prior> {
        let Some(rest) = bytes.strip_prefix(&PRIOR_MAGIC) else {
            return Err(bad("not a kraft prior (bad magic bytes)"));
        };
        let [version, model, level, rest @ ..] = rest else {
            return Err(bad("truncated"));
        };
        if *version != PRIOR_VERSION {
            return Err(bad(format!(
                "format version {version} (this build reads version {PRIOR_VERSION})"
            )));
        }
        let mut input = rest;
        let body_len = varint::read(&mut input).map_err(|_| bad("truncated"))?;
        if body_len > MAX_PRIOR_BODY {
            return Err(bad(format!("body of {body_len} bytes is too large")));
        }
        if (input.len() as u64) < body_len + 12 {
            return Err(bad("truncated"));
        }
        let (body, tail) = input.split_at(body_len as usize);
        if tail.len() != 12 {
            return Err(bad(format!("{} bytes after its end", tail.len() - 12)));
        }
        let stored_crc = u32::from_le_bytes(tail[8..].try_into().expect("4 bytes"));
        let crc = crc32fast::hash(&bytes[..bytes.len() - 4]);
        if crc != stored_crc {
            return Err(bad(format!(
                "damaged (checksum {stored_crc:#010x}, computed {crc:#010x})"
            )));
        }
        let id = u64::from_le_bytes(tail[..8].try_into().expect("8 bytes"));
        let prior = Prior::build(*model, *level, body.to_vec())?;
        if prior.inner.id != id {
            return Err(bad("its id does not match its content"));
        }
        Ok(prior)
    }

    /// The prior's id, as streams coded with it record it.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// The id as 16 hexadecimal digits, as messages and `kraft info` show it.
    pub fn id_hex(&self) -> String {
        format!("{:016x}", self.inner.id)
    }

    /// The name of the model the prior is for.
    pub fn model_name(&self) -> String {
        crate::model::model_name(self.inner.model)
    }

    /// The level it was trained at (the default level for coding with it).
    pub fn level(&self) -> u8 {
        self.inner.level
    }

    /// Bytes of the model's body (the samples of a `cm` prior).
    pub fn body_len(&self) -> usize {
        self.inner.body.len()
    }

    /// The samples a `cm` or `grid` prior learns, in order (empty for other models).
    pub fn samples(&self) -> &[u8] {
        match &self.inner.kind {
            Kind::Cm(p) => p.text(),
            Kind::Grid(samples) => samples,
            Kind::Iid(_) | Kind::Mixture(_) => &[],
        }
    }

    /// The model that decodes a stream of model id `model` with `settings` coded with
    /// this prior (what [`crate::Decoder`] builds, e.g. for [`crate::decoder_memory`];
    /// from options: `Prior::model_for`).
    ///
    /// # Errors
    /// [`Error::PriorModel`] if the prior is for another model; the model's own errors
    /// for bad settings.
    pub fn model_for_stream(&self, model: u8, settings: &[u8]) -> Result<Box<dyn Model>> {
        if model != self.inner.model {
            return Err(Error::PriorModel {
                prior: self.model_name(),
                stream: crate::model::model_name(model),
            });
        }
        Ok(match &self.inner.kind {
            Kind::Cm(primer) => Box::new(Cm::from_settings(settings)?.with_primer(primer.clone())),
            Kind::Grid(samples) => {
                Box::new(Grid::from_settings(settings)?.with_primer(samples.clone()))
            }
            Kind::Iid(trained) => {
                if !settings.is_empty() {
                    return Err(Error::bad_params("iid takes no settings"));
                }
                Box::new(trained.as_ref().clone())
            }
            Kind::Mixture(trained) => {
                if settings != trained.settings() {
                    return Err(Error::bad_params(
                        "mixture settings differ from the prior's",
                    ));
                }
                Box::new(trained.as_ref().clone())
            }
        })
    }

    /// The model that codes with this prior at `level`.
    pub(crate) fn model_for(&self, name: &str, level: u8) -> Result<Box<dyn Model>> {
        match name {
            "cm" => self.model_for_stream(ids::CM, &[level]),
            "grid" => self.model_for_stream(ids::GRID, &[level]),
            "iid" => self.model_for_stream(ids::IID, &[]),
            "mixture" => match &self.inner.kind {
                Kind::Mixture(t) => self.model_for_stream(ids::MIXTURE, &t.settings()),
                _ => self.model_for_stream(ids::MIXTURE, &[]),
            },
            other => Err(Error::PriorModel {
                prior: self.model_name(),
                stream: other.to_string(),
            }),
        }
    }
}

fn bad(what: impl Into<String>) -> Error {
    Error::BadPrior(what.into())
}

/// The first 8 bytes of SHA-256 over the model id and the body, little-endian.
fn content_id(model: u8, body: &[u8]) -> u64 {
    let mut h = Sha256::new();
    h.update(b"kraft prior\0");
    h.update([model]);
    h.update(body);
    let digest = h.finalize();
    u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
}
