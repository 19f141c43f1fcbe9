"""``kraft.open``: kraft streams as Python file objects."""

import builtins
import io
import os

from . import _kraft

_CHUNK = 1 << 20


class _RawReader(io.RawIOBase):
    """Decoded bytes of a kraft stream read from a binary file."""

    def __init__(self, fileobj, close_file, **decoder):
        self._file = fileobj
        self._close_file = close_file
        self._dec = _kraft.Decompressor(fileobj, **decoder)

    def readable(self):
        return True

    def readinto(self, b):
        view = memoryview(b).cast("B")
        data = self._dec.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self):
        if not self.closed:
            try:
                if self._close_file:
                    self._file.close()
            finally:
                super().close()


class _Writer(io.BufferedIOBase):
    """Bytes written are compressed into a kraft stream on a binary file."""

    def __init__(self, fileobj, close_file, compressor):
        self._file = fileobj
        self._close_file = close_file
        self._comp = compressor

    def writable(self):
        return True

    def write(self, b):
        if self.closed:
            raise ValueError("write to a closed kraft file")
        view = memoryview(b)
        out = self._comp.compress(view)
        if out:
            self._file.write(out)
        return view.nbytes

    def close(self):
        if self.closed:
            return
        try:
            self._file.write(self._comp.finish())
            self._file.flush()
        finally:
            try:
                if self._close_file:
                    self._file.close()
            finally:
                super().close()


def open(file, mode="rb", *, prior=None, threads=1, **options):
    """Open a kraft stream as a binary file object.

    ``file`` is a path or a binary file object. ``mode`` is ``"rb"`` (decode) or
    ``"wb"``/``"xb"``/``"ab"`` (encode; ``"ab"`` appends a stream, and concatenated
    streams decode as one). Writing takes the options of :func:`kraft.compress`; the
    stream is complete only once the file is closed (use ``with``).
    """
    if mode not in ("r", "rb", "w", "wb", "x", "xb", "a", "ab"):
        raise ValueError(f"kraft.open: mode {mode!r} (expected 'rb', 'wb', 'xb' or 'ab')")
    mode = mode[0]
    if mode == "r":
        limit = options.pop("memory_limit", _kraft.DEFAULT_MEMORY_LIMIT)
        if options:
            raise TypeError(f"kraft.open: options {sorted(options)} are for writing")
    else:
        if prior is not None:
            options["model"] = getattr(prior, "model", None)
            options.setdefault("level", getattr(prior, "level", None))
        # The options are checked before any file is created or emptied.
        compressor = _kraft.Compressor(prior=prior, threads=threads, **options)
    if isinstance(file, (str, bytes, os.PathLike)):
        fileobj = builtins.open(file, mode + "b")
        close_file = True
    elif hasattr(file, "read" if mode == "r" else "write"):
        fileobj = file
        close_file = False
    else:
        raise TypeError("kraft.open: file must be a path or a binary file object")
    if mode == "r":
        raw = _RawReader(fileobj, close_file, prior=prior, memory_limit=limit, threads=threads)
        return io.BufferedReader(raw, _CHUNK)
    return _Writer(fileobj, close_file, compressor)
