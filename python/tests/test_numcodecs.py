"""kraft.numcodecs.Kraft: the codec contract, its registration, Zarr arrays."""

import pickle

import numcodecs
import numpy as np
import pytest
import zarr
from numcodecs import Delta, Shuffle

import kraft
from kraft.numcodecs import Kraft


def data():
    rng = np.random.default_rng(7)
    walk = np.cumsum(rng.integers(-3, 4, size=(200, 300)), axis=1).astype("<i4")
    return walk


def test_encode_decode_and_out():
    codec = Kraft(level=3)
    a = data()
    enc = codec.encode(a)
    assert isinstance(enc, bytes) and len(enc) < a.nbytes / 3
    assert codec.decode(enc) == a.tobytes()
    out = np.empty_like(a)
    back = codec.decode(enc, out=out)
    assert np.array_equal(out, a) and np.shares_memory(np.asarray(back), out)
    flat = bytearray(a.nbytes)
    codec.decode(enc, out=flat)
    assert bytes(flat) == a.tobytes()
    with pytest.raises(ValueError):
        codec.decode(enc, out=np.empty(10, dtype="<i4"))
    with pytest.raises(kraft.CorruptError):
        codec.decode(enc[: len(enc) // 2])


def test_config_registry_and_pickle():
    codec = Kraft(model="iid", level=9, block_size=1 << 16)
    config = codec.get_config()
    assert config == {"id": "kraft", "model": "iid", "level": 9, "block_size": 65536}
    assert Kraft.from_config({k: v for k, v in config.items() if k != "id"}) == codec
    # Found by id through the entry point, as a process that never imported kraft would.
    assert numcodecs.get_codec(config) == codec
    assert numcodecs.get_codec({"id": "kraft"}) == Kraft()
    assert pickle.loads(pickle.dumps(codec)) == codec
    with pytest.raises(kraft.OptionError):
        Kraft(level=12)
    with pytest.raises(kraft.OptionError):
        Kraft(model="zip")


def test_the_entry_point_loads_without_importing_kraft():
    import subprocess
    import sys

    code = (
        "import sys, numcodecs, numpy as np\n"
        "c = numcodecs.get_codec({'id': 'kraft', 'level': 2})\n"
        "assert 'kraft' in sys.modules\n"
        "a = np.arange(1000, dtype='<u2')\n"
        "assert c.decode(c.encode(a)) == a.tobytes()\n"
        "print(type(c).__module__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "kraft.numcodecs"


@pytest.mark.parametrize("filters", [None, [Shuffle(elementsize=4)], [Delta(dtype="<i4")]])
def test_zarr_round_trip(tmp_path, filters):
    a = data()
    z = zarr.create_array(
        store=str(tmp_path / "a.zarr"),
        shape=a.shape,
        chunks=(50, 100),
        dtype=a.dtype,
        zarr_format=2,
        filters=filters,
        compressors=Kraft(level=3),
    )
    z[:] = a
    back = zarr.open_array(str(tmp_path / "a.zarr"), mode="r")
    assert np.array_equal(back[:], a)
    assert np.array_equal(back[17:123, 5:250], a[17:123, 5:250])
