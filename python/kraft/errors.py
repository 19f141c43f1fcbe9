"""The exceptions kraft raises: one hierarchy under :class:`KraftError`.

Damaged or foreign input is a :class:`CorruptError` (also a ``ValueError``); options
out of range are an :class:`OptionError` (also a ``ValueError``); I/O failures stay
``OSError``.
"""


class KraftError(Exception):
    """Base class of every kraft error."""


class OptionError(KraftError, ValueError):
    """An option out of range, an unknown model name, or options of another model."""


class CorruptError(KraftError, ValueError):
    """The input is not a valid kraft stream, or is damaged."""


class FormatError(CorruptError):
    """Not a kraft stream, a version this kraft does not read, or bytes after the last stream."""


class TruncatedError(CorruptError):
    """The stream ends early."""


class ChecksumError(CorruptError):
    """A header, block or content checksum does not match."""


class UnknownModelError(CorruptError):
    """The stream names a model this kraft does not have."""


class MemoryLimitError(KraftError, MemoryError):
    """Decoding would need more memory than the limit allows."""


class BadPriorError(KraftError, ValueError):
    """A prior file that is damaged or not a prior."""


class PriorMismatchError(KraftError, ValueError):
    """The stream was coded with a prior that was not given, or with another one."""


__all__ = [
    "KraftError",
    "OptionError",
    "CorruptError",
    "FormatError",
    "TruncatedError",
    "ChecksumError",
    "UnknownModelError",
    "MemoryLimitError",
    "BadPriorError",
    "PriorMismatchError",
]
