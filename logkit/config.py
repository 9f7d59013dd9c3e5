"""Settings: one frozen object; precedence flag > LOGKIT_* environment > config file > defaults.

Library functions take explicit arguments; only the CLI builds a :class:`Settings` and passes its values on.
No file is read from the current directory unless its path is given.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from logkit.errors import UsageError

__all__ = ["Settings", "load_settings", "logkit_home"]

_ENV = {
    "home": "LOGKIT_HOME",
    "data": "LOGKIT_DATA",
    "llm_url": "LOGKIT_LLM_URL",
    "llm_model": "LOGKIT_LLM_MODEL",
    "dask_scheduler": "LOGKIT_DASK_SCHEDULER",
}


def logkit_home(env: Mapping[str, str] | None = None) -> Path:
    """Where state and caches live: ``LOGKIT_HOME``, else the platform's user data folder."""
    env = os.environ if env is None else env
    if env.get("LOGKIT_HOME"):
        return Path(env["LOGKIT_HOME"])
    from platformdirs import user_data_dir

    return Path(user_data_dir("logkit", appauthor=False))


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved settings for one run."""

    home: Path
    data: Path | None = None
    llm_url: str | None = None
    llm_model: str | None = None
    dask_scheduler: str | None = None


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    **flags: Any,
) -> Settings:
    """Merge defaults, a TOML config file (``[logkit]`` table or top level), the environment and flags."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {"home": None}
    if config_file is not None:
        import tomllib

        try:
            with open(config_file, "rb") as fh:
                doc = tomllib.load(fh)
        except OSError as exc:
            raise UsageError(f"cannot read --config {config_file}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"--config {config_file} is not valid TOML ({exc})") from None
        table = doc.get("logkit", doc)
        known = {f.name for f in fields(Settings)}
        unknown = sorted(set(table) - known)
        if unknown:
            raise UsageError(f"--config {config_file}: unknown keys {', '.join(unknown)}")
        values.update(table)
    for name, var in _ENV.items():
        if env.get(var):
            values[name] = env[var]
    if name_url := (values.get("llm_url") or env.get("OPENAI_BASE_URL")):
        values["llm_url"] = name_url
    values.update({k: v for k, v in flags.items() if v is not None})
    settings = Settings(home=logkit_home(env))
    resolved = {k: v for k, v in values.items() if v is not None}
    for key in ("home", "data"):
        if key in resolved:
            resolved[key] = Path(resolved[key])
    return replace(settings, **resolved)
