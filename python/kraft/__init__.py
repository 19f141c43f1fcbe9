"""kraft: lossless compression with learned entropy models, reported against the
Shannon bound.

>>> import kraft
>>> data = b"to be or not to be " * 100
>>> packed = kraft.compress(data)
>>> kraft.decompress(packed) == data
True

Every function takes any object with the buffer protocol (bytes, bytearray,
memoryview, numpy arrays, contiguous or not) and returns bytes. The GIL is released
while coding, so threads compress in parallel.
"""

import json as _json

from . import _kraft
from ._buffers import as_bytes as _as_bytes
from ._file import open
from . import errors
from .errors import (
    BadPriorError,
    ChecksumError,
    CorruptError,
    FormatError,
    KraftError,
    MemoryLimitError,
    OptionError,
    PriorMismatchError,
    TruncatedError,
    UnknownModelError,
)

Prior = _kraft.Prior
Compressor = _kraft.Compressor
DEFAULT_LEVEL = _kraft.DEFAULT_LEVEL
DEFAULT_MEMORY_LIMIT = _kraft.DEFAULT_MEMORY_LIMIT
DEFAULT_PRIOR_SIZE = _kraft.DEFAULT_PRIOR_SIZE
MODELS = ("cm", "iid", "mixture", "grid")


def _model_of(prior, model, level):
    """The model and level of a call with ``prior``: the prior's model (it decides) and,
    unless one is given, its level; else ``model`` and ``level`` (default 6)."""
    if prior is None:
        return model, DEFAULT_LEVEL if level is None else level
    if not isinstance(prior, Prior):
        raise TypeError(f"kraft: prior must be a kraft.Prior, not {type(prior).__name__}")
    return prior.model, prior.level if level is None else level


def compress(data, model="cm", level=None, *, prior=None, block_size=None, threads=1, **model_options):
    """Compress ``data`` into a kraft stream (bytes).

    ``model``: ``"cm"`` (context mixing, the default), ``"iid"``, ``"mixture"`` (takes
    ``segment="lines"`` or a size, ``components``, ``bits_back``) or ``"grid"`` (takes
    ``width`` for raw bit grids); ``level`` 1 to 9 (default 6, or the prior's);
    ``prior``: a :class:`Prior` (the model is then the prior's); ``threads``: blocks
    coded at once.
    """
    model, level = _model_of(prior, model, level)
    return _kraft.compress(
        _as_bytes(data), model, level, prior=prior, block_size=block_size, threads=threads, **model_options
    )


def decompress(data, *, prior=None, memory_limit=DEFAULT_MEMORY_LIMIT, threads=1):
    """Decompress a kraft stream (or several concatenated) into bytes.

    A stream coded with a prior needs the same ``prior``. Streams that would need more
    than ``memory_limit`` bytes to decode (``None``: no limit) raise
    :class:`MemoryLimitError` before anything is allocated.
    """
    return _kraft.decompress(_as_bytes(data), prior=prior, memory_limit=memory_limit, threads=threads)


def report(data, model="cm", level=None, *, prior=None, block_size=None, **model_options):
    """Compress ``data`` in memory and return the entropy report as a dict: the same
    fields as ``kraft report --json`` (achieved bits against H0..Hk, the model's
    cross-entropy, coder overhead, what a prior saved; see docs/REPORT.md)."""
    model, level = _model_of(prior, model, level)
    text = _kraft.report_json(_as_bytes(data), model, level, prior=prior, block_size=block_size, **model_options)
    return _json.loads(text)


def train(samples, model="cm", level=6, *, size=DEFAULT_PRIOR_SIZE):
    """Train a :class:`Prior` on ``samples`` (an iterable of bytes-like records) for
    ``model`` (``"cm"``, ``"iid"``, ``"mixture"`` or ``"grid"``) within ``size`` bytes."""
    return _kraft.train([_as_bytes(s) for s in samples], model, level, size=size)


__all__ = [
    "compress",
    "decompress",
    "report",
    "train",
    "open",
    "Prior",
    "Compressor",
    "DEFAULT_LEVEL",
    "DEFAULT_MEMORY_LIMIT",
    "DEFAULT_PRIOR_SIZE",
    "MODELS",
] + errors.__all__
