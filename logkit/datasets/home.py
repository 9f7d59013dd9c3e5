"""Where the benchmark data folder is: an explicit path, else ``LOGKIT_DATA`` (never the current folder)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from logkit.errors import InputError

__all__ = ["data_home"]


def data_home(explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The data folder (laid out like ``../shared/data``: ``loghub-2k/``, ``compress/``, ``detect/``).

    Parameters
    ----------
    explicit : path, optional
        A folder given by the caller (a ``DATA`` argument); wins over the environment.
    env : mapping, optional
        The environment to read ``LOGKIT_DATA`` from (default ``os.environ``).

    Raises
    ------
    InputError
        Neither was given, or the folder does not exist.
    """
    env = os.environ if env is None else env
    if explicit is not None:
        path, what = Path(explicit), f"the data folder {explicit}"
    elif env.get("LOGKIT_DATA"):
        path, what = Path(env["LOGKIT_DATA"]), f"LOGKIT_DATA={env['LOGKIT_DATA']}"
    else:
        raise InputError(
            "no data folder given: pass its path (DATA) or set LOGKIT_DATA to a folder holding loghub-2k/"
        )
    if not path.is_dir():
        raise InputError(f"{what} is not a folder; pass the path of a folder holding loghub-2k/")
    return path
