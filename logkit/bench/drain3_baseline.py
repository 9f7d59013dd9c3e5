"""The drain3 baseline ("drain3 masked"): Drain3's example masks, sim_th 0.4, depth 5.

Run as the Loghub benchmark runs Drain (DESIGN.md section 3.1): one pass of ``add_log_message`` over every
line, then each line written with its cluster's final template; no second ``match`` pass. As
``python -m logkit.bench.drain3_baseline FILE [--format SPEC]`` it does that to FILE and prints one JSON
line per input line, so whole-process timings can be compared with ``logkit parse``.
The configuration is built here: drain3 never reads a ``drain3.ini`` from the current directory.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["MASKS", "make_drain3", "drain3_templates", "render", "main"]

# The seven masks of logpai/Drain3 examples/drain3.ini.
MASKS: list[tuple[str, str]] = [
    (r"((?<=[^A-Za-z0-9])|^)(([0-9a-f]{2,}:){3,}([0-9a-f]{2,}))((?=[^A-Za-z0-9])|$)", "ID"),
    (r"((?<=[^A-Za-z0-9])|^)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})((?=[^A-Za-z0-9])|$)", "IP"),
    (r"((?<=[^A-Za-z0-9])|^)([0-9a-f]{6,} ?){3,}((?=[^A-Za-z0-9])|$)", "SEQ"),
    (r"((?<=[^A-Za-z0-9])|^)([0-9A-F]{4} ?){4,}((?=[^A-Za-z0-9])|$)", "SEQ"),
    (r"((?<=[^A-Za-z0-9])|^)(0x[a-f0-9A-F]+)((?=[^A-Za-z0-9])|$)", "HEX"),
    (r"((?<=[^A-Za-z0-9])|^)([\-\+]?\d+)((?=[^A-Za-z0-9])|$)", "NUM"),
    (r"(?<=executed cmd )(\".+?\")", "CMD"),
]
_MASK_OUT = re.compile(r"<:(?:ID|IP|SEQ|HEX|NUM|CMD|\*):>|<\*>")


def make_drain3() -> Any:
    """A drain3 ``TemplateMiner`` with the masked configuration, built without reading any file."""
    from drain3 import TemplateMiner
    from drain3.masking import MaskingInstruction
    from drain3.template_miner_config import TemplateMinerConfig

    config = TemplateMinerConfig()
    config.masking_instructions = [MaskingInstruction(p, name) for p, name in MASKS]
    config.mask_prefix = "<:"
    config.mask_suffix = ":>"
    config.drain_sim_th = 0.4
    config.drain_depth = 5
    config.profiling_enabled = False
    return TemplateMiner(persistence_handler=None, config=config)


def render(template: str) -> str:
    """A drain3 template written the Loghub way: every mask and ``<*>`` as ``<*>``."""
    return _MASK_OUT.sub("<*>", template)


def drain3_templates(contents: Sequence[str]) -> list[str]:
    """Mine ``contents`` with drain3 masked; each line gets its cluster's final template."""
    miner = make_drain3()
    ids = [miner.add_log_message(c)["cluster_id"] for c in contents]
    final = {c.cluster_id: render(c.get_template()) for c in miner.drain.clusters}
    return [final[i] for i in ids]


def _contents(path: str, spec: str | None) -> Iterable[str]:
    from logkit.parse.formats import compile_format
    from logkit.records import RawLine, decode

    fmt = compile_format(spec) if spec else None
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            data = raw[:-1] if raw.endswith(b"\n") else raw
            if fmt is None:
                text = decode(data)
                yield text[:-1] if text.endswith("\r") else text
            else:
                yield fmt.split(RawLine(path, n, data)).content


def main(argv: list[str] | None = None) -> int:
    """Mine FILE with drain3 masked (one pass) and print ``{"line": n, "template": ...}`` per line."""
    ap = argparse.ArgumentParser(prog="python -m logkit.bench.drain3_baseline", description=__doc__)
    ap.add_argument("file")
    ap.add_argument("--format", dest="spec", default=None, help="Loghub header spec; default: whole line")
    args = ap.parse_args(argv)
    templates = drain3_templates(list(_contents(args.file, args.spec)))
    out = sys.stdout
    for n, template in enumerate(templates, 1):
        out.write(json.dumps({"line": n, "template": template}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
