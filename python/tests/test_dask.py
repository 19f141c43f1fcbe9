"""kraft on a Dask cluster: a chunked array written to Zarr with the codec by worker
processes and read back equal; a directory compressed as a bag, one task per file."""

import os

import dask.array as da
import dask.bag as db
import numpy as np
import pytest
import zarr
from distributed import Client, LocalCluster

import kraft
from kraft.numcodecs import Kraft


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as c:
            yield c


def test_zarr_array_through_worker_processes(client, tmp_path):
    rng = np.random.default_rng(3)
    a = np.cumsum(rng.integers(-2, 3, size=(400, 500)), axis=0).astype("<i4")
    x = da.from_array(a, chunks=(100, 125))
    path = str(tmp_path / "x.zarr")
    z = zarr.create_array(
        store=path, shape=a.shape, chunks=(100, 125), dtype=a.dtype, zarr_format=2, compressors=Kraft(level=2)
    )
    da.store(x, z, lock=False, compute=True)
    # The workers are other processes: every chunk was coded there.
    assert len(client.scheduler_info()["workers"]) == 2
    back = da.from_zarr(path)
    assert np.array_equal(back.compute(), a)
    # What the workers wrote is kraft's: each chunk file decodes with kraft alone.
    chunk = open(os.path.join(path, "1.2"), "rb").read()
    assert np.array_equal(np.frombuffer(kraft.decompress(chunk), dtype="<i4").reshape(100, 125), a[100:200, 250:375])


def test_a_format_3_array_through_worker_processes(client, tmp_path):
    from kraft.zarr import KraftCodec

    a = np.arange(300 * 400, dtype="<u4").reshape(300, 400) % 1009
    path = str(tmp_path / "v3.zarr")
    z = zarr.create_array(store=path, shape=a.shape, chunks=(100, 100), dtype=a.dtype, compressors=KraftCodec(level=2))
    da.store(da.from_array(a, chunks=(100, 100)), z, lock=False, compute=True)
    assert np.array_equal(da.from_zarr(path).compute(), a)


def test_a_directory_as_a_bag_one_task_per_file(client, tmp_path):
    src = tmp_path / "files"
    src.mkdir()
    for i in range(6):
        (src / f"f{i}.txt").write_bytes(b"record %d: " % i + b"some text to compress " * (200 + 50 * i))
    paths = sorted(str(p) for p in src.iterdir())

    def pack(path):
        with open(path, "rb") as f:
            data = f.read()
        with open(path + ".kft", "wb") as f:
            f.write(kraft.compress(data))
        return path, len(data), os.path.getsize(path + ".kft")

    sizes = db.from_sequence(paths, npartitions=len(paths)).map(pack).compute()
    assert [s[0] for s in sizes] == paths
    for path, raw, packed in sizes:
        assert packed < raw / 10
        assert kraft.decompress(open(path + ".kft", "rb").read()) == open(path, "rb").read()
