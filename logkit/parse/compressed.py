"""Readers of gzip and zstd inputs that report damaged or truncated data as one :class:`InputError`.

``zstandard``'s stream reader returns a silent end of file when the input stops inside a frame; the
reader here checks every frame ends, so a cut ``.zst`` file is an error rather than lost lines.
"""

from __future__ import annotations

import gzip
import io
import zlib
from typing import Any, BinaryIO

from logkit.errors import InputError

__all__ = ["ZstdFrames", "Guarded", "damaged"]

_READ = 1 << 17


def damaged(path: str, exc: BaseException) -> InputError:
    """The error for compressed data of ``path`` that cannot be decompressed (``exc`` says why)."""
    detail = str(exc) or type(exc).__name__
    return InputError(
        f"{path}: compressed data is damaged or truncated ({detail}); re-copy the file "
        "or decompress what is left by hand"
    )


class ZstdFrames(io.RawIOBase):
    """The decompressed bytes of every zstd frame of ``raw``; :class:`EOFError` when a frame is cut short."""

    def __init__(self, raw: BinaryIO, *, owned: bool) -> None:
        super().__init__()
        import zstandard  # lazy: only zstd inputs pay for it

        self._raw = raw
        self._owned = owned
        self._dctx = zstandard.ZstdDecompressor()
        self._obj: Any = self._dctx.decompressobj()
        self._in_frame = False
        self._buf = b""
        self._pos = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def _fill(self) -> None:
        read1 = getattr(self._raw, "read1", None)
        data = read1(_READ) if read1 is not None else self._raw.read(_READ)
        if not data:
            if self._in_frame:
                raise EOFError("the input ends inside a zstd frame")
            self._done = True
            return
        out: list[bytes] = []
        while data:
            out.append(self._obj.decompress(data))
            if not self._obj.eof:
                self._in_frame = True
                break
            data = self._obj.unused_data
            self._obj = self._dctx.decompressobj()
            self._in_frame = False
        self._buf = b"".join(out)
        self._pos = 0

    def readinto(self, b: Any) -> int:
        while self._pos >= len(self._buf) and not self._done:
            self._fill()
        n = min(len(b), len(self._buf) - self._pos)
        b[:n] = self._buf[self._pos : self._pos + n]
        self._pos += n
        return n

    def close(self) -> None:
        try:
            if self._owned:
                self._raw.close()
        finally:
            super().close()


class Guarded(io.RawIOBase):
    """Wraps a decompressing stream so that damaged data raises :class:`InputError` naming ``path``."""

    def __init__(self, inner: BinaryIO | io.RawIOBase, path: str) -> None:
        super().__init__()
        self._inner = inner
        self._path = path

    def readable(self) -> bool:
        return True

    def _call(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise damaged(self._path, exc) from None
        except Exception as exc:  # zstandard.ZstdError, without importing zstandard for gzip inputs
            if type(exc).__module__.startswith("zstandard"):
                raise damaged(self._path, exc) from None
            raise

    def read(self, size: int | None = -1) -> bytes:
        return bytes(self._call(self._inner.read, -1 if size is None else size))

    def read1(self, size: int = -1) -> bytes:
        read1 = getattr(self._inner, "read1", None)
        return bytes(self._call(read1 if read1 is not None else self._inner.read, size))

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()
