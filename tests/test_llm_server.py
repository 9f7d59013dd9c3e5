"""The whole routing path through a fake OpenAI-compatible server on 127.0.0.1: LLM decisions, cache, failures."""

from __future__ import annotations

import json
import random
import re
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import write_session_log as write_log

from logkit.cli import cli
from logkit.cli.detect import command as detect_command
from logkit.cli.train import command as train_command

REASON = "a slow cache lookup precedes the reply (fake LLM)"


class FakeServer:
    """Records every request; ``mode`` says how each distinct prompt is answered."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.mode = "good"
        self.prompts: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "body": body})
                server.headers.append(dict(self.headers))
                prompt = body["messages"][-1]["content"]
                if prompt not in server.prompts:
                    server.prompts.append(prompt)
                nth = server.prompts.index(prompt)
                if server.mode == "bad" and nth == 1:
                    self._send(500, {"error": "boom"})
                    return
                content = ("I think it is fine" if server.mode == "bad" and nth == 0
                           else json.dumps({"anomaly": True, "reason": REASON}))
                self._send(200, {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})

            def _send(self, status: int, obj: Any) -> None:
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)


@pytest.fixture()
def server() -> Iterator[FakeServer]:
    s = FakeServer()
    s.thread.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()
    s.thread.join()


def _reword(path: Path) -> None:
    """The warning in a few wordings: distinct patterns (a pattern is asked once; its later items reuse it)."""
    lines = path.read_text().splitlines()
    warn = [i for i, ln in enumerate(lines) if "slow lookup" in ln]
    for n, i in enumerate(warn):
        lines[i] += ["", " on retry", " from the replica", " under load"][n % 4]
    path.write_text("\n".join(lines) + "\n")


def _repeat_some_warnings(path: Path) -> None:
    """Every third warning twice: sessions with the same templates as others, in other counts."""
    out = []
    n = 0
    for ln in path.read_text().splitlines():
        out.append(ln)
        if "slow lookup" in ln:
            n += 1
            if n % 3 == 0:
                out.append(ln)
    path.write_text("\n".join(out) + "\n")


def _shapes(path: Path) -> dict[str, tuple[tuple[str, int], ...]]:
    """Each session's event counts as a reader sees them: its lines with the id and numbers masked."""
    per: dict[str, Counter[str]] = {}
    for ln in path.read_text().splitlines():
        for sid in set(re.findall(r"req_\d+", ln)):
            per.setdefault(sid, Counter())[re.sub(r"\d+", "#", ln.split(" ", 2)[2].replace(sid, "ID"))] += 1
    return {sid: tuple(sorted(c.items())) for sid, c in per.items()}


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("llm-model")
    labels = write_log(tmp_path / "train.log", 300, 0.15, 1, odd=0.15)
    _reword(tmp_path / "train.log")
    rng = random.Random(5)
    # the cache warning is anomalous in some training sessions and not in others: the small model is unsure
    text = (tmp_path / "train.log").read_text()
    for sid in labels:
        if f"slow lookup for {sid} " in text:
            labels[sid] = int(rng.random() < 0.5)
    (tmp_path / "labels.csv").write_text("session,label\n" + "".join(f"{k},{v}\n" for k, v in labels.items()))
    r = CliRunner().invoke(train_command, [str(tmp_path / "train.log"), "--model", str(tmp_path / "m"),
                                           "--session", r"req_\d+", "--labels", str(tmp_path / "labels.csv")])
    assert r.exit_code == 0, r.output
    write_log(tmp_path / "test.log", 60, 0.2, 2, odd=0.25)
    _reword(tmp_path / "test.log")
    _repeat_some_warnings(tmp_path / "test.log")
    return tmp_path


def run_detect(folder: Path, url: str) -> Any:
    return CliRunner().invoke(detect_command, [
        str(folder / "test.log"), "--model", str(folder / "m"), "--output-format", "jsonl",
        "--llm-url", url, "--llm-model", "fake", "--llm-budget", "50%"])


def test_routing_through_a_fake_server(model: Path, server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    monkeypatch.delenv("LOGKIT_LLM_URL", raising=False)
    cases = json.loads((model / "m" / "error_cases.json").read_text())["cases"]
    assert cases and all(c["label"] in (0, 1) for c in cases)

    r = run_detect(model, server.url)
    assert r.exit_code == 0, r.output
    recs = [json.loads(x) for x in r.stdout.splitlines()]
    routed = [x for x in recs if x["routed"]]
    assert 3 <= len(routed) <= len(recs) // 2 + 1
    assert all(x["decided_by"] == "llm" and x["reason"] == REASON and x["anomaly"] is True
               and isinstance(x["model_anomaly"], bool) for x in routed)
    reused = [x for x in recs if x["decided_by"] == "llm-cache"]
    assert all(x["decided_by"] == "model" and "model_anomaly" not in x for x in recs
               if not x["routed"] and x not in reused)
    # a later unsure item the model cannot tell apart from one asked (the same event counts) takes that answer,
    # marked llm-cache, with no new call; an item with the same templates in other counts does not
    assert reused and all(not x["routed"] and x["reason"] == REASON and x["uncertainty"] >= 0.5
                          and isinstance(x["model_anomaly"], bool) for x in reused)
    shapes = _shapes(model / "test.log")
    asked = {shapes[x["group"]] for x in routed}
    assert all(shapes[x["group"]] in asked for x in reused)
    # items with one set of templates in other counts were asked apart (one answer per set decided more before)
    sets = Counter(frozenset(t for t, _ in shapes[x["group"]]) for x in routed)
    assert max(sets.values()) > 1
    assert list(routed[0])[-2:] == ["model_anomaly", "reason"]
    assert list(reused[0])[-2:] == ["model_anomaly", "reason"]
    # both shares are reported: routed, and decided by the LLM (asked or reused)
    n_items = len(recs)
    assert (f"routed {len(routed)} ({len(routed) / n_items:.1%})" in r.stderr
            and f"decided by the LLM {len(routed) + len(reused)} "
                f"({(len(routed) + len(reused)) / n_items:.1%}: {len(routed)} asked, {len(reused)} reused" in r.stderr)
    n = len(server.requests)
    assert n == len(routed)
    assert all(q["path"] == "/v1/chat/completions" and q["body"]["model"] == "fake" for q in server.requests)
    assert server.headers[0]["Authorization"] == "Bearer sk-test-secret"
    prompt = server.requests[0]["body"]["messages"][1]["content"]
    assert "slow lookup" in prompt and "true_label" in prompt  # the item's lines and the error-prone cases
    doc = json.loads(prompt.split("\n")[2])  # the data between the markers
    item = {t["template"] for t in doc["item"]["templates_in_order_of_first_appearance"]}
    similar = doc["similar_training_cases_the_small_model_got_wrong_or_was_unsure_about"]
    # the retrieved cases are the training items nearest this one, with their true labels
    assert similar and item & {t["template"] for t in similar[0]["templates"]}
    assert all(c["true_label"] in ("anomaly", "normal") for c in similar)
    assert doc["small_model"]["uncertainty"] == routed[0]["uncertainty"] >= 0.5
    assert "sk-test-secret" not in r.output and f"{len(routed)} asked" in r.stderr

    again = run_detect(model, server.url + "/v1/")  # the same items: every answer comes from the cache
    assert again.exit_code == 0, again.output
    assert len(server.requests) == n
    assert again.stdout == r.stdout
    assert f"{len(routed)} from cache" in again.stderr


def test_malformed_answer_and_500_keep_the_model_decision(model: Path, server: FakeServer,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server.mode = "bad"
    r = run_detect(model, server.url)
    assert r.exit_code == 0, r.output
    recs = [json.loads(x) for x in r.stdout.splitlines()]
    routed = [x for x in recs if x["routed"]]
    kept = [x for x in routed if x["decided_by"] == "model"]
    assert len(kept) == 2 and len(routed) - len(kept) >= 1
    assert all("model_anomaly" not in x and (x["reason"] is None) == (not x["anomaly"]) for x in kept)
    assert "1 malformed answers" in r.stderr and "1 failed calls" in r.stderr
    assert "Authorization" not in server.headers[0]
    assert len(server.requests) == len(routed) + 2  # the 500 was tried three times


def test_llm_url_without_model_is_a_usage_error(model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOGKIT_LLM_MODEL", raising=False)
    monkeypatch.setenv("LOGKIT_LLM_URL", "http://127.0.0.1:9")
    r = CliRunner().invoke(cli, ["detect", str(model / "test.log"), "--model", str(model / "m")])
    assert r.exit_code == 2 and "--llm-model" in r.output
