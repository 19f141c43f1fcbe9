"""Turning any object with the buffer protocol into bytes the coder can read."""


def as_bytes(obj):
    """A C-contiguous byte view of ``obj`` (copied to C order when it is not
    contiguous); a ``TypeError`` that names the type for objects without the buffer
    protocol."""
    try:
        view = memoryview(obj)
    except TypeError:
        raise TypeError(
            "kraft: expected a bytes-like object (bytes, bytearray, memoryview, a numpy "
            f"array...), not {type(obj).__name__}"
        ) from None
    if not view.c_contiguous:
        view = memoryview(view.tobytes())
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    return view
