"""The ``logkit`` command: a click group whose verbs live one per module and load on demand.

This module is the single error boundary: library errors (:class:`logkit.errors.LogkitError`) become a
one-line ``Error: ...`` and the exit codes of DESIGN.md section 3.1.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator
from typing import Any

import click

from logkit import __version__
from logkit.cli.console import UI, get_ui, set_ui
from logkit.errors import LogkitError

__all__ = ["cli", "main", "VERBS", "hoist_global_options"]

# verb -> (module, one-line help shown by ``logkit --help`` without importing the module)
VERBS: dict[str, tuple[str, str]] = {
    "parse": ("logkit.cli.parse", "Parse raw log lines into templates with typed variables."),
    "templates": ("logkit.cli.templates", "List templates with counts, share and an example."),
    "compress": ("logkit.cli.compress", "Compress a log into a lossless, searchable .lkz archive."),
    "decompress": ("logkit.cli.decompress", "Write the exact original bytes of a .lkz archive."),
    "grep": ("logkit.cli.grep", "Print matching lines of .lkz archives without full decompression."),
    "info": ("logkit.cli.info", "Sizes per part, ratio, version and blocks of a .lkz archive."),
    "train": ("logkit.cli.train", "Train an anomaly detector on a log (sessions or windows)."),
    "detect": ("logkit.cli.detect", "Score sessions or windows for anomalies; flag unsure ones for an LLM."),
    "run": ("logkit.cli.run", "Parse once and feed an archive, a Parquet file and a detector."),
    "batch": ("logkit.cli.batch", "Parse, compress, detect or run over many inputs (process pool or Dask)."),
    "report": ("logkit.cli.report", "Write one self-contained HTML page: volume, templates, anomalies."),
    "bench": ("logkit.cli.bench", "Run the accuracy and speed benchmarks."),
    "demo": ("logkit.cli.demo", "Generate a synthetic multi-service log and run the pipeline on it."),
}


class _LibraryError(click.ClickException):
    """A :class:`LogkitError` carried through click so that every runner prints the same one line."""

    def __init__(self, error: LogkitError) -> None:
        super().__init__(error.message)
        self.exit_code = error.exit_code

    def show(self, file: Any = None) -> None:
        get_ui().error(self.message)


class _PipeClosed(Exception):
    """The reader of standard output went away (``| head``): not an error, the run ends quietly."""


_GLOBAL_FLAGS = {"--verbose", "--quiet", "--traceback", "-q", "-v", "-vv", "-vvv"}
_OWN_FLAGS = {"grep": {"-v", "-vv", "-vvv", "-q"}}  # after grep, -v inverts and -q is grep's quiet


def hoist_global_options(args: list[str]) -> list[str]:
    """``args`` with the global options written after the verb moved before it (``logkit parse x -v`` is
    ``logkit -v parse x``). A verb's own options of the same name win (after ``grep``, ``-v`` inverts);
    nothing after ``--`` moves."""
    verb_at = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--color":
            i += 2
            continue
        if not arg.startswith("-"):
            verb_at = i
            break
        i += 1
    if verb_at is None:
        return args
    own = _OWN_FLAGS.get(args[verb_at], set())
    moved: list[str] = []
    rest: list[str] = []
    tail = args[verb_at + 1:]
    j = 0
    while j < len(tail):
        arg = tail[j]
        if arg == "--":
            rest.extend(tail[j:])
            break
        if arg in _GLOBAL_FLAGS and arg not in own:
            moved.append(arg)
        elif arg.startswith("--color=") or (arg == "--color" and j + 1 < len(tail)):
            moved.extend(tail[j:j + 2] if arg == "--color" else [arg])
            j += 1 if arg == "--color" else 0
        else:
            rest.append(arg)
        j += 1
    return [*args[:verb_at], *moved, args[verb_at], *rest]


class LazyGroup(click.Group):
    """A group that imports a verb's module only when that verb runs (keeps ``--help`` fast)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LogkitError as exc:
            if get_ui().traceback:
                raise
            raise _LibraryError(exc) from None
        except BrokenPipeError:  # past click, which would turn it into exit 1
            raise _PipeClosed from None

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(args))

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(VERBS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in VERBS:
            return None
        module = importlib.import_module(VERBS[cmd_name][0])
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_) for name, (_, help_) in VERBS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="logkit")
@click.option("-v", "--verbose", "verbose", count=True, help="Say more on stderr (what was chosen and why).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr; no progress.")
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour and progress bars on stderr.",
)
@click.option("--traceback", "show_traceback", is_flag=True, help="Show the full traceback of an error.")
def cli(verbose: int, quiet: bool, color: str, show_traceback: bool) -> None:
    """logkit: parse, compress and watch logs.

    Every verb reads files, .gz/.zst files or '-' (standard input) and writes data to standard output
    (JSON Lines in a pipe, a table on a terminal); progress and errors go to stderr.
    """
    set_ui(
        UI(
            verbosity=-1 if quiet else verbose,
            color=color,
            traceback=show_traceback or os.environ.get("LOGKIT_DEBUG") == "1",
        )
    )


def _silence_broken_pipe() -> None:
    """After the reader of our stdout went away (``| head``), exit quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


_OWN_PROCESS = [False]  # whether main() runs as the process's entry point (the ``logkit`` script)
_ACYCLIC_GEN0 = 1_000_000  # the young-generation threshold while a verb that makes no cycles runs


@contextlib.contextmanager
def acyclic_work() -> Iterator[None]:
    """A context in which a verb that makes no reference cycles runs (parse: a test checks that it
    leaves no cyclic garbage), when logkit has the process to itself: the cyclic collector then walks
    the verb's millions of live objects rarely (every million new containers) instead of every 20,000,
    where it could find nothing to free. 2 % of a parse. Elsewhere (a library caller, tests) it changes
    nothing."""
    import gc

    if not _OWN_PROCESS[0]:
        yield
        return
    saved = gc.get_threshold()
    gc.set_threshold(_ACYCLIC_GEN0, *saved[1:])
    try:
        yield
    finally:  # what the verb built is left out of later passes too (else the next one walks it all)
        gc.freeze()
        gc.set_threshold(*saved)


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the ``logkit`` script: runs the group and maps errors to exit codes."""
    import gc
    import signal

    # SIGTERM (a service manager stopping us) ends a run like Ctrl-C: outputs are closed and stay valid
    signal.signal(signal.SIGTERM, _interrupt)
    # The verbs allocate millions of small objects and few cycles: in a process of its own (argv None), the
    # cyclic collector runs less often, and at exit it leaves the caches alone (freeze), as the interpreter
    # frees them anyway. 7 % of a parse.
    whole_process = argv is None
    if whole_process:
        gc.set_threshold(20_000, 20, 50)
        _OWN_PROCESS[0] = True
    gc.enable()  # ``python -m logkit`` held it back while the modules loaded
    try:
        _run(argv)
    finally:
        if whole_process:
            gc.freeze()


def _run(argv: list[str] | None) -> None:
    try:
        cli.main(args=argv, prog_name="logkit", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)
    except click.UsageError as exc:  # one line, like every other error, pointing at the verb's help
        if isinstance(exc, getattr(click.exceptions, "NoArgsIsHelpError", ())):
            exc.show()  # bare `logkit`: the help
            sys.exit(exc.exit_code)
        hint = f" (see '{exc.ctx.command_path} -h')" if exc.ctx is not None else ""
        get_ui().error(exc.format_message() + hint)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except LogkitError as exc:
        ui = get_ui()
        if ui.traceback:
            raise
        ui.error(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)
    except (BrokenPipeError, _PipeClosed):
        _silence_broken_pipe()
        sys.exit(0)
    except OSError as exc:
        ui = get_ui()
        if ui.traceback:
            raise
        name = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        ui.error(f"{exc.strerror or exc}{':' if name else ''}{name}")
        sys.exit(1)
    sys.exit(0)
