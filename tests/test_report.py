"""``logkit report``: the command, its inputs (logs, parse and detect output, a model), and the page as a
browser sees it (headless Chromium: charts present, a row per template, anomaly links that resolve)."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_session_log

from logkit.cli import cli
from logkit.report import build_report

CHROMIUM = next((p for p in (shutil.which("chromium"), "/usr/bin/chromium") if p and os.path.exists(p)), None)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A session log to train on (labelled), one to score, and a model trained on the first."""
    from logkit.detect.api import train
    from logkit.detect.grouping import parse_grouping
    from logkit.detect.labels import read_labels

    d = tmp_path_factory.mktemp("report")
    labels = write_session_log(d / "train.log", 300, 0.1, seed=1)
    (d / "labels.csv").write_text("session,label\n" + "".join(f"{k},{v}\n" for k, v in labels.items()))
    write_session_log(d / "test.log", 120, 0.15, seed=2)
    train(str(d / "train.log"), d / "m", grouping=parse_grouping(r"req_\d+", None),
          labels=read_labels(str(d / "labels.csv")))
    return {"dir": d, "train": d / "train.log", "test": d / "test.log", "model": d / "m"}


def _template_rows(html: str) -> int:
    return len(re.findall(r'<tr id="tpl-t[0-9a-f]+"', html))


def _offline(html: str) -> None:
    """Nothing the page would fetch: no external scripts, styles, fonts or images."""
    assert not re.search(r"<(script|img|iframe)[^>]*\bsrc=|<link\b|@import|url\((?!#)", html)


def test_cli_writes_one_offline_page(logs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    res = CliRunner().invoke(cli, ["report", str(logs["test"]), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == str(out)
    html = out.read_text()
    _offline(html)
    assert html.count("<svg") >= 2 and 'id="volume-chart"' in html
    templates = CliRunner().invoke(cli, ["templates", str(logs["test"]), "--output-format", "jsonl"])
    n = len([ln for ln in templates.stdout.splitlines() if ln.strip()])
    assert n >= 4 and _template_rows(html) == n
    assert 'id="anomalies"' not in html  # no model: no anomaly sections
    assert oct(out.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_model_scores_the_log_and_links_each_anomaly_to_its_lines(logs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "m.html"
    res = build_report([str(logs["test"])], out, model_dir=str(logs["model"]))
    html = out.read_text()
    assert res.scored == 120 and 0 < res.anomalies < res.scored
    assert f"{res.anomalies} anomal" in html and 'id="anomaly-1"' in html
    first = re.search(r'<div class="anomaly" id="anomaly-1">.*?</pre></div>', html, re.S)
    assert first is not None
    session = re.search(r"<h3>(req_\d+)", first.group(0))
    assert session is not None
    excerpt = re.search(r"<pre>(.*?)</pre>", first.group(0), re.S)
    assert excerpt is not None and all(session.group(1) in ln for ln in excerpt.group(1).strip().splitlines())
    for href in set(re.findall(r'href="#([^"]+)"', html)):  # every link on the page leads somewhere
        assert f'id="{href}"' in html, href


def test_parse_and_detect_output_give_the_page_of_the_log(logs: dict[str, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    parsed, scores = tmp_path / "p.jsonl", tmp_path / "s.jsonl"
    assert runner.invoke(cli, ["parse", str(logs["test"]), "-o", str(parsed)]).exit_code == 0
    assert runner.invoke(cli, ["detect", str(logs["test"]), "--model", str(logs["model"]), "-o",
                               str(scores)]).exit_code == 0
    direct = build_report([str(logs["test"])], tmp_path / "a.html", model_dir=str(logs["model"]))
    via = build_report([str(parsed), str(scores)], tmp_path / "b.html")
    assert (via.lines, via.scored, via.anomalies) == (direct.lines, direct.scored, direct.anomalies)
    assert via.templates == direct.templates
    html = (tmp_path / "b.html").read_text()
    assert '<pre>' in html  # the anomalies' lines come from the parse records
    alone = build_report([str(scores)], tmp_path / "c.html")  # scores without their log: no lines, still a page
    assert alone.lines == 0 and alone.anomalies == direct.anomalies


def test_no_timestamps_puts_lines_on_the_axis(tmp_path: Path) -> None:
    log = tmp_path / "plain.log"
    log.write_text("".join(f"worker {i % 7} finished job {i}\n" if i % 5 else f"cache miss for key {i}\n"
                           for i in range(500)))
    out = tmp_path / "plain.html"
    res = CliRunner().invoke(cli, ["report", str(log), "-o", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text()
    assert "no timestamps: the axis counts lines" in html and ">line</text>" in html.replace("\n", "")


def test_since_until_keep_the_lines_between(tmp_path: Path) -> None:
    log = tmp_path / "day.log"
    log.write_text("".join(f"2024-01-01 {h:02d}:00:00 INFO api: request {h} done\n" for h in range(24)))
    out = tmp_path / "noon.html"
    res = build_report([str(log)], out, since="2024-01-01T10:00", until="2024-01-01T13:30")
    assert res.lines == 4 and "10:00:00 to 2024-01-01 13:00:00" in out.read_text()
    none = build_report([str(log)], tmp_path / "none.html", since="1h")  # back from now: nothing that recent
    assert none.lines == 0 and "widen them" in none.warnings[0]


def test_standard_input_is_read(tmp_path: Path) -> None:
    out = tmp_path / "stdin.html"
    text = "".join(f"2024-01-01 10:00:{i % 60:02d} INFO api: request {i} done\n" for i in range(200))
    res = CliRunner().invoke(cli, ["report", "-", "-o", str(out)], input=text)
    assert res.exit_code == 0, res.output
    assert "<td class=\"mono\">-</td>" in out.read_text()


@pytest.mark.parametrize("args, code, words", [
    (["-o", "x.txt"], 2, "HTML"),
    (["--window", "10", "-o", "x.html"], 2, "--model"),
    (["--since", "yesterday", "-o", "x.html"], 2, "--since"),
])
def test_bad_usage_is_one_line(logs: dict[str, Path], tmp_path: Path, args: list[str], code: int,
                               words: str) -> None:
    res = CliRunner().invoke(cli, ["report", str(logs["test"]), *[str(tmp_path / a) if a.startswith("x.") else a
                                                                   for a in args]])
    assert res.exit_code == code
    assert words in res.output and "Traceback" not in res.output


def test_missing_input_is_an_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["report", str(tmp_path / "nope.log"), "-o", str(tmp_path / "x.html")])
    assert res.exit_code == 1 and "nope.log" in res.output and not (tmp_path / "x.html").exists()


# Run inside the page by the browser after the page's own script: what a person would see, as JSON.
_CHECK = """<script>
(function () {
  function href(a) { return a.getAttribute("href") || a.getAttributeNS("http://www.w3.org/1999/xlink", "href"); }
  var r = {};
  r.volume = document.querySelectorAll("#volume-chart svg").length;
  r.scores = document.querySelectorAll("#scores-chart svg").length;
  r.rows = document.querySelectorAll("#template-table tbody tr").length;
  r.links = Array.prototype.map.call(document.querySelectorAll("a"), href).filter(function (h) {
    return h && h.charAt(0) === "#"; });
  r.chart_links = Array.prototype.map.call(document.querySelectorAll("#scores-chart a, #volume-chart a"), href);
  r.missing = r.links.filter(function (h) { return !document.getElementById(h.slice(1)); });
  function counts() {
    return Array.prototype.map.call(document.querySelectorAll("#template-table tbody tr"), function (tr) {
      return parseInt(tr.cells[2].getAttribute("data-v"), 10); });
  }
  var th = document.querySelectorAll("#template-table th")[2];
  th.click(); r.down = counts(); th.click(); r.up = counts();
  var pre = document.createElement("pre"); pre.id = "dom-check"; pre.textContent = JSON.stringify(r);
  document.body.appendChild(pre);
})();
</script>"""


def _dump_dom(page: Path) -> str:
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom",
                              page.resolve().as_uri()], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_page_in_headless_chromium(logs: dict[str, Path], tmp_path: Path) -> None:
    page = tmp_path / "browser.html"
    res = build_report([str(logs["test"])], page, model_dir=str(logs["model"]))
    checked = tmp_path / "checked.html"  # the page with a script that reports what the browser built
    checked.write_text(page.read_text().replace("</body>", _CHECK + "</body>"))
    found = re.search(r'<pre id="dom-check">(.*?)</pre>', _dump_dom(checked), re.S)
    assert found is not None, "the page did not load"
    r = json.loads(html.unescape(found.group(1)))
    assert r["volume"] == 1 and r["scores"] == 1  # both charts
    assert r["rows"] == res.templates  # one row per template
    assert any(h.startswith("#anomaly-") for h in r["chart_links"]), "anomaly marks link to their sections"
    assert len(r["links"]) > res.anomalies and r["missing"] == []  # every link resolves
    assert r["down"] == sorted(r["down"], reverse=True) and r["up"] == sorted(r["up"])  # sortable by count


def test_records_keep_their_json_shape(logs: dict[str, Path], tmp_path: Path) -> None:
    """Scores given by a caller (as the demo does) show up as they are."""
    from logkit.detect.api import detect, load_model

    recs = list(detect(str(logs["test"]), load_model(logs["model"])))
    res = build_report([str(logs["test"])], tmp_path / "given.html", scores={str(logs["test"]): recs})
    assert res.scored == len(recs) and res.anomalies == sum(r["anomaly"] for r in recs)
    assert json.dumps(recs[0])  # unchanged records (no keys added to the caller's dicts)
    assert not any(k.startswith("_") for r in recs for k in r)


def test_a_batch_folder_reads_as_its_logs(logs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "batch"
    res = CliRunner().invoke(cli, ["batch", "detect", str(logs["test"]), "--out", str(out), "--model",
                                   str(logs["model"]), "--workers", "1"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(cli, ["batch", "parse", str(logs["test"]), "--out", str(out), "--workers", "1"])
    assert res.exit_code == 0, res.output
    direct = build_report([str(logs["test"])], tmp_path / "direct.html", model_dir=str(logs["model"]))
    page = tmp_path / "batch.html"
    via = build_report([str(out)], page)
    assert (via.lines, via.templates, via.scored, via.anomalies) == \
        (direct.lines, direct.templates, direct.scored, direct.anomalies)
    assert f"{out}/test.log" in page.read_text()


@pytest.mark.data
def test_bgl_page_with_a_trained_model(data_dir: Path, tmp_path: Path) -> None:
    """BGL: train on lines 1-1400 in 10-line windows (labels kept apart), report 1401-2000 with the model."""
    from logkit.detect.api import train
    from logkit.detect.grouping import parse_grouping
    from logkit.detect.labels import read_labels

    lines = (data_dir / "loghub-2k" / "BGL" / "BGL_2k.log").read_bytes().split(b"\n")[:2000]
    cut = [b"- " + ln.split(b" ", 1)[1] for ln in lines]  # the first token is the label: a detector must not read it
    (tmp_path / "train.log").write_bytes(b"\n".join(cut[:1400]) + b"\n")
    (tmp_path / "test.log").write_bytes(b"\n".join(cut[1400:]) + b"\n")
    (tmp_path / "labels.csv").write_text("line,label\n" + "".join(
        f"{i},{int(not ln.startswith(b'- '))}\n" for i, ln in enumerate(lines[:1400], 1)))
    train(str(tmp_path / "train.log"), tmp_path / "m", grouping=parse_grouping(None, "10"),
          labels=read_labels(str(tmp_path / "labels.csv")))
    page = tmp_path / "bgl.html"
    res = build_report([str(tmp_path / "test.log")], page, model_dir=str(tmp_path / "m"))
    html = page.read_text()
    assert res.lines == 600 and res.scored == 60 and res.anomalies >= 5
    assert res.bytes < 1_000_000
    _offline(html)
    for href in set(re.findall(r'href="#([^"]+)"', html)):
        assert f'id="{href}"' in html, href
