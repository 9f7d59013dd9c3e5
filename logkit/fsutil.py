"""File-system helpers: atomic writes (temp file in the same folder, then rename), versioned JSON files."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from logkit.errors import InputError, UsageError

__all__ = ["make_folder", "temp_beside", "resolve_target", "new_file_mode", "check_not_input", "atomic_path",
           "atomic_open", "write_json_atomic",
           "read_versioned_json", "is_special_file"]


def is_special_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` exists and is not a regular file or folder (``/dev/null``, a FIFO, a terminal):
    such targets are written in place, never replaced by a rename."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def make_folder(folder: str | os.PathLike[str]) -> Path:
    """Create ``folder`` (and its parents) when missing; a one-line :class:`InputError` when it cannot be."""
    path = Path(folder) if str(folder) else Path(".")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise InputError(f"cannot create the folder {path}: it, or a folder above it, is a file; "
                         "choose another output path") from None
    except PermissionError:
        raise InputError(f"cannot create the folder {path}: permission denied; choose another output path") from None
    except OSError as exc:
        raise InputError(f"cannot create the folder {path} ({exc.strerror}); choose another output path") from None
    return path


def check_not_input(output: str | os.PathLike[str] | None, inputs: Iterable[str], flag: str = "-o") -> None:
    """Raise :class:`UsageError` when ``output`` is one of ``inputs`` (writing it would replace the input)."""
    if output is None or str(output) == "-":
        return
    for path in inputs:
        if path == "-":
            continue
        try:
            same = os.path.samefile(output, path)
        except OSError:  # one of them does not exist (yet)
            continue
        if same:
            raise UsageError(f"{flag} {output} is also the input {path}; writing it would replace the input, "
                             "give another path")


def resolve_target(path: str | os.PathLike[str]) -> Path:
    """Where writing ``path`` lands: a symbolic link's target (written through, as ``>`` does), else ``path``."""
    target = Path(path)
    if target.is_symlink():
        return Path(os.path.realpath(target))
    return target


def new_file_mode(target: str | os.PathLike[str] | None = None) -> int:
    """The permission bits a replaced or new output gets: those of the file it replaces, else what the umask
    leaves of 0666 (0644 under the usual umask 022), as ``open`` would give a new file."""
    if target is not None:
        try:
            st = os.stat(target)
            if stat.S_ISREG(st.st_mode):
                return stat.S_IMODE(st.st_mode)
        except OSError:
            pass
    mask = os.umask(0o022)  # the only portable way to read the umask is to set it; it is put back at once
    os.umask(mask)
    return 0o666 & ~mask


def temp_beside(target: Path, *, private: bool = False) -> tuple[int, str]:
    """``mkstemp`` in the folder of ``target`` (created when missing), with one-line errors.

    The file gets the mode ``target`` will have (:func:`new_file_mode`), unless ``private`` (owner only).
    """
    folder = make_folder(target.parent)
    try:
        import tempfile  # here: its imports (random, shutil) cost a start that writes no file

        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except PermissionError:
        raise InputError(f"cannot write {target}: permission denied in {folder}; choose another output path "
                         "or make the folder writable") from None
    except OSError as exc:
        raise InputError(f"cannot write {target} ({exc.strerror}); choose another output path") from None
    if not private:
        with contextlib.suppress(OSError):
            os.fchmod(fd, new_file_mode(target))
    return fd, tmp


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``, else removed.

    A special file (``/dev/null``, a FIFO) is yielded as it is: it is written in place. A symbolic link is
    written through: its target is replaced, the link stays.
    """
    target = resolve_target(path)
    if is_special_file(target):
        yield target
        return
    if target.is_dir():
        raise InputError(f"{target} is a folder; give a file path to write to")
    fd, tmp = temp_beside(target)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file for writing; it replaces ``path`` only when the block ends without error."""
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as fh:
        yield fh
        fh.flush()
        with contextlib.suppress(OSError):  # a FIFO or device cannot be synced
            os.fsync(fh.fileno())


def write_json_atomic(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as JSON to ``path`` atomically."""
    import json

    with atomic_open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.write("\n")


def read_versioned_json(
    path: str | os.PathLike[str], *, kind: str, version: int, what: str, fix: str, missing: str | None = None
) -> dict[str, Any]:
    """Read one of our JSON files and check its ``kind`` and ``version``; any fault is a one-line StateError.

    ``what`` names the file for a person ("logkit model"), ``fix`` is what to do about a bad one, and
    ``missing`` (when given) is the message for a file that does not exist; else FileNotFoundError passes.
    """
    import json

    from logkit.errors import StateError

    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        if missing is None:
            raise
        raise StateError(missing) from None
    except (OSError, ValueError) as exc:
        raise StateError(f"{path} is not readable JSON ({exc}); {fix}") from None
    if not isinstance(data, dict) or data.get("kind") != kind:
        raise StateError(f"{path} is not a {what} file; {fix}")
    if data.get("version") != version:
        raise StateError(f"{path} has format version {data.get('version')}, this logkit reads {version}; {fix}")
    return data
