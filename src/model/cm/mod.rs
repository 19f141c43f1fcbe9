//! `cm`: the context-mixing model, the default for real data.
//!
//! The chain rule twice: p(x_1..x_N) = Π_n p(x_n | x_<n), and each byte as 8 binary
//! decisions, p(x_n) = Π_i p(b_i | b_<i, x_<n). For each bit, context models of several
//! orders (the preceding bytes plus the partial byte, hashed into a shared table with
//! check bytes), word contexts for text, sparse and record contexts for binary and
//! tabular data, and a match model each give a probability; logistic mixers whose
//! weights are learned online (selected by small contexts) combine them, and adaptive
//! probability maps refine the result. Encoder and decoder run this same code; all of
//! it is integer arithmetic, so it is bit-exact on every machine.
//!
//! | level | orders | word | sparse, record | column | mixer sets, APMs | table (max) | block |
//! |---|---|---|---|---|---|---|---|
//! | 1 | 1–4 | – | – | – | 3, 2 | 16 MiB | 8 MiB |
//! | 2–3 | 1–4, 6 | ✓ | record | – | 3, 2 | 64 MiB | 8 MiB |
//! | 4–5 | 1–6 | ✓ | ✓ | – | 3, 2 | 128 MiB | 64 MiB |
//! | 6 (default) | 1–4, 6, 8 | ✓ | ✓ | ✓ | 3, 2 (3 on text without a prior) | 256 MiB | 64 MiB |
//! | 7 | 1–6, 8, 12, 16, 24 | ✓ | ✓ | ✓ | 3, 2 (3 on text without a prior) | 512 MiB | 64 MiB |
//! | 8 | 1–6, 8, 12, 16, 24 | ✓ | ✓ | ✓ | 5, 3 | 512 MiB | 64 MiB |
//! | 9 | 1–8, 10, 12, 16, 20, 24, two indirect contexts, and direct probabilities for orders 1–6 and the other contexts | ✓ | ✓ | ✓ | 5, 3 | 1 GiB + 128 MiB | 64 MiB |
//!
//! At levels 7–9 every hashed context also has an expected byte: the byte that followed
//! it last and its run, an input of its own while it agrees with the partial byte, and
//! the bit-history states of the six lowest orders in turn refine order 0's prediction
//! (the state chain), one more input. At levels 4–9 binary blocks also see each bit as
//! a pixel, in rows of the detected record length (fax pages, bitmaps, tables of small
//! fields). At every level, where a window of 4 KiB has cost 8 bits a byte, the bytes
//! after it are coded flat (½ a bit) and only enter the history and the match models,
//! until they stop looking random: compressed or encrypted stretches cost little time.
//!
//! Word and column contexts are used on text blocks, sparse and record contexts on
//! binary ones, word, sparse and record contexts on blocks with regions of both kinds
//! (and column contexts too where the text region comes first, which makes it a text
//! block; the choice is the block's flag bytes), and text blocks start
//! from a built-in primer (learned once for a table shape: a model of at most 16 MiB
//! keeps its primed state for the next block of the same shape, which `memory` counts). DNA blocks (levels 4–9; mostly a, c, g, t) get neither: their
//! match model follows repeats of at least 16 bases through point mutations, and a
//! second one follows inverted repeats (the reverse complement of earlier bases, read
//! backwards). The table shrinks to what the block needs (one 64-byte bucket per context
//! per twelve bytes at levels 1–6, per six at 7–9, in 2 MiB pages), so small inputs use
//! little memory at any level; `kraft info` states the decoder memory of a file.

pub(crate) mod adaptive;
#[doc(hidden)]
pub mod kernels;
#[doc(hidden)]
pub mod parts;
mod predictor;
mod primer;
mod state;

use super::{BitModel, Model, Predictor, ids};
use crate::error::{Error, Result};
use primer::PRIMED_MAX;
pub(crate) use primer::Primer;

/// Plain English learned before a text block is coded (flag bit 3 of the block
/// parameter): small files are mostly start, and the start is where a model that knows
/// nothing pays most.
const PRIMER: &[u8] = include_bytes!("primer.txt");

/// What a level turns on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Orders of the hashed byte contexts.
    pub orders: &'static [u8],
    /// Word contexts (current word; current and previous word; at levels 8–9 also the
    /// current word with the one two back).
    pub word: bool,
    /// Sparse contexts (bytes 2, 3, and 3–4 back).
    pub sparse: bool,
    /// Record contexts (bytes one and two records back).
    pub record: bool,
    /// Column contexts for text (the byte above in the previous line, with the column
    /// and with the previous byte).
    pub column: bool,
    /// Indirect contexts: the last byte and the two bytes that followed it last time,
    /// and the same for the last two bytes; with word contexts, also the previous word
    /// and the byte after it.
    pub indirect: bool,
    /// DNA (a block of mostly a, c, g, t): an inverted-repeat match model.
    pub dna: bool,
    /// Two more mixer weight sets (selected by the byte two back; by the position in
    /// the current word and the classes of the last two bytes), a third APM, and
    /// mixer updates on smaller errors.
    pub wide: bool,
    /// How many of the first orders also get a direct adaptive probability per context.
    pub direct: usize,
    /// Shortest match the match model follows.
    pub match_min: usize,
    /// log2 of the match model's index entries (at most).
    pub match_bits: u32,
    /// log2 of the shared table's 64-byte buckets (at most).
    pub table_bits: u32,
    /// Block bytes per bucket of the shared table, per context: fewer buckets mean fewer
    /// pages to clear and to miss in, and more collisions.
    pub bytes_per_bucket: usize,
    /// Long-match runs (block flag bit 6): deep in a match, the next bytes it predicts
    /// are coded as one decision, and the model skips learning them.
    pub runs: bool,
    /// Expected bytes (flag byte 2, bit 0): each hashed context's last following byte
    /// and its run are an input of their own.
    pub expect: bool,
    /// Pixel contexts (flag byte 2, bit 1): each bit of a binary block as a pixel of
    /// rows of the detected record length, from its neighbours in two templates.
    pub pixels: bool,
    /// The state chain (flag byte 2, bit 2): the bit-history states of the lowest orders'
    /// contexts (up to six) in turn refine order 0's prediction, one more mixer input.
    pub chain: bool,
    /// Noise coded flat (flag byte 2, bit 3): after a window the model coded no better
    /// than 8 bits a byte, bytes are coded with probability ½ a bit and only enter the
    /// history and the match models, until they stop looking random.
    pub noise: bool,
    /// A third APM, on the partial byte and the last three bytes (hashed), for text
    /// blocks at levels 6–7 without a prior (flag byte 2, bit 4); levels 8–9 have it
    /// with `wide`.
    pub apm3: bool,
}

/// The bits of a block's flag bytes (`docs/FORMAT.md`, "cm flags").
pub(crate) mod flag {
    /// Word contexts.
    pub const WORD: u8 = 1;
    /// Sparse contexts.
    pub const SPARSE: u8 = 2;
    /// Record contexts.
    pub const RECORD: u8 = 4;
    /// The built-in primer is learned before the block.
    pub const PRIMER: u8 = 8;
    /// Column contexts.
    pub const COLUMN: u8 = 16;
    /// DNA: the inverted-repeat and mutation-tolerant match models.
    pub const DNA: u8 = 32;
    /// Long-match runs.
    pub const RUNS: u8 = 64;
    /// A second flag byte follows.
    pub const MORE: u8 = 128;
    /// Second byte: expected bytes.
    pub const EXPECT: u8 = 1;
    /// Second byte: pixel contexts.
    pub const PIXELS: u8 = 2;
    /// Second byte: the state chain.
    pub const CHAIN: u8 = 4;
    /// Second byte: noise coded flat.
    pub const NOISE: u8 = 8;
    /// Second byte: the third APM.
    pub const APM3: u8 = 16;
}

impl Config {
    /// The flags a block of this level may carry: the context groups the level has,
    /// the primer and runs.
    fn allowed_flags(&self) -> u8 {
        let group = |on: bool, bit: u8| if on { bit } else { 0 };
        flag::PRIMER
            | flag::RUNS
            | group(self.word, flag::WORD)
            | group(self.sparse, flag::SPARSE)
            | group(self.record, flag::RECORD)
            | group(self.column, flag::COLUMN)
            | group(self.dna, flag::DNA)
    }

    /// The flags of the second byte a block of this level may carry.
    fn allowed_flags2(&self) -> u8 {
        let group = |on: bool, bit: u8| if on { bit } else { 0 };
        group(self.expect, flag::EXPECT)
            | group(self.pixels, flag::PIXELS)
            | group(self.chain, flag::CHAIN)
            | group(self.apm3, flag::APM3)
            | flag::NOISE
    }

    /// This level's configuration for a block whose parameter is `flags` and `flags2`
    /// (checked against [`Config::allowed_flags`] and [`Config::allowed_flags2`] by the
    /// caller).
    fn with_flags(&self, flags: u8, flags2: u8) -> Config {
        Config {
            expect: flags2 & flag::EXPECT != 0,
            pixels: flags2 & flag::PIXELS != 0,
            chain: flags2 & flag::CHAIN != 0,
            noise: flags2 & flag::NOISE != 0,
            apm3: flags2 & flag::APM3 != 0,
            word: flags & flag::WORD != 0,
            sparse: flags & flag::SPARSE != 0,
            record: flags & flag::RECORD != 0,
            column: flags & flag::COLUMN != 0,
            dna: flags & flag::DNA != 0,
            runs: flags & flag::RUNS != 0,
            ..self.clone()
        }
    }

    /// The configuration of `level` (1..=9).
    pub fn for_level(level: u8) -> Config {
        let (orders, word, sparse, record, table_bits): (&'static [u8], _, _, _, _) = match level {
            1 => (&[1, 2, 3, 4], false, false, false, 18),
            2 | 3 => (&[1, 2, 3, 4, 6], true, false, true, 20),
            4 | 5 => (&[1, 2, 3, 4, 5, 6], true, true, true, 21),
            6 => (&[1, 2, 3, 4, 6, 8], true, true, true, 22),
            7 | 8 => (&[1, 2, 3, 4, 5, 6, 8, 12, 16, 24], true, true, true, 23),
            _ => (
                &[1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 20, 24],
                true,
                true,
                true,
                24,
            ),
        };
        Config {
            orders,
            word,
            sparse,
            record,
            column: level >= 6,
            dna: level >= 4,
            indirect: level >= 9,
            wide: level >= 8,
            direct: if level >= 9 { 6 } else { 0 },
            match_min: if level >= 7 { 8 } else { 6 },
            match_bits: 22,
            table_bits,
            bytes_per_bucket: if level >= 7 { 6 } else { 12 },
            runs: false,
            expect: level >= 7,
            pixels: level >= 4,
            chain: level >= 7,
            noise: false,
            apm3: matches!(level, 6 | 7),
        }
    }

    /// Whether the model has the third APM.
    pub(crate) fn third_apm(&self) -> bool {
        self.wide || self.apm3
    }

    /// Number of hashed contexts.
    pub fn contexts(&self) -> usize {
        self.orders.len()
            + (2 + usize::from(self.wide)) * usize::from(self.word)
            + 3 * usize::from(self.sparse)
            + 4 * usize::from(self.record)
            + 2 * usize::from(self.column)
            + 2 * usize::from(self.indirect)
            + usize::from(self.indirect && self.word)
    }
}

/// The context-mixing model at a level.
#[derive(Clone, Debug)]
pub struct Cm {
    level: u8,
    config: Config,
    primer: Option<std::sync::Arc<Primer>>,
}

impl Cm {
    /// `cm` at `level` (1..=9).
    pub fn new(level: u8) -> Cm {
        let level = level.clamp(1, 9);
        Cm {
            level,
            config: Config::for_level(level),
            primer: None,
        }
    }

    /// The same model learning `primer`'s samples before every block (a trained prior):
    /// a stream written this way decodes only with the same samples.
    pub(crate) fn with_primer(mut self, primer: std::sync::Arc<Primer>) -> Cm {
        self.primer = Some(primer);
        self
    }

    /// Build from stream settings (one byte: the level).
    ///
    /// # Errors
    /// [`Error::Corrupt`] for anything but one byte in 1..=9.
    pub fn from_settings(settings: &[u8]) -> Result<Cm> {
        match settings {
            [l @ 1..=9] => Ok(Cm::new(*l)),
            _ => Err(Error::bad_params(
                "cm settings must be one level byte 1..=9",
            )),
        }
    }
}

/// Two `cm` models are equal when they code alike: the same level and the same prior.
impl PartialEq for Cm {
    fn eq(&self, other: &Cm) -> bool {
        self.level == other.level
            && match (&self.primer, &other.primer) {
                (None, None) => true,
                (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b),
                _ => false,
            }
    }
}

impl Eq for Cm {}

struct Bits(predictor::Predictor);

impl BitModel for Bits {
    #[inline]
    fn p1(&mut self) -> u32 {
        self.0.p1()
    }
    #[inline]
    fn update(&mut self, bit: bool) {
        self.0.update(bit)
    }
    #[inline]
    fn run(&mut self, left: usize, run: &mut Vec<u8>) -> Option<u32> {
        self.0.run(left, run)
    }
    fn run_result(&mut self, hit: bool, run: &[u8]) {
        self.0.run_result(hit, run)
    }
    #[inline]
    fn flat(&mut self) -> bool {
        self.0.flat()
    }
    fn flat_byte(&mut self, byte: u8) {
        self.0.flat_byte(byte)
    }
}

impl Model for Cm {
    fn id(&self) -> u8 {
        ids::CM
    }

    fn name(&self) -> &str {
        "cm"
    }

    fn settings(&self) -> Vec<u8> {
        vec![self.level]
    }

    fn level(&self) -> Option<u8> {
        Some(self.level)
    }

    fn filters(&self) -> bool {
        true
    }

    /// The block parameter is a flag byte: which optional context groups are on (bit 0
    /// word, bit 1 sparse, bit 2 record, bit 4 column, bit 5 DNA), chosen from the data
    /// among those the level allows (text gets word and column contexts, binary data
    /// sparse and record ones, a block of both kinds word, sparse and record ones, and
    /// column ones too when it is text first, DNA the inverted-repeat model), bit 3: the model
    /// learns the built-in primer before the block, and bit 6: long-match runs, for a
    /// large block (no prior, not DNA) that repeats a stretch of at least
    /// [`LONG_REPEAT`] bytes. Bit 7: a second byte follows, with bit 0: expected bytes
    /// ([`Config::expect`], levels 7–9), bit 1: pixel contexts ([`Config::pixels`],
    /// binary blocks at levels 4–9), bit 2: the state chain ([`Config::chain`],
    /// levels 7–9), bit 3: noise coded flat ([`Config::noise`], any level), for a
    /// block (no prior, not DNA) with a window of byte counts close to uniform, and
    /// bit 4: the third APM ([`Config::apm3`], text blocks at levels 6–7 without a
    /// prior).
    fn fit(&self, block: &[u8], params: &mut Vec<u8>) -> Result<Predictor> {
        // With a prior, the kind of data its samples are: the contexts it learned.
        let (dna, text) = match &self.primer {
            Some(p) => {
                let dna = self.config.dna && p.dna;
                (dna, !dna && p.text_like)
            }
            None => {
                let dna = self.config.dna && looks_like_dna(block);
                (dna, !dna && looks_like_text(block))
            }
        };
        let c = &self.config;
        let binary = !text && !dna;
        // Without a prior, at a level with word, sparse or record contexts: a block of
        // both kinds gets both kinds' contexts.
        let mixed =
            !dna && self.primer.is_none() && (c.word || c.sparse || c.record) && looks_mixed(block);
        let mut flags = 0u8;
        for (on, bit) in [
            (dna, flag::DNA),
            (c.word && (text || mixed), flag::WORD),
            (c.sparse && (binary || mixed), flag::SPARSE),
            (c.record && (binary || mixed), flag::RECORD),
            (text, flag::PRIMER),
            (c.column && text, flag::COLUMN),
        ] {
            if on {
                flags |= bit;
            }
        }
        // Runs pay where a block repeats long stretches; a small block or one coded
        // with a kept (primed) model keeps its flags as they were.
        if !dna
            && self.primer.is_none()
            && self.working_set(block.len()) > PRIMED_MAX
            && has_long_repeat(block)
        {
            flags |= flag::RUNS;
        }
        let mut flags2 = 0;
        for (on, bit) in [
            (c.expect, flag::EXPECT),
            (c.pixels && binary, flag::PIXELS),
            (c.chain, flag::CHAIN),
            (c.apm3 && text && self.primer.is_none(), flag::APM3),
            (
                !dna && self.primer.is_none() && predictor::may_have_noise(block),
                flag::NOISE,
            ),
        ] {
            if on {
                flags2 |= bit;
            }
        }
        if flags2 != 0 {
            params.extend([flags | flag::MORE, flags2]);
        } else {
            params.push(flags);
        }
        self.load(params, block.len())
    }

    fn load(&self, params: &[u8], len: usize) -> Result<Predictor> {
        let (flags, flags2) = match *params {
            [f] if f & flag::MORE == 0 => (f, 0),
            [f, f2] if f & flag::MORE != 0 && f2 != 0 => (f & !flag::MORE, f2),
            _ => {
                return Err(Error::bad_params(
                    "cm block parameters must be one flag byte, or two with bit 7 of the first set and the second not 0",
                ));
            }
        };
        if flags & !self.config.allowed_flags() != 0 || flags2 & !self.config.allowed_flags2() != 0
        {
            return Err(Error::bad_params(
                "cm context groups not allowed at this level",
            ));
        }
        let config = self.config.with_flags(flags, flags2);
        let model = match &self.primer {
            Some(primer) => primer.model(&config, self.level, [flags, flags2], len),
            None if self.working_set(len) <= PRIMED_MAX => {
                static BUILTIN: std::sync::OnceLock<std::sync::Arc<Primer>> =
                    std::sync::OnceLock::new();
                BUILTIN
                    .get_or_init(|| std::sync::Arc::new(Primer::builtin()))
                    .model(&config, self.level, [flags, flags2], len)
            }
            None => {
                let mut p = predictor::Predictor::new(&config, len);
                if flags & flag::PRIMER != 0 {
                    p.prime(PRIMER);
                }
                Box::new(Bits(p))
            }
        };
        Ok(Predictor::Bits(model))
    }

    /// 8 MiB at levels 1–3, 64 MiB at 4–9: large files are not cut where the model
    /// would have to learn them again (a 32 MiB tar of C headers: 6.7% smaller than in
    /// 16 MiB blocks at level 6).
    fn block_size(&self) -> usize {
        match self.level {
            1..=3 => 8 << 20,
            _ => 64 << 20,
        }
    }

    /// The model's working set for a block of `block_size` bytes: the shared table,
    /// the match index, the history, the maps and mixers, and at level 9 the direct
    /// probabilities. (The encoder and decoder each hold the block besides.)
    fn memory(&self, block_size: usize) -> usize {
        if let Some(primer) = &self.primer {
            // The model has room for the samples too; the prior keeps the primed model
            // and a copy to restore.
            let len = primer.shape_len(block_size);
            return 2 * (self.working_set(len) + self.later_parts(len));
        }
        let working = self.working_set(block_size);
        let held = working + self.later_parts(block_size);
        // A small model is kept, fresh or primed, with a copy to restore, for two
        // shapes (see `Primer`).
        if working <= PRIMED_MAX {
            4 * held
        } else {
            held
        }
    }
}

impl Cm {
    /// The memory of one predictor for a block of `block_size` bytes, as first
    /// defined. Against [`PRIMED_MAX`] it also decides which blocks the decoder primes
    /// from a kept model and which the encoder gives runs, so streams depend on this
    /// figure and it stays as it is: parts added since are in [`Cm::later_parts`].
    fn working_set(&self, block_size: usize) -> usize {
        let len = block_size.max(1);
        let c = &self.first_defined();
        let shape = predictor::Shape::of(c, len);
        let match_bits = shape.match_bits;
        let n_hashed = c.contexts();
        let n_direct = if c.direct > 0 {
            c.direct.min(c.orders.len()) + n_hashed - c.orders.len()
        } else {
            0
        };
        let direct = if n_direct > 0 { shape.direct_size } else { 0 };
        let apms = ((1 << 16) + (1 << 14) + usize::from(c.wide) * (1 << 16)) * 33 * 2;
        let n_expect = if c.expect { n_hashed } else { 0 };
        let inputs =
            n_hashed + n_expect + 2 * usize::from(c.pixels) + n_direct + 4 + 2 * usize::from(c.dna);
        let weight_sets = 256 * 3 + usize::from(c.wide) * (2048 + 2048);
        let mixers =
            inputs * 4 * weight_sets + 6 * 4 * (1 << 14) + 2 * 65536 * usize::from(c.indirect);
        shape.buckets * 64
            + (4 << match_bits) * (1 + usize::from(c.dna))
            + len
            + 4 * direct
            + apms
            + mixers
            + (n_hashed + 1) * 256 * 4
            + if c.expect {
                predictor::expect_memory(n_hashed, shape.expect_bits)
            } else {
                0
            }
            + if c.pixels {
                predictor::PIXELS_MEMORY
            } else {
                0
            }
            + (1 << 20)
    }

    /// The level's configuration as [`Cm::working_set`] counts it: without level 6's
    /// column contexts, which came later.
    fn first_defined(&self) -> Config {
        Config {
            column: self.config.column && self.level >= 7,
            ..self.config.clone()
        }
    }

    /// The memory of the parts of a predictor for a block of `block_size` bytes that
    /// [`Cm::working_set`] leaves out: the table of level 6's column contexts (a block
    /// with a text region first and a binary one has all of the level's contexts), the
    /// state chain's weights and its mixer input, the third APM of levels 6–7, and the
    /// noise detector (counted for every block: its flag is the data's).
    fn later_parts(&self, block_size: usize) -> usize {
        let c = &self.config;
        let len = block_size.max(1);
        let columns = (table_buckets(c, len) - table_buckets(&self.first_defined(), len)) * 64;
        let weight_sets = 256 * 3 + usize::from(c.wide) * (2048 + 2048);
        let chain = predictor::CHAIN_MEMORY + 4 * weight_sets;
        columns
            + usize::from(c.chain) * chain
            + usize::from(c.apm3) * (1 << 16) * 33 * 2
            + predictor::NOISE_MEMORY
    }
}
/// Buckets of the shared table for a block of `len` bytes: one 4-slot bucket per context
/// per `bytes_per_bucket` bytes, in whole 2 MiB pages, within the level's bound.
pub(crate) fn table_buckets(config: &Config, len: usize) -> usize {
    const PAGE: usize = (2 << 20) / 64;
    let want = (len.max(1) * config.contexts()).div_ceil(config.bytes_per_bucket * PAGE) * PAGE;
    want.clamp(PAGE, 1 << config.table_bits)
}

/// The shortest repeat that turns long-match runs on for a block.
pub const LONG_REPEAT: usize = 1024;

/// Whether `block` repeats a stretch of at least [`LONG_REPEAT`] bytes (an earlier
/// occurrence, possibly overlapping, as in a run of one byte). A 32-byte window is hashed
/// at every position; a small table of the last position of each hash finds near
/// repeats, and a large one of anchors (the positions whose hash has 4 given bits zero,
/// the same in every copy of a stretch) finds far ones. A candidate is checked byte by
/// byte; the scan stops at the first repeat found.
fn has_long_repeat(block: &[u8]) -> bool {
    const W: usize = 32;
    const NEAR_BITS: u32 = 16;
    const FAR_BITS: u32 = 20;
    const MUL: u64 = 0x9e37_79b9_7f4a_7c15;
    if block.len() < LONG_REPEAT + 1 {
        return false;
    }
    let repeats = |c: usize, i: usize| {
        block.len() - i >= LONG_REPEAT
            && block[c..c + W] == block[i..i + W]
            && block[c..c + LONG_REPEAT] == block[i..i + LONG_REPEAT]
    };
    // A polynomial hash of the window, rolled one byte at a time (mod 2^64).
    let out = MUL.wrapping_pow(W as u32);
    let mut h = 0u64;
    for &b in &block[..W] {
        h = h.wrapping_mul(MUL).wrapping_add(u64::from(b));
    }
    let mut near = vec![0u32; 1 << NEAR_BITS];
    let mut far = vec![0u32; 1 << FAR_BITS];
    let mut i = 0;
    loop {
        let mixed = h.wrapping_mul(MUL);
        let slot = (mixed >> (64 - NEAR_BITS)) as usize;
        if near[slot] > 0 && repeats(near[slot] as usize - 1, i) {
            return true;
        }
        near[slot] = (i + 1) as u32;
        if (mixed >> 20) & 15 == 0 {
            let slot = (mixed >> 24) as usize & ((1 << FAR_BITS) - 1);
            if far[slot] > 0 && repeats(far[slot] as usize - 1, i) {
                return true;
            }
            far[slot] = (i + 1) as u32;
        }
        if i + W >= block.len() {
            return false;
        }
        h = h
            .wrapping_mul(MUL)
            .wrapping_sub(u64::from(block[i]).wrapping_mul(out))
            .wrapping_add(u64::from(block[i + W]));
        i += 1;
    }
}

/// DNA: at least 90% of a sample of at least 1 KiB is the letters a, c, g, t (either
/// case).
fn looks_like_dna(block: &[u8]) -> bool {
    let sample = &block[..block.len().min(1 << 20)];
    let bases = sample
        .iter()
        .filter(|&&b| matches!(b.to_ascii_lowercase(), b'a' | b'c' | b'g' | b't'))
        .count();
    sample.len() >= 1024 && bases * 10 >= sample.len() * 9
}

/// The bytes of `sample` that text is made of: printable ASCII, whitespace and bytes of
/// UTF-8 sequences.
fn texty(sample: &[u8]) -> usize {
    sample
        .iter()
        .filter(|&&b| matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7e | 0x80..=0xf4))
        .count()
}

/// The stretch of a block whose kind [`looks_like_text`] and [`looks_mixed`] judge.
const REGION: usize = 1 << 20;

/// Text: at least 95% of the block's first [`REGION`] is [`texty`].
fn looks_like_text(block: &[u8]) -> bool {
    let sample = &block[..block.len().min(REGION)];
    texty(sample) * 20 >= sample.len() * 19
}

/// Text and binary data in one block: of its regions of [`REGION`] bytes (a last one of
/// at least a quarter of that counted too), one is text and another less than 80%
/// [`texty`] (a database of text records and binary tables, an executable and its
/// strings). Such a block gets the contexts of both kinds: on a 3.7 MB man-db index
/// (text first) word, sparse and record contexts together write 8.2% less than word
/// contexts alone (and takes half as long again to compress, its text region having
/// twice the contexts); on 16 MB of an ELF library (binary first) 0.6% less than sparse
/// and record contexts alone, at the same speed.
fn looks_mixed(block: &[u8]) -> bool {
    let (mut text, mut binary) = (false, false);
    for region in block.chunks(REGION).filter(|r| r.len() >= REGION / 4) {
        let t = texty(region);
        text |= t * 20 >= region.len() * 19;
        binary |= t * 5 < region.len() * 4;
    }
    text && binary
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The probabilities a model gives every bit of `data`, learning as it goes.
    fn run(mut p: predictor::Predictor, data: &[u8]) -> Vec<u32> {
        let mut out = Vec::with_capacity(8 * data.len());
        for &byte in data {
            for i in (0..8).rev() {
                out.push(p.p1());
                p.update((byte >> i) & 1 == 1);
            }
        }
        out
    }

    #[test]
    fn a_small_block_without_a_prior_gets_the_model_a_fresh_one_would_be() {
        let text = b"Context mixing, primed: the copy must be the same model. ".repeat(20);
        let mut binary = Vec::new();
        for i in 0..300u32 {
            binary.extend_from_slice(&(i * 40_503).to_le_bytes());
        }
        for level in [1u8, 6, 9] {
            let cm = Cm::new(level);
            for data in [&text[..], &binary[..]] {
                let mut params = Vec::new();
                drop(cm.fit(data, &mut params).unwrap());
                let flags = params[0] & !flag::MORE;
                let flags2 = params.get(1).copied().unwrap_or(0);
                assert_eq!(
                    flags2 & flag::EXPECT != 0,
                    level >= 7,
                    "expected bytes at levels 7–9"
                );
                assert_eq!(
                    flags2 & flag::PIXELS != 0,
                    level >= 4 && data == &binary[..],
                    "pixels for binary blocks at levels 4–9"
                );
                assert_eq!(
                    flags & flag::PRIMER != 0,
                    data == &text[..],
                    "text is primed"
                );
                assert!(cm.working_set(data.len()) <= PRIMED_MAX, "level {level}");
                let config = cm.config.with_flags(flags, flags2);
                let mut fresh = predictor::Predictor::new(&config, data.len());
                if flags & flag::PRIMER != 0 {
                    fresh.prime(PRIMER);
                }
                let expected = run(fresh, data);
                // The first loads may make the kept model (or find one another test
                // left); later ones restore a used copy of it.
                for _ in 0..3 {
                    let Predictor::Bits(mut m) = cm.load(&params, data.len()).unwrap() else {
                        panic!("cm predicts bits")
                    };
                    assert_eq!(run_bits(m.as_mut(), data), expected, "level {level}");
                }
            }
        }
    }

    /// The memory a level 6 stream states bounds the table of a block with a text
    /// region first and a binary one after, which has all of the level's contexts
    /// (column ones included) where the working set counts 15.
    #[test]
    fn stated_memory_bounds_a_text_first_mixed_blocks_table() {
        let cm = Cm::new(6);
        for len in [2_600_000, 2_900_000, 8 << 20] {
            let block = Config {
                column: true,
                ..cm.config
                    .with_flags(flag::WORD | flag::SPARSE | flag::RECORD, 0)
            };
            assert_eq!(block.contexts(), 17);
            let table = predictor::Shape::of(&block, len).buckets * 64;
            let counted = predictor::Shape::of(&cm.first_defined(), len).buckets * 64;
            assert!(
                cm.memory(len) >= cm.working_set(len) - counted + table,
                "{len}: {} < {}",
                cm.memory(len),
                cm.working_set(len) - counted + table
            );
        }
    }

    /// A block with a region of text and a region of binary data, in either order, gets
    /// word, sparse and record contexts (where the level has them); a block of one
    /// kind, or whose other kind is less than a quarter region at its end, keeps its own.
    #[test]
    fn blocks_of_both_kinds_get_both_kinds_of_contexts() {
        let line = b"a man-db index: names, sections, descriptions. ";
        let text = line.repeat(REGION / line.len() + 1);
        let text = &text[..REGION];
        let mut x = 7u32;
        let binary: Vec<u8> = (0..REGION)
            .map(|i| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                if i % 4 == 0 { (x >> 24) as u8 } else { 0 }
            })
            .collect();
        let flags = |level: u8, block: &[u8]| {
            let mut params = Vec::new();
            drop(Cm::new(level).fit(block, &mut params).unwrap());
            params[0] & (flag::WORD | flag::SPARSE | flag::RECORD | flag::PRIMER)
        };
        let both = [text, &binary].concat();
        let reversed = [&binary[..], text].concat();
        let all = flag::WORD | flag::SPARSE | flag::RECORD;
        assert!(looks_mixed(&both) && looks_mixed(&reversed));
        assert_eq!(flags(6, &both), all | flag::PRIMER, "text first: primed");
        assert_eq!(flags(6, &reversed), all, "binary first");
        // Level 2 has word and record contexts, not sparse ones.
        assert_eq!(flags(2, &both), flag::WORD | flag::RECORD | flag::PRIMER);
        assert_eq!(flags(6, text), flag::WORD | flag::PRIMER);
        assert_eq!(flags(6, &binary), flag::SPARSE | flag::RECORD);
        let tail = [text, &binary[..REGION / 4 - 1]].concat();
        assert!(!looks_mixed(&tail));
        assert_eq!(flags(6, &tail), flag::WORD | flag::PRIMER);
        let tail = [text, &binary[..REGION / 4]].concat();
        assert!(looks_mixed(&tail), "a last quarter region counts");
        // A text-first block is text: at level 6 it has column contexts and the third
        // APM too, and no pixel contexts.
        let mut params = Vec::new();
        drop(Cm::new(6).fit(&both, &mut params).unwrap());
        assert_eq!(params[0] & flag::COLUMN, flag::COLUMN);
        assert_eq!(params[1] & (flag::APM3 | flag::PIXELS), flag::APM3);
        params.clear();
        drop(Cm::new(6).fit(&reversed, &mut params).unwrap());
        assert_eq!(params[0] & flag::COLUMN, 0);
        assert_eq!(params[1] & (flag::APM3 | flag::PIXELS), flag::PIXELS);
    }

    /// A block's flags are one byte, or two when bit 7 of the first is set: at levels
    /// 6–9 the encoder writes the second for text (levels 6–7: the third APM; 7–9:
    /// expected bytes, the state chain), a block of one byte still loads there (without
    /// them), and every other form is refused with an error.
    /// (Binary blocks at levels 4–9 also get pixel contexts: see the test above.)
    #[test]
    fn flag_bytes_one_or_two_and_nothing_else() {
        let data = b"expected bytes follow their contexts; ".repeat(30);
        for level in 1..=9u8 {
            let cm = Cm::new(level);
            let mut params = Vec::new();
            drop(cm.fit(&data, &mut params).unwrap());
            let two = level >= 7;
            let second = level >= 6;
            assert_eq!(params.len(), if second { 2 } else { 1 }, "level {level}");
            assert_eq!(params[0] & flag::MORE != 0, second);
            let apm3 = if matches!(level, 6 | 7) {
                flag::APM3
            } else {
                0
            };
            if two {
                assert_eq!(params[1], flag::EXPECT | flag::CHAIN | apm3);
            } else if second {
                assert_eq!(params[1], apm3);
            }
            let f = params[0] & !flag::MORE;
            assert!(cm.load(&[f], data.len()).is_ok(), "level {level}: one byte");
            let refused = |p: &[u8]| cm.load(p, data.len()).is_err();
            assert!(refused(&[]), "level {level}: none");
            assert!(
                refused(&[f | flag::MORE]),
                "level {level}: the second missing"
            );
            assert!(
                refused(&[f | flag::MORE, 0]),
                "level {level}: a second of 0"
            );
            assert!(
                refused(&[f, flag::EXPECT]),
                "level {level}: a second unannounced"
            );
            assert!(
                refused(&[f | flag::MORE, 32]),
                "level {level}: an unknown bit"
            );
            assert_eq!(
                refused(&[f | flag::MORE, flag::APM3]),
                !matches!(level, 6 | 7),
                "level {level}: the third APM"
            );
            assert!(
                !refused(&[f | flag::MORE, flag::NOISE]),
                "level {level}: noise coded flat"
            );
            assert_eq!(
                refused(&[f | flag::MORE, flag::PIXELS]),
                level < 4,
                "level {level}: pixels"
            );
            assert_eq!(
                refused(&[f | flag::MORE, flag::CHAIN]),
                !two,
                "level {level}: the state chain"
            );
            assert!(
                refused(&[f | flag::MORE, 1, 1]),
                "level {level}: three bytes"
            );
            assert_eq!(
                refused(&[f | flag::MORE, flag::EXPECT]),
                !two,
                "level {level}"
            );
        }
    }

    /// Code `data` through a bit model, returning every probability it gave.
    fn run_bits(m: &mut dyn BitModel, data: &[u8]) -> Vec<u32> {
        let mut out = Vec::with_capacity(8 * data.len());
        for &byte in data {
            for i in (0..8).rev() {
                out.push(m.p1());
                m.update((byte >> i) & 1 == 1);
            }
        }
        out
    }

    #[test]
    fn a_restored_copy_of_a_prior_model_is_the_primed_model_again() {
        let text =
            b"{\"name\": \"kraft\", \"level\": 6, \"tags\": [\"cm\", \"prior\"]}\n".repeat(60);
        let mut binary = Vec::new();
        for i in 0..3000u32 {
            binary.extend_from_slice(&(i * 7919).to_le_bytes());
            binary.push((i % 7) as u8);
        }
        let dna: Vec<u8> = (0..3000u32)
            .map(|i| b"acgt"[((i * 2_654_435_761) >> 30) as usize])
            .collect();
        for level in [1u8, 6, 9] {
            for samples in [&text[..], &binary[..], &dna[..]] {
                let primer = std::sync::Arc::new(Primer::new(samples.to_vec()));
                let cm = Cm::new(level).with_primer(primer.clone());
                let a: Vec<u8> = samples.iter().rev().take(700).copied().collect();
                let b = &samples[100..900];
                let mut params = Vec::new();
                let flags = {
                    let Predictor::Bits(mut m) = cm.fit(&a, &mut params).unwrap() else {
                        panic!("cm predicts bits")
                    };
                    // Record a writes into the journaled copy, which goes back to the pool.
                    run_bits(m.as_mut(), &a);
                    params[0]
                };
                let Predictor::Bits(mut m) = cm.load(&params, b.len()).unwrap() else {
                    panic!("cm predicts bits")
                };
                let restored = run_bits(m.as_mut(), b);
                drop(m);
                // The primed model itself, never used, predicts the same for record b.
                let (_, primed) = primer.cache.lock().unwrap()[0].clone();
                let mut fresh = (*primed).clone();
                let expected: Vec<u32> = {
                    let mut out = Vec::new();
                    for &byte in b {
                        for i in (0..8).rev() {
                            out.push(fresh.p1());
                            fresh.update((byte >> i) & 1 == 1);
                        }
                    }
                    out
                };
                let first = restored.iter().zip(&expected).position(|(a, b)| a != b);
                assert!(
                    restored == expected,
                    "level {level}, flags {flags:#x}: first difference at bit {first:?}"
                );
                // And its whole state is the primed one after a restore.
                let (_, mut used) = primer.pool.lock().unwrap().pop().unwrap();
                used.restore(&primed);
                assert!(used.same_state(&primed), "level {level}, flags {flags:#x}");
            }
        }
    }
}
