"""kraft from Python: round trips of every model, buffer kinds, options, errors,
priors, streaming files, threads."""

import io
import pickle
import threading

import numpy as np
import pytest

import kraft

TEXT = b"".join(b"line %d of %d: the quick brown fox\n" % (i % 97, i % 13) for i in range(4000))


def pbm(width=64, height=48):
    rows = bytes((x * 7 + y * 3) % 256 for y in range(height) for x in range(width // 8))
    return b"P4\n%d %d\n" % (width, height) + rows


@pytest.mark.parametrize("model", ["cm", "iid", "mixture", "grid"])
@pytest.mark.parametrize("level", [1, 6])
def test_every_model_round_trips(model, level):
    for data in [b"", b"x", TEXT, pbm(), bytes(range(256)) * 40]:
        packed = kraft.compress(data, model=model, level=level)
        assert kraft.decompress(packed) == data
    # Order 0 (iid, mixture; grid on text) against a model of the context (cm).
    bound = 0.05 if model == "cm" else 0.6
    assert len(kraft.compress(TEXT, model=model, level=level)) < len(TEXT) * bound


def test_the_same_bytes_as_the_command_line_library():
    # Python adds nothing: the stream is the library's (deterministic, any thread count).
    a = kraft.compress(TEXT, level=3, block_size=16384)
    b = kraft.compress(TEXT, level=3, block_size=16384, threads=2)
    assert a == b
    assert len(kraft.decompress(a, threads=2)) == len(TEXT)


def test_buffer_kinds():
    arr = np.arange(5000, dtype=np.float64).reshape(50, 100)
    cases = {
        "bytes": TEXT,
        "bytearray": bytearray(TEXT),
        "memoryview": memoryview(TEXT)[10:5000],
        "array": arr,
        "fortran": np.asfortranarray(arr),
        "strided": arr[:, ::3],
        "transposed": arr.T,
        "0-d": np.array(3.5),
        "uint8": np.frombuffer(TEXT, dtype=np.uint8),
    }
    for name, obj in cases.items():
        packed = kraft.compress(obj, model="iid")
        expected = obj.tobytes() if isinstance(obj, np.ndarray) else bytes(obj)
        assert kraft.decompress(packed) == expected, name
        assert kraft.decompress(bytearray(packed)) == expected, name
        assert kraft.decompress(np.frombuffer(packed, dtype=np.uint8)) == expected, name
    with pytest.raises(TypeError, match="bytes-like"):
        kraft.compress("a str is not bytes")
    with pytest.raises(TypeError, match="bytes-like"):
        kraft.compress([1, 2, 3])
    with pytest.raises(TypeError, match="bytes-like"):
        kraft.decompress(12)


def test_model_options():
    fixed = kraft.compress(TEXT, model="mixture", segment=64, components=3, bits_back=False)
    assert kraft.decompress(fixed) == TEXT
    assert fixed != kraft.compress(TEXT, model="mixture")
    raw = bytes((i * 37) % 251 for i in range(3 * 400))
    assert kraft.decompress(kraft.compress(raw, model="grid", width=24)) == raw


@pytest.mark.parametrize(
    "kwargs",
    [
        {"level": 0},
        {"level": 10},
        {"model": "lzma"},
        {"block_size": 0},
        {"model": "mixture", "components": 17},
        {"model": "mixture", "segment": 0},
        {"model": "mixture", "segment": "words"},
        {"model": "grid", "width": 0},
        {"model": "cm", "components": 3},
        {"model": "iid", "width": 8},
    ],
)
def test_bad_options_raise_option_error(kwargs):
    with pytest.raises(kraft.OptionError) as e:
        kraft.compress(TEXT, **kwargs)
    assert isinstance(e.value, ValueError)
    assert isinstance(e.value, kraft.KraftError)


def test_unknown_options_are_type_errors():
    with pytest.raises(TypeError, match="bogus"):
        kraft.compress(TEXT, bogus=1)
    with pytest.raises(TypeError):
        kraft.compress(TEXT, prior="not a prior")
    with pytest.raises(TypeError):
        kraft.Compressor(level=1, block=5)


def test_damaged_input_raises_and_never_crashes():
    packed = kraft.compress(TEXT, level=1, block_size=8192)
    with pytest.raises(kraft.FormatError):
        kraft.decompress(b"not kraft at all")
    with pytest.raises(kraft.TruncatedError):
        kraft.decompress(b"")
    with pytest.raises(kraft.CorruptError):
        kraft.decompress(packed[: len(packed) // 2])
    with pytest.raises(kraft.FormatError):
        kraft.decompress(packed + b"junk")
    # Every byte flipped in turn (a sample of them): an error of the hierarchy or,
    # rarely, the exact original; never other bytes, never a crash.
    rng = np.random.default_rng(1)
    for at in rng.choice(len(packed), size=200, replace=False):
        bad = bytearray(packed)
        bad[at] ^= 1 << int(rng.integers(8))
        try:
            assert kraft.decompress(bytes(bad)) == TEXT
        except kraft.CorruptError:
            pass
    for n in range(0, len(packed), max(1, len(packed) // 97)):
        with pytest.raises(kraft.CorruptError):
            kraft.decompress(packed[:n])


def test_memory_limit():
    packed = kraft.compress(TEXT, level=6)
    with pytest.raises(kraft.MemoryLimitError):
        kraft.decompress(packed, memory_limit=1 << 10)
    assert kraft.decompress(packed, memory_limit=None) == TEXT


def test_report_has_the_fields_of_json():
    r = kraft.report(TEXT, level=2)
    for key in ["model", "level", "bytes", "achieved_bits", "model_ideal_bits", "h0_bound_bits", "empirical_entropy_bpb"]:
        assert key in r, key
    assert r["achieved_bits"] == 8 * len(kraft.compress(TEXT, level=2))
    assert r["bytes"] == len(TEXT)
    assert r["model"] == "cm" and r["level"] == 2
    # The bounds are real: the empirical order-0 entropy bounds order 0 from below.
    assert r["h0_bound_bits"] == pytest.approx(r["empirical_entropy_bpb"][0] * len(TEXT))
    iid = kraft.report(TEXT, model="iid")
    assert iid["achieved_bits"] >= iid["h0_bound_bits"]


def test_priors():
    samples = [b'{"id": %d, "name": "user%d", "tags": ["a", "b"], "active": true}' % (i, i) for i in range(300)]
    record = b'{"id": 9999, "name": "user9999", "tags": ["a", "b"], "active": false}'
    for model in ["cm", "iid", "mixture"]:
        prior = kraft.train(samples, model=model, level=6, size=64 << 10)
        assert prior.model == model and prior.level == 6 and len(prior.id) == 16
        packed = kraft.compress(record, prior=prior)
        assert kraft.decompress(packed, prior=prior) == record
        same = kraft.Prior.from_bytes(prior.to_bytes())
        assert same == prior and hash(same) == hash(prior)
        assert pickle.loads(pickle.dumps(prior)) == prior
        if model == "cm":
            assert len(packed) < len(kraft.compress(record)) * 0.7
            with pytest.raises(kraft.PriorMismatchError):
                kraft.decompress(packed)
            other = kraft.train(samples[:100], model="cm", size=16 << 10)
            with pytest.raises(kraft.KraftError):
                assert kraft.decompress(packed, prior=other) != record
            r = kraft.report(record, prior=prior)
            assert r["prior"]["saved_bits"] > 0
    with pytest.raises(kraft.BadPriorError):
        kraft.Prior.from_bytes(b"KRFP nonsense")
    damaged = bytearray(prior.to_bytes())
    damaged[len(damaged) // 2] ^= 4
    with pytest.raises(kraft.BadPriorError):
        kraft.Prior.from_bytes(bytes(damaged))


def test_open_writes_and_reads_streams(tmp_path):
    path = tmp_path / "data.kft"
    with kraft.open(path, "wb", level=1, block_size=16384) as f:
        for i in range(0, len(TEXT), 777):
            f.write(TEXT[i : i + 777])
    assert path.read_bytes() == kraft.compress(TEXT, level=1, block_size=16384)
    with kraft.open(path) as f:
        assert f.read(10) == TEXT[:10]
        assert f.read() == TEXT[10:]
    with kraft.open(str(path), "rb") as f:
        lines = f.readlines()
    assert b"".join(lines) == TEXT
    # Appending makes concatenated streams, which read as one.
    with kraft.open(path, "ab", model="iid") as f:
        f.write(b"tail")
    with kraft.open(path) as f:
        assert f.read() == TEXT + b"tail"
    # File objects work too, and are left open.
    buf = io.BytesIO()
    with kraft.open(buf, "wb") as f:
        f.write(np.arange(100, dtype=np.int16))
    assert not buf.closed
    buf.seek(0)
    with kraft.open(buf) as f:
        assert f.read() == np.arange(100, dtype=np.int16).tobytes()
    # A damaged file raises on read.
    bad = bytearray(path.read_bytes())
    bad[len(bad) // 3] ^= 0x40
    path.write_bytes(bytes(bad))
    with pytest.raises(kraft.CorruptError):
        with kraft.open(path) as f:
            f.read()
    with pytest.raises(ValueError):
        kraft.open(path, "rt")
    with pytest.raises(TypeError):
        kraft.open(path, "rb", level=3)


def test_compressor_streams_in_pieces():
    c = kraft.Compressor(level=1, block_size=8192)
    parts = [c.compress(TEXT[i : i + 1000]) for i in range(0, len(TEXT), 1000)]
    parts.append(c.finish())
    assert b"".join(parts) == kraft.compress(TEXT, level=1, block_size=8192)
    assert sum(1 for p in parts[:-1] if p) > 3, "blocks come out as they fill"
    with pytest.raises(kraft.KraftError):
        c.compress(b"more")


def test_threads_compress_in_parallel_and_agree():
    data = [TEXT[i:] + TEXT[:i] for i in range(0, 4000, 1000)]
    expected = [kraft.compress(d, level=1) for d in data]
    results = [None] * len(data)

    def work(i):
        results[i] = kraft.compress(data[i], level=1)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(data))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == expected


def test_open_refuses_bad_options_before_touching_a_file(tmp_path):
    path = tmp_path / "kept.kft"
    path.write_bytes(b"precious")
    with pytest.raises(kraft.OptionError):
        kraft.open(path, "wb", level=12)
    assert path.read_bytes() == b"precious"
    with pytest.raises(kraft.OptionError):
        kraft.open(tmp_path / "new.kft", "xb", model="zip")
    assert not (tmp_path / "new.kft").exists()


def test_reading_gives_the_good_blocks_before_an_error(tmp_path):
    packed = bytearray(kraft.compress(TEXT, level=1, block_size=8192))
    # Damage a block 3/8 of the way in: the blocks before it come out (all but what the
    # BufferedReader holds when the error comes, less than one read), then the error.
    marker = len(packed) * 3 // 8
    packed[marker] ^= 0x20
    path = tmp_path / "damaged.kft"
    path.write_bytes(bytes(packed))
    got = bytearray()
    with pytest.raises(kraft.CorruptError):
        with kraft.open(path) as f:
            while True:
                chunk = f.read(1000)
                if not chunk:
                    break
                got += chunk
    assert len(got) >= len(TEXT) // 4, len(got)
    assert bytes(got) == TEXT[: len(got)]


def test_what_a_file_object_raises_comes_out_as_it_was():
    class Failing(io.RawIOBase):
        def readable(self):
            return True

        def read(self, n=-1):
            raise ValueError("the source went away")

    with pytest.raises(ValueError, match="the source went away"):
        with kraft.open(Failing()) as f:
            f.read()

    class Generous(io.RawIOBase):
        """Returns more than asked: nothing may be lost."""

        def __init__(self, data):
            self.data = data

        def readable(self):
            return True

        def read(self, n=-1):
            out, self.data = self.data[: max(n, 1) * 3], self.data[max(n, 1) * 3 :]
            return out

    packed = kraft.compress(TEXT, level=1, block_size=8192)
    with kraft.open(Generous(packed)) as f:
        assert f.read() == TEXT


def test_a_prior_gives_its_level_unless_one_is_given():
    samples = [b"record %d: some shared words" % i for i in range(200)]
    prior = kraft.train(samples, model="cm", level=3, size=16 << 10)
    record = b"record 5000: some shared words"
    assert kraft.report(record, prior=prior)["level"] == 3
    assert kraft.report(record, prior=prior, level=5)["level"] == 5
    assert kraft.decompress(kraft.compress(record, prior=prior), prior=prior) == record
