"""``kraft.zarr.KraftCodec``: kraft as a Zarr format 3 codec (a bytes-to-bytes codec).

>>> import numpy as np, zarr
>>> from kraft.zarr import KraftCodec
>>> z = zarr.create_array(store={}, shape=(1000,), chunks=(100,), dtype="int32",
...                       compressors=KraftCodec(level=6))
>>> z[:] = np.arange(1000, dtype="int32")
>>> bool((z[:] == np.arange(1000)).all())
True

Registered under the name ``"kraft"`` through the ``zarr.codecs`` entry point, so a
process that opens such an array finds it without importing kraft. (Zarr format 2
arrays take :class:`kraft.numcodecs.Kraft`.) Chunks are coded in Zarr's worker threads,
with the GIL released.
"""

import asyncio
from dataclasses import dataclass

from zarr.abc.codec import BytesBytesCodec
from zarr.core.common import parse_named_configuration

from . import compress, decompress


@dataclass(frozen=True)
class KraftCodec(BytesBytesCodec):
    """Compress chunks with kraft: ``model`` (``"cm"``, ``"iid"``, ``"mixture"`` or
    ``"grid"``), ``level`` 1 to 9, ``block_size`` (``None``: the model's)."""

    is_fixed_size = False

    model: str = "cm"
    level: int = 6
    block_size: int | None = None

    def __init__(self, *, model="cm", level=6, block_size=None):
        object.__setattr__(self, "model", str(model))
        object.__setattr__(self, "level", int(level))
        object.__setattr__(self, "block_size", None if block_size is None else int(block_size))
        # Refuse bad settings when the codec is made, not at the first chunk.
        compress(b"", model=self.model, level=self.level, block_size=self.block_size)

    @classmethod
    def from_dict(cls, data):
        _, configuration = parse_named_configuration(data, "kraft", require_configuration=False)
        return cls(**(configuration or {}))

    def to_dict(self):
        configuration = {"model": self.model, "level": self.level}
        if self.block_size is not None:
            configuration["block_size"] = self.block_size
        return {"name": "kraft", "configuration": configuration}

    def _encode_sync(self, chunk_bytes, chunk_spec):
        packed = compress(
            chunk_bytes.as_numpy_array(), model=self.model, level=self.level, block_size=self.block_size
        )
        return chunk_spec.prototype.buffer.from_bytes(packed)

    def _decode_sync(self, chunk_bytes, chunk_spec):
        return chunk_spec.prototype.buffer.from_bytes(decompress(chunk_bytes.as_numpy_array()))

    async def _encode_single(self, chunk_bytes, chunk_spec):
        return await asyncio.to_thread(self._encode_sync, chunk_bytes, chunk_spec)

    async def _decode_single(self, chunk_bytes, chunk_spec):
        return await asyncio.to_thread(self._decode_sync, chunk_bytes, chunk_spec)

    def compute_encoded_size(self, _input_byte_length, _chunk_spec):
        raise NotImplementedError
