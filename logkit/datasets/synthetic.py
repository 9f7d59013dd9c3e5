"""Synthetic multi-service logs with injected anomalies (for the demo, tests and later detect stages).

:func:`generate` writes an HDFS-style data node log, a syslog auth log, an nginx access log, a JSON-lines
application log and a Java service log with stack traces; the same seed gives the same bytes.
:func:`iter_synthetic_lines` is a fast generator of millions of lines for memory tests.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from logkit.errors import UsageError
from logkit.fsutil import atomic_open, make_folder

__all__ = ["ANOMALY_KINDS", "Anomaly", "GeneratedFile", "GeneratedLog", "generate", "iter_synthetic_lines"]

ANOMALY_KINDS = ("error_burst", "login_storm", "http_5xx_burst", "unseen_event", "oom_trace")
START = datetime(2024, 3, 11, 8, 0, 0)
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "deploy",
          "backup", "jenkins", "postgres"]
_BAD_USERS = ["admin", "test", "oracle", "ubuntu", "guest", "pi", "ftpuser", "support", "user1", "git"]
_AGENTS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0",
           "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 (KHTML, like Gecko) Safari/17",
           "curl/8.5.0", "python-httpx/0.27.0"]


@dataclass(frozen=True, slots=True)
class Anomaly:
    """An injected anomaly: its kind, file name, the 1-based lines it occupies, and what it is.

    ``unique_events`` says whether its kinds of events occur nowhere else in the file (a rare template);
    a burst of an ordinary event (``http_5xx_burst``) is anomalous by its rate, not its template.
    """

    kind: str
    file: str
    lines: tuple[int, ...]
    description: str
    unique_events: bool


@dataclass(frozen=True, slots=True)
class GeneratedFile:
    """One generated log: its path, service, the header format it was written with and its line count."""

    path: Path
    service: str
    format: str
    lines: int
    multiline: bool = False


@dataclass
class GeneratedLog:
    """What :func:`generate` wrote: the files and the injected anomalies."""

    folder: Path
    seed: int
    files: list[GeneratedFile] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)

    @property
    def lines(self) -> int:
        """Physical lines over all files."""
        return sum(f.lines for f in self.files)

    def anomaly_lines(self, file: str) -> set[int]:
        """All anomalous lines of one file (by file name)."""
        return {n for a in self.anomalies if a.file == file for n in a.lines}


class _Gen:
    """One service's generator state: a seeded rng, a clock, value makers and the lines so far."""

    def __init__(self, rng: random.Random, mean_gap: float) -> None:
        self.r = rng
        self.t = START
        self.mean_gap = mean_gap
        self.out: list[str] = []
        self.found: list[Anomaly] = []
        r = rng
        self.internal = [f"10.{r.randint(0, 3)}.{r.randint(0, 255)}.{r.randint(1, 254)}" for _ in range(60)]
        self.public = [f"{r.choice([81, 92, 145, 176, 188])}.{r.randint(0, 255)}.{r.randint(0, 255)}."
                       f"{r.randint(1, 254)}" for _ in range(200)]
        self.makers: dict[str, Callable[[], Any]] = {
            "ip": lambda: r.choice(self.internal),
            "client": lambda: r.choice(self.public),
            "port": lambda: r.randint(32768, 60999),
            "user": lambda: r.choice(_USERS),
            "pid": lambda: r.randint(1000, 32000),
            "order": lambda: r.randint(10000, 99999),
            "n": lambda: r.randint(1, 40),
            "ms": lambda: int(r.triangular(2, 900, 60)),
            "slow_ms": lambda: int(r.triangular(500, 4000, 900)),
            "hex": lambda: f"{r.getrandbits(48):012x}",
            "sku": lambda: r.randint(100000, 999999),
            "amount": lambda: f"{r.randint(5, 900)}.{r.randint(0, 99):02d}",
            "blk": lambda: f"blk_{'-' if r.random() < 0.5 else ''}{r.getrandbits(63)}",
        }

    def tick(self, scale: float = 1.0) -> datetime:
        self.t += timedelta(seconds=self.r.expovariate(1.0 / (self.mean_gap * scale)))
        return self.t

    def fill(self, text: str, **given: Any) -> str:
        """Fill ``{name}`` slots; a name used twice gets the same value; ``ip2`` etc. are fresh values."""
        values = _Slots(self.makers, given)
        return text.format_map(values)

    def pick(self, table: Sequence[tuple[float, Any]]) -> Any:
        """An entry of ``(weight, entry)`` pairs, chosen by weight."""
        x = self.r.random() * sum(w for w, _ in table)
        for w, entry in table:
            x -= w
            if x <= 0:
                return entry
        return table[-1][1]


class _Slots(dict[str, Any]):
    """format_map values made on first use (``ip2`` is a second, independent ``ip``)."""

    def __init__(self, makers: dict[str, Callable[[], Any]], given: dict[str, Any]) -> None:
        super().__init__(given)
        self.makers = makers

    def __missing__(self, key: str) -> Any:
        value = self.makers[key.rstrip("0123456789")]()
        self[key] = value
        return value


# -- HDFS: block lifecycles (allocate, receive x3, store x3, terminate x3) interleaved ---------------------
_HDFS_LIFE = [
    ("dfs.FSNamesystem", "BLOCK* NameSystem.allocateBlock: /user/root/rand/_temporary/_task_{job}_m_{task}_0/"
                         "part-{part}. {blk}"),
    *[("dfs.DataNode$DataXceiver", f"Receiving block {{blk}} src: /{{ip}}:{{port}} dest: /{{node{i}}}:50010")
      for i in range(3)],
    *[step for i in range(3) for step in (
        ("dfs.DataNode$PacketResponder", f"Received block {{blk}} of size {{size}} from /{{node{i}}}"),
        ("dfs.FSNamesystem", f"BLOCK* NameSystem.addStoredBlock: blockMap updated: {{node{i}}}:50010 "
                             "is added to {blk} size {size}"),
        ("dfs.DataNode$PacketResponder", f"PacketResponder {i} for block {{blk}} terminating"))],
]
_HDFS_BACKGROUND = [
    (5, ("dfs.DataNode$DataXceiver", "{ip}:50010 Served block {blk} to /{ip2}")),
    (2, ("dfs.DataBlockScanner", "Verification succeeded for {blk}")),
    (1, ("dfs.FSDataset", "Deleting block {blk} file /mnt/hadoop/dfs/data/current/subdir{n}/{blk}")),
    (1, ("dfs.FSNamesystem", "BLOCK* NameSystem.delete: {blk} is added to invalidSet of {ip}:50010")),
]
_HDFS_FAILURE = [
    ("INFO", "dfs.DataNode$DataXceiver", "Receiving block {blk} src: /{src}:{port} dest: /{ip}:50010"),
    ("INFO", "dfs.DataNode", "Exception in receiveBlock for block {blk} java.io.IOException: "
                             "Connection reset by peer"),
    ("INFO", "dfs.DataNode$PacketResponder", "PacketResponder 1 for block {blk} Interrupted."),
    ("WARN", "dfs.DataNode", "{src}:50010:Got exception while serving {blk} to /{ip2}:"),
    ("INFO", "dfs.DataNode$DataXceiver", "writeBlock {blk} received exception java.io.IOException: Could not "
                                         "read from stream"),
]


def _hdfs(g: _Gen, n: int, kinds: set[str]) -> None:
    r, out = g.r, g.out
    active: list[tuple[dict[str, Any], list[tuple[str, str]]]] = []
    done: list[str] = []

    def emit(level: str, comp: str, text: str, **given: Any) -> None:
        t = g.tick()
        pid = r.choice([13, 19, 35, 148, 222, 653, 1412])
        out.append(f"{t:%y%m%d} {t:%H%M%S} {pid} {level} {comp}: {g.fill(text, **given)}")

    burst_at = int(n * 0.62) if "error_burst" in kinds else -1
    while len(out) < n:
        if len(out) == burst_at:
            lines = []
            for _ in range(6):
                ctx = {"blk": g.makers["blk"](), "src": g.makers["ip"]()}
                for level, comp, text in _HDFS_FAILURE:
                    emit(level, comp, text, **ctx)
                    lines.append(len(out))
            g.found.append(Anomaly("error_burst", "hdfs.log", tuple(lines), "six blocks fail while being "
                                   "written: receiveBlock exceptions, interrupted packet responders", True))
        elif r.random() < 0.15:
            comp, text = g.pick(_HDFS_BACKGROUND)
            emit("INFO", comp, text, **({"blk": r.choice(done)} if done else {}))
        else:
            while len(active) < 12:
                job = f"{r.randint(200811092030, 200811092359)}_{r.randint(1, 9999):04d}"
                task = r.randint(0, 2000)
                ctx = {"blk": g.makers["blk"](), "job": job, "task": f"{task:06d}", "part": f"{task:05d}",
                       "size": r.choice([67108864] * 3 + [r.randint(1024, 67108864)])}
                ctx.update({f"node{i}": node for i, node in enumerate(r.sample(g.internal, 3))})
                active.append((ctx, list(_HDFS_LIFE)))
            i = r.randrange(len(active))
            ctx, steps = active[i]
            emit("INFO", *steps.pop(0), **ctx)
            if not steps:
                active.pop(i)
                done.append(ctx["blk"])
                del done[:-200]


# -- syslog auth.log: sshd, cron, sudo, systemd-logind ---------------------------------------------------
_AUTH_EVENTS = [
    (3, [("sshd", "Accepted publickey for {user} from {client} port {port} ssh2: RSA SHA256:{hex}{hex2}"),
         ("sshd", "pam_unix(sshd:session): session opened for user {user} by (uid=0)"),
         ("systemd-logind", "New session {session} of user {user}.")]),
    (2, [("sshd", "Accepted password for {user} from {client} port {port} ssh2"),
         ("sshd", "pam_unix(sshd:session): session opened for user {user} by (uid=0)"),
         ("systemd-logind", "New session {session} of user {user}.")]),
    (4, [("sshd", "Received disconnect from {client} port {port}:11: disconnected by user"),
         ("sshd", "pam_unix(sshd:session): session closed for user {user}"),
         ("systemd-logind", "Removed session {old_session}.")]),
    (3, [("CRON", "pam_unix(cron:session): session opened for user root by (uid=0)"),
         ("CRON", "(root) CMD ({job})"),
         ("CRON", "pam_unix(cron:session): session closed for user root")]),
    (1.5, [("sudo", "{user} : TTY=pts/{tty} ; PWD=/home/{user} ; USER=root ; COMMAND={command}")]),
    (0.4, [("sshd", "Failed password for {user} from {client} port {port} ssh2")]),
]
_CRON_JOBS = ["run-parts /etc/cron.hourly", "/usr/local/bin/backup.sh --incremental",
              "/usr/lib/php/sessionclean"]
_SUDO = ["/usr/bin/systemctl restart nginx", "/usr/bin/apt-get update", "/bin/journalctl -u app"]


def _auth(g: _Gen, n: int, kinds: set[str]) -> None:
    r, out = g.r, g.out
    session = r.randint(100, 900)

    def emit(prog: str, text: str, pid: int | None, t: datetime | None = None, **given: Any) -> None:
        t = t or g.tick()
        tag = f"{prog}[{pid}]" if pid is not None else prog
        host = r.choice(["web-01", "web-02", "db-01"])
        out.append(f"{_MONTHS[t.month - 1]} {t.day:2d} {t:%H:%M:%S} {host} {tag}: {g.fill(text, **given)}")

    storm_at = int(n * 0.48) if "login_storm" in kinds else -1
    while len(out) < n:
        if 0 <= storm_at <= len(out):
            storm_at = -1
            attacker, lines = f"203.0.113.{r.randint(2, 250)}", []
            for _ in range(24):
                ctx = {"bad": r.choice(_BAD_USERS), "attacker": attacker, "port": g.makers["port"]()}
                pid, t = g.makers["pid"](), g.tick(0.02)
                emit("sshd", "Invalid user {bad} from {attacker} port {port}", pid, t, **ctx)
                text = "Failed password for invalid user {bad} from {attacker} port {port} ssh2"
                emit("sshd", text, pid, t, **ctx)
                lines += [len(out) - 1, len(out)]
            g.found.append(Anomaly("login_storm", "auth.log", tuple(lines), "48 failed logins for invalid "
                                   f"users from {attacker} within seconds", True))
            continue
        steps = g.pick(_AUTH_EVENTS)
        if "Accepted" in steps[0][1]:
            session += 1
        ctx = {"user": r.choice(_USERS), "session": session, "old_session": r.randint(100, session),
               "job": r.choice(_CRON_JOBS), "command": r.choice(_SUDO), "tty": r.randint(0, 9),
               "client": g.makers["client"](), "port": g.makers["port"]()}
        pid = g.makers["pid"]()
        for prog, text in steps:
            emit(prog, text, None if prog == "systemd-logind" or prog == "sudo" else pid, **ctx)


# -- nginx access.log (combined format + request time) -----------------------------------------------------
_REQUESTS = [
    (30, ("GET", "/api/v1/products/{product}", [200] * 12 + [304, 404])),
    (15, ("GET", "/api/v1/orders/{order}", [200] * 15 + [401, 404])),
    (10, ("POST", "/api/v1/orders", [201] * 20 + [400, 422])),
    (15, ("GET", "/static/js/app.{hex}.js", [200, 304, 304])),
    (15, ("GET", "/health", [200])),
    (8, ("GET", "/search?q={term}&page={page}", [200])),
    (7, ("POST", "/login", [200, 200, 200, 401])),
]


def _access(g: _Gen, n: int, kinds: set[str]) -> None:
    r, out = g.r, g.out

    def emit(method: str, path: str, status: int, t: datetime | None = None) -> None:
        t = t or g.tick()
        user = r.choice(_USERS) if path.startswith("/api") and r.random() < 0.3 else "-"
        size = 0 if status == 304 else r.randint(120, 48000)
        agent = "kube-probe/1.29" if path == "/health" else r.choice(_AGENTS)
        rt = int(r.triangular(1, 2500 if status >= 500 else 400, 30)) / 1000
        path = g.fill(path, product=r.randint(1, 5000), term=r.choice(["shoes", "lamp", "desk"]),
                      page=r.randint(1, 9))
        stamp = f"{t.day:02d}/{_MONTHS[t.month - 1]}/{t:%Y:%H:%M:%S} +0000"
        out.append(f'{g.makers["client"]()} - {user} [{stamp}] "{method} {path} HTTP/1.1" {status} {size} '
                   f'"-" "{agent}" {rt:.3f}')

    burst_at = int(n * 0.71) if "http_5xx_burst" in kinds else -1
    while len(out) < n:
        if len(out) == burst_at:
            for _ in range(30):
                emit("POST", "/api/v1/payments", r.choice([502, 502, 503, 504]), g.tick(0.3))
            g.found.append(Anomaly("http_5xx_burst", "access.log", tuple(range(len(out) - 29, len(out) + 1)),
                                   "the payments upstream fails: 30 POST /api/v1/payments get 502/503/504",
                                   False))
            continue
        method, path, statuses = g.pick(_REQUESTS)
        emit(method, path, r.choice(statuses))


# -- JSON-lines application log ----------------------------------------------------------------------------
_APP_EVENTS = [
    (5, ("info", "order {order} created for user {user} with {n} items")),
    (4, ("info", "payment authorized for order {order} amount {amount} EUR in {ms}ms")),
    (3, ("info", "order {order} shipped via {carrier} tracking {hex}")),
    (2, ("debug", "cache hit ratio {ratio}% over {lookups} lookups")),
    (1, ("warn", "inventory check slow for sku {sku}: {slow_ms}ms")),
    (0.5, ("error", "payment declined for order {order}: insufficient funds")),
]
_APP_UNSEEN = [
    ("error", "circuit breaker opened for payments-api after 5 consecutive failures"),
    *[("error", "order {order} rejected: circuit breaker open for payments-api")] * 3,
    ("warn", "circuit breaker half-open for payments-api after {n}s"),
]


def _app(g: _Gen, n: int, kinds: set[str]) -> None:
    r, out = g.r, g.out

    def emit(level: str, text: str) -> None:
        t = g.tick()
        msg = g.fill(text, carrier=r.choice(["DHL", "UPS", "DPD"]), ratio=r.randint(60, 99),
                     lookups=r.randint(100, 5000))
        out.append(json.dumps({"time": f"{t:%Y-%m-%dT%H:%M:%S}.{r.randint(0, 999):03d}Z", "level": level,
                               "service": "orders", "msg": msg, "request_id": g.makers["hex"]()}))

    unseen_at = int(n * 0.55) if "unseen_event" in kinds else -1
    while len(out) < n:
        if len(out) == unseen_at:
            for level, text in _APP_UNSEEN:
                emit(level, text)
            g.found.append(Anomaly("unseen_event", "app.jsonl", tuple(range(unseen_at + 1, len(out) + 1)),
                                   "a circuit breaker opens: event kinds that occur nowhere else", True))
            continue
        emit(*g.pick(_APP_EVENTS))


# -- Java service log with multi-line stack traces ----------------------------------------------------------
_JAVA_EVENTS = [
    (30, ("INFO", "com.shop.orders.OrderService",
          "Created order {order} for customer {cust} total {amount} EUR")),
    (20, ("INFO", "com.shop.inventory.InventoryClient", "Fetched {n} items from inventory in {ms} ms")),
    (15, ("DEBUG", "com.zaxxer.hikari.pool.HikariPool", "HikariPool-1 - Pool stats (total=10, active={a}, "
                                                        "idle={b}, waiting=0)")),
    (15, ("INFO", "com.shop.web.RequestLogger", "GET /api/v1/products/{cust} -> 200 in {ms} ms")),
    (10, ("WARN", "com.shop.inventory.InventoryClient",
          "Retrying inventory call to {ip}:8081 (attempt {a} of 3)")),
    (6, ("INFO", "com.shop.reports.ReportJob", "Report daily-sales built with {cust} rows in {slow_ms} ms")),
    (4, ("ERROR", "com.shop.orders.OrderController", "Checkout failed for order {order}")),
]
_TRACE_DECLINED = ["com.shop.payments.PaymentDeclinedException: card declined (code {a})",
                   "\tat com.shop.payments.CardGateway.charge(CardGateway.java:{l1})",
                   "\tat com.shop.orders.OrderService.pay(OrderService.java:{l2})",
                   "\tat com.shop.orders.OrderController.checkout(OrderController.java:{l3})",
                   "\tat java.base/java.lang.Thread.run(Thread.java:1583)"]
_TRACE_OOM = ["java.lang.OutOfMemoryError: Java heap space",
              "\tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)",
              "\tat java.base/java.util.ArrayList.grow(ArrayList.java:237)",
              "\tat com.shop.reports.ReportBuilder.collectRows(ReportBuilder.java:{l1})",
              "\tat com.shop.reports.ReportJob.run(ReportJob.java:{l2})",
              "\tat java.base/java.lang.Thread.run(Thread.java:1583)"]


def _java(g: _Gen, n: int, kinds: set[str]) -> None:
    r, out = g.r, g.out

    def emit(level: str, comp: str, text: str, trace: Sequence[str] = ()) -> None:
        t = g.tick()
        thread = r.choice([f"http-nio-8080-exec-{r.randint(1, 10)}", "scheduling-1", "main"])
        ctx = {"cust": r.randint(1, 9999), "a": r.randint(0, 8), "b": r.randint(0, 8),
               "l1": r.randint(40, 400), "l2": r.randint(40, 400), "l3": r.randint(40, 400)}
        out.append(f"{t:%Y-%m-%d %H:%M:%S},{r.randint(0, 999):03d} {level} [{thread}] {comp}: "
                   f"{g.fill(text, **ctx)}")
        out.extend(g.fill(line, **ctx) for line in trace)

    oom_at = int(n * 0.8) if "oom_trace" in kinds else -1
    while len(out) < n:
        if 0 <= oom_at <= len(out):
            oom_at = -1
            emit("ERROR", "com.shop.reports.ReportJob", "Report daily-sales failed after {slow_ms} ms",
                 _TRACE_OOM)
            g.found.append(Anomaly("oom_trace", "java.log", (len(out) - len(_TRACE_OOM),), "the report job "
                                   "dies with java.lang.OutOfMemoryError (one record of 7 lines)", True))
            continue
        level, comp, text = g.pick(_JAVA_EVENTS)
        emit(level, comp, text, _TRACE_DECLINED if level == "ERROR" else ())


# (name, file, header format written, multi-line records, share of lines, writer)
_SERVICES: list[tuple[str, str, str, bool, float, Callable[[_Gen, int, set[str]], None]]] = [
    ("hdfs", "hdfs.log", "<Date> <Time> <Pid> <Level> <Component>: <Content>", False, 0.34, _hdfs),
    ("auth", "auth.log", "<Month> <Day> <Time> <Host> <Component>(\\[<Pid>\\])?: <Content>", False, 0.14,
     _auth),
    ("access", "access.log", "none", False, 0.26, _access),
    ("app", "app.jsonl", "json", False, 0.14, _app),
    ("java", "java.log", "<Date> <Time> <Level> \\[<Thread>\\] <Component>: <Content>", True, 0.12, _java),
]
_MEAN_GAP = {"hdfs": 0.4, "auth": 2.0, "access": 0.3, "app": 1.5, "java": 1.0}


def generate(
    path: str | os.PathLike[str],
    *,
    lines: int = 20_000,
    seed: int = 0,
    anomalies: bool | Sequence[str] = True,
    services: Sequence[str] | None = None,
) -> GeneratedLog:
    """Write a multi-service synthetic log sample into the folder ``path`` (the same seed, the same bytes).

    Parameters
    ----------
    path : path
        Folder to write into (created); one file per service: ``hdfs.log``, ``auth.log``, ``access.log``,
        ``app.jsonl``, ``java.log``.
    lines : int
        About how many lines in all, shared among the services.
    seed : int
        Seed of the generators.
    anomalies : bool or sequence of str
        ``True`` injects every kind of :data:`ANOMALY_KINDS`, ``False`` none, or a list of kinds.
    services : sequence of str, optional
        A subset of ``hdfs, auth, access, app, java``.

    Returns
    -------
    GeneratedLog
        The files written and the injected anomalies with their 1-based line numbers.
    """
    kinds = set(ANOMALY_KINDS) if anomalies is True else set() if anomalies is False else set(anomalies)
    if kinds - set(ANOMALY_KINDS):
        raise UsageError(f"unknown anomaly kinds {sorted(kinds - set(ANOMALY_KINDS))}; "
                         f"use some of {', '.join(ANOMALY_KINDS)}")
    names = [s[0] for s in _SERVICES]
    if services is not None and set(services) - set(names):
        raise UsageError(f"unknown services {sorted(set(services) - set(names))}; "
                         f"use some of {', '.join(names)}")
    chosen = [s for s in _SERVICES if services is None or s[0] in services]
    if lines < 100 * len(chosen):
        raise UsageError(f"lines={lines} is too few for {len(chosen)} services; "
                         f"give at least {100 * len(chosen)}")
    folder = make_folder(path)
    total_share = sum(s[4] for s in chosen)
    result = GeneratedLog(folder, seed)
    for name, filename, spec, multiline, share, write in chosen:
        g = _Gen(random.Random(f"logkit-synthetic:{seed}:{name}"), _MEAN_GAP[name])
        write(g, int(lines * share / total_share), kinds)
        target = folder / filename
        with atomic_open(target, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\n".join(g.out) + "\n")
        last = g.t.timestamp()  # a log was last written when its last line was: year-less dates read right
        os.utime(target, (last, last))
        result.files.append(GeneratedFile(target, name, spec, len(g.out), multiline))
        result.anomalies.extend(g.found)
    return result


# -- fast lines for memory tests ---------------------------------------------------------------------------
_WORDS = ["request", "session", "worker", "cache", "block", "job", "task", "connection", "replica", "segment",
          "index", "query", "upload", "lease", "token", "volume", "snapshot", "queue", "shard", "batch"]
_VERBS = ["opened", "closed", "started", "finished", "failed", "retried", "evicted", "allocated", "released",
          "committed", "scheduled", "skipped", "flushed", "created", "deleted"]
_COMPONENTS = [b"core.Scheduler", b"net.Server", b"db.Pool", b"fs.Store", b"auth.Service", b"cache.Lru"]
_FAST_SLOTS = {b"id": b"%(id)s", b"ip": b"%(ip)s", b"n": b"%(n)d", b"ms": b"%(ms)dms", b"sz": b"%(sz)d bytes"}


def _fast_templates(rng: random.Random, count: int) -> list[bytes]:
    out: list[bytes] = []
    seen: set[bytes] = set()
    while len(out) < count:
        parts = [rng.choice(_WORDS).encode(), b"%(id)s", rng.choice(_VERBS).encode()]
        for key in rng.sample(sorted(_FAST_SLOTS), rng.randint(0, 3)):
            parts += [rng.choice([b"from", b"in", b"with", b"for", b"size"]), _FAST_SLOTS[key]]
        tpl = b" ".join(parts)
        if tpl not in seen:
            seen.add(tpl)
            out.append(tpl)
    return out


def iter_synthetic_lines(n: int, seed: int = 0, *, templates: int = 100) -> Iterator[bytes]:
    """``n`` log lines (bytes without ``\\n``) from about ``templates`` templates; fast and deterministic.

    Lines look like ``2024-03-11 08:00:00,123 INFO db.Pool: session 7f3a.. opened from 10.0.3.7 in 12ms``;
    template popularity is Zipf-like, as in real logs. For memory and speed tests over millions of lines.
    """
    rng = random.Random(f"logkit-fast:{seed}")
    tpls = _fast_templates(rng, templates)
    ids = [f"{rng.getrandbits(40):010x}".encode() for _ in range(4096)]
    ips = [f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}".encode()
           for _ in range(1024)]
    levels = [b"INFO"] * 12 + [b"DEBUG"] * 3 + [b"WARN", b"ERROR"]
    picks = rng.choices(range(len(tpls)), weights=[1.0 / (i + 1) for i in range(len(tpls))], k=8192)
    bits = rng.getrandbits
    sec, stamp = -1, b""
    for i in range(n):
        r = bits(64)
        if i // 50 != sec:
            sec = i // 50
            stamp = (START + timedelta(seconds=sec)).strftime("%Y-%m-%d %H:%M:%S").encode()
        vals = {b"id": ids[(r >> 13) & 4095], b"ip": ips[(r >> 25) & 1023], b"n": (r >> 35) & 1023,
                b"ms": (r >> 45) & 4095, b"sz": (r >> 20) & 0xFFFFF}
        yield b"%s,%03d %s %s: %s" % (stamp, (r >> 54) % 1000, levels[(r >> 7) % 17],
                                     _COMPONENTS[(r >> 3) % 6], tpls[picks[r & 8191]] % vals)
