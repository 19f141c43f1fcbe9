"""``kraft.numcodecs.Kraft``: kraft as a numcodecs codec, for Zarr arrays and Dask.

>>> import numpy as np, zarr
>>> from kraft.numcodecs import Kraft
>>> z = zarr.create_array(store={}, shape=(1000,), chunks=(100,), dtype="int32",
...                       zarr_format=2, compressors=Kraft(level=6))
>>> z[:] = np.arange(1000, dtype="int32")
>>> bool((z[:] == np.arange(1000)).all())
True

The codec is registered under ``codec_id = "kraft"`` through the ``numcodecs.codecs``
entry point, so a process that reads such an array (a Dask worker, say) finds it
without importing kraft. Zarr format 3 arrays take :class:`kraft.zarr.KraftCodec`. For arrays of numbers, put numcodecs' ``Shuffle`` or
``Delta`` filter in front: bytes of equal significance side by side model better.
"""

from numcodecs.abc import Codec
from numcodecs.compat import ensure_contiguous_ndarray, ndarray_copy

from . import compress, decompress


class Kraft(Codec):
    """Compress chunks with kraft.

    ``model``: ``"cm"`` (default), ``"iid"``, ``"mixture"`` or ``"grid"``; ``level``: 1
    to 9 (default 6); ``block_size``: original bytes per block (default: the model's).
    """

    codec_id = "kraft"

    def __init__(self, model="cm", level=6, block_size=None):
        self.model = model
        self.level = int(level)
        self.block_size = None if block_size is None else int(block_size)
        # Refuse bad settings when the codec is made, not at the first chunk.
        compress(b"", model=self.model, level=self.level, block_size=self.block_size)

    def encode(self, buf):
        buf = ensure_contiguous_ndarray(buf)
        return compress(buf, model=self.model, level=self.level, block_size=self.block_size)

    def decode(self, buf, out=None):
        buf = ensure_contiguous_ndarray(buf)
        data = decompress(buf)
        if out is None:
            return data
        out_view = ensure_contiguous_ndarray(out)
        if out_view.nbytes != len(data):
            raise ValueError(
                f"kraft: the chunk decodes to {len(data)} bytes, the output buffer holds {out_view.nbytes}"
            )
        return ndarray_copy(data, out)

    def get_config(self):
        config = {"id": self.codec_id, "model": self.model, "level": self.level}
        if self.block_size is not None:
            config["block_size"] = self.block_size
        return config

    def __repr__(self):
        extra = "" if self.block_size is None else f", block_size={self.block_size}"
        return f"Kraft(model={self.model!r}, level={self.level}{extra})"
