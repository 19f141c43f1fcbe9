"""Throughput of kraft from Python on the data `cargo bench --bench end_to_end` uses
(the first 1 MB of bible.txt from ../shared/corpora), in MB/s of original bytes, median
of N runs, for comparison with the Rust library's figures in the same session:

    cargo bench --bench end_to_end -- 'compress/(iid|cm-l1|cm-l6)/'
    python python/benches/throughput.py [N]
"""

import pathlib
import statistics
import sys
import time

import kraft

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIBLE = ROOT.parent / "shared" / "corpora" / "large" / "bible.txt"


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    text = BIBLE.read_bytes()[: 1 << 20]
    for label, kwargs in [("iid", {"model": "iid"}), ("cm-l1", {"level": 1}), ("cm-l6", {"level": 6})]:
        packed = kraft.compress(text, **kwargs)
        assert kraft.decompress(packed) == text
        for direction, work in [
            ("compress", lambda: kraft.compress(text, **kwargs)),
            ("decompress", lambda: kraft.decompress(packed)),
        ]:
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                work()
                times.append(time.perf_counter() - start)
            mbs = len(text) / statistics.median(times) / 1e6
            print(f"{direction}/{label}: {mbs:.2f} MB/s (median of {runs}, {len(packed)} bytes)")


if __name__ == "__main__":
    main()
