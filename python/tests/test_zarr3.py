"""kraft.zarr.KraftCodec: Zarr format 3 arrays, the codec's metadata, its registration."""

import subprocess
import sys

import numpy as np
import pytest
import zarr

import kraft
from kraft.zarr import KraftCodec


def data():
    rng = np.random.default_rng(5)
    return np.cumsum(rng.integers(-3, 4, size=(150, 220)), axis=1).astype("<i4")


def test_a_format_3_array_round_trips_and_reopens_by_name(tmp_path):
    a = data()
    path = str(tmp_path / "a.zarr")
    z = zarr.create_array(store=path, shape=a.shape, chunks=(50, 100), dtype=a.dtype, compressors=KraftCodec(level=3))
    z[:] = a
    assert np.array_equal(zarr.open_array(path, mode="r")[17:133, 5:211], a[17:133, 5:211])
    stored = sum(p.stat().st_size for p in (tmp_path / "a.zarr").rglob("*") if p.is_file())
    assert stored < a.nbytes / 3
    # Another process finds the codec by its name without importing kraft.
    code = (
        "import sys, zarr, numpy as np\n"
        f"z = zarr.open_array({path!r}, mode='r')\n"
        "assert 'kraft' in sys.modules\n"
        "print(type(z.metadata.codecs[-1]).__module__, int(z[:].sum()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["kraft.zarr", str(int(a.sum()))]


def test_metadata_round_trips_and_bad_settings_are_refused():
    codec = KraftCodec(model="iid", level=9, block_size=1 << 16)
    d = codec.to_dict()
    assert d == {"name": "kraft", "configuration": {"model": "iid", "level": 9, "block_size": 65536}}
    assert KraftCodec.from_dict(d) == codec
    assert KraftCodec.from_dict({"name": "kraft"}) == KraftCodec()
    with pytest.raises(kraft.OptionError):
        KraftCodec(level=0)
    with pytest.raises(kraft.OptionError):
        KraftCodec(model="zip")
