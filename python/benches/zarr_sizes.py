"""Zarr through a Dask cluster of 2 worker processes: the time to write and read an
array and its stored size, with kraft (alone, after Shuffle, after Delta) against
numcodecs' Zstd and Blosc at their strongest levels, on the same chunks.

    python python/benches/zarr_sizes.py [DIR]
"""

import os
import shutil
import sys
import tempfile
import time

import dask.array as da
import numpy as np
import zarr
from distributed import Client, LocalCluster
from numcodecs import Blosc, Delta, Shuffle, Zstd

from kraft.numcodecs import Kraft


def arrays():
    rng = np.random.default_rng(2026)
    n = 512
    walk = np.cumsum(rng.integers(-4, 5, size=(n, n)), axis=1).astype("<i4")
    y, x = np.mgrid[0:n, 0:n] / n
    field = (15 + 10 * np.sin(6 * x) * np.cos(4 * y) + rng.normal(0, 0.05, size=(n, n))).astype("<f4")
    counts = rng.poisson(3.0, size=(n, n)).astype("<u2")
    return {"int32 random walk": walk, "float32 smooth field + noise": field, "uint16 Poisson counts": counts}


def codecs(dtype):
    size = np.dtype(dtype).itemsize
    return {
        "kraft cm-6": ([], Kraft(level=6)),
        "shuffle + kraft cm-6": ([Shuffle(elementsize=size)], Kraft(level=6)),
        "delta + kraft cm-6": ([Delta(dtype=dtype)], Kraft(level=6)) if dtype.kind in "iu" else None,
        "zstd 22": ([], Zstd(level=22)),
        "blosc zstd 9 + shuffle": ([], Blosc(cname="zstd", clevel=9, shuffle=Blosc.SHUFFLE)),
        "blosc zstd 9 + bitshuffle": ([], Blosc(cname="zstd", clevel=9, shuffle=Blosc.BITSHUFFLE)),
    }


def stored(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs if not f.startswith("."))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster):
        for name, a in arrays().items():
            print(f"\n{name}: {a.shape} {a.dtype}, {a.nbytes:,} bytes, chunks of 128x128")
            for label, spec in codecs(a.dtype).items():
                if spec is None:
                    continue
                filters, compressor = spec
                path = os.path.join(root, "a.zarr")
                shutil.rmtree(path, ignore_errors=True)
                z = zarr.create_array(
                    store=path, shape=a.shape, chunks=(128, 128), dtype=a.dtype, zarr_format=2,
                    filters=filters or None, compressors=compressor,
                )
                start = time.perf_counter()
                da.store(da.from_array(a, chunks=(128, 128)), z, lock=False)
                write = time.perf_counter() - start
                start = time.perf_counter()
                back = da.from_zarr(path).compute()
                read = time.perf_counter() - start
                assert np.array_equal(back, a)
                size = stored(path)
                print(f"  {label:28} {size:>10,} bytes  {a.nbytes / size:6.2f}x  write {write:6.2f} s  read {read:6.2f} s")


if __name__ == "__main__":
    main()
