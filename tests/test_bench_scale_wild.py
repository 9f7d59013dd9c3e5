"""``logkit bench parse --scale`` and ``--wild DIR`` on tiny synthetic data; targets and exit codes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from logkit.bench import wild
from logkit.bench.scale import bench_scale, match_in_order, scale_targets
from logkit.bench.targets import Target, missed, target_lines
from logkit.bench.wild import WildFile, bench_wild, check_files, wild_targets
from logkit.bench.wild_rules import AUTH, DPKG, KUBELET, MYSQL8, RegexRule
from logkit.cli import cli
from logkit.errors import InputError

SPEC = "<Level> <Content>"
ROWS = [
    ("INFO", "user root logged in from 10.0.0.1", "user <*> logged in from <*>"),
    ("INFO", "user fred logged in from 10.0.0.2", "user <*> logged in from <*>"),
    ("WARN", "disk 3 is 91% full", "disk <*> is <*> full"),
    ("WARN", "disk 4 is 95% full", "disk <*> is <*> full"),
]


def make_data(root: Path) -> Path:
    """DATA/loghub-2k/Toy (2k sample with truth) and DATA/compress/Toy.log (a bigger file holding it)."""
    base = root / "loghub-2k"
    (base / "Toy").mkdir(parents=True)
    (base / "formats.json").write_text(json.dumps({"Toy": SPEC}))
    (base / "Toy" / "Toy_2k.log").write_text("\n".join(f"{lv} {c}" for lv, c, _ in ROWS) + "\n")
    lines = ["LineId,Level,Content,EventId,EventTemplate"]
    lines += [f'{i},{lv},"{c}",E1,"{t}"' for i, (lv, c, t) in enumerate(ROWS, 1)]
    (base / "Toy" / "Toy_2k.log_structured_corrected.csv").write_text("\n".join(lines) + "\n")
    full = [f"INFO user u{i} logged in from 10.0.1.{i}" for i in range(20)]
    full[3:3] = [f"{lv} {c}" for lv, c, _ in ROWS[:2]]
    full += [f"WARN disk {i} is {50 + i}% full" for i in range(10)] + [f"{lv} {c}" for lv, c, _ in ROWS[2:]]
    (root / "compress").mkdir()
    (root / "compress" / "Toy.log").write_text("\r\n".join(full) + "\r\n")
    return root


def test_match_in_order_takes_successive_occurrences_and_skips_missing() -> None:
    full = [b"a", b"b", b"a", b"c", b"a\r"]
    assert match_in_order([b"a", b"a", b"x", b"c", b"a", b"a"], full) == [0, 2, None, 3, 4, None]
    assert match_in_order([b"c", b"b"], full) == [3, None]  # in order: b comes before c


def test_scale_scores_the_sample_lines_inside_the_full_file(tmp_path: Path) -> None:
    res = bench_scale(make_data(tmp_path), systems=["Toy"])
    assert [r.parser for r in res] == ["logkit", "drain3"]
    ours = res[0]
    assert ours.matched == 4 and ours.sample_lines == 4 and ours.full_lines == 34
    assert ours.full.ga == 1.0 and ours.alone.ga == 1.0 and ours.full_templates == 2
    (t,) = scale_targets(res)
    assert t.met and t.value == 0.0


def test_scale_without_the_full_file_is_one_error(tmp_path: Path) -> None:
    make_data(tmp_path)
    (tmp_path / "compress" / "Toy.log").unlink()
    with pytest.raises(InputError, match="Toy.log"):
        bench_scale(tmp_path, systems=["Toy"])


def test_targets_met_missed_and_lines() -> None:
    ts = [Target("a", 0.95, 0.9), Target("b", 0.03, 0.02, at_most=True), Target("c", 3.0, 3.0, unit="x")]
    assert [t.met for t in ts] == [True, False, True]
    assert missed(ts) == [ts[1]]
    lines = target_lines(ts)
    assert "MISSED" in lines[1] and lines[-1] == "2 of 3 targets met; missed: b"


def test_rules_label_the_kinds_they_were_written_for() -> None:
    assert DPKG("2021-03-23 05:26:25 status half-installed base-passwd:amd64 3.5.46") == "status half-installed"
    assert DPKG("2021-03-23 05:26:25 install libc6:amd64 <none> 2.28-10") == "install"
    assert DPKG("2021-03-23 05:26:25 startup archives unpack") == "startup archives unpack"
    stamp = "2026-02-01T13:30:01.010654+05:30 HOST "
    opened = AUTH(stamp + "CRON[1]: pam_unix(cron:session): session opened for user root(uid=0) by root(uid=0)")
    assert opened == "pam_unix(cron:session) opened"
    assert AUTH(stamp + "sudo: pam_unix(sudo:session): session opened for user root(uid=0) by (uid=0)") == \
        "pam_unix(sudo:session) opened"
    with_tty = AUTH(stamp + "sudo:  me : TTY=pts/3 ; PWD=/home/me ; USER=root ; COMMAND=/bin/ls")
    no_tty = AUTH(stamp + "sudo:     root : PWD=/ ; USER=root ; COMMAND=/usr/sbin/sysctl -p")
    assert with_tty == no_tty == "sudo command"
    assert AUTH(stamp + "sudo: message repeated 2 times: [ pam_unix(sudo:session): session closed for user root]") \
        == "repeated: pam_unix(sudo:session) closed"
    assert AUTH(stamp + "x[1]: something never seen") is None
    assert MYSQL8("2018-08-06T10:27:45.322241Z 243 [Warning] [MY-010055] [Server] IP address 'a' could not be "
                  "resolved: x") == "MY-010055"
    assert KUBELET("I0120 11:42:11.676451    4787 flags.go:59] FLAG: --address=\"0.0.0.0\"") == "klog flags.go:59"
    assert KUBELET("+ umount /run/user/1") == KUBELET("+ umount /run/docker/netns/default") == "sh+ umount"
    rule = RegexRule("t", r"\d+ ", [(r"(\w+) done$", r"\1")])
    assert rule("12 job done") == "job" and rule("job done") == "job" and rule("12 ?") is None


def wild_folder(tmp_path: Path) -> tuple[Path, list[WildFile]]:
    folder = tmp_path / "wild"
    folder.mkdir()
    lines = [f"2024-01-01 10:00:{i % 60:02d} open session {i} for user u{i % 5}" for i in range(30)]
    lines += [f"2024-01-01 10:01:{i % 60:02d} close session {i}" for i in range(30)]
    lines += ["2024-01-01 10:02:00 ??? odd line"]
    (folder / "toy.log").write_text("\n".join(lines) + "\n")
    digest = hashlib.sha256((folder / "toy.log").read_bytes()).hexdigest()
    rule = RegexRule("toy", r"\S+ \S+ ", [(r"(open|close) session ", r"\1")])
    return folder, [WildFile("toy.log", "someone/repo", "toy.log", "0" * 40, digest, "<Date> <Time> <Content>", rule)]


def test_wild_scores_each_file_against_its_rule(tmp_path: Path) -> None:
    folder, manifest = wild_folder(tmp_path)
    res = bench_wild(folder, manifest)
    assert [r.parser for r in res] == ["logkit", "drain3"]
    ours = res[0]
    assert ours.lines == 61 and ours.unlabeled == 1 and ours.kinds == 2
    assert ours.ga == 1.0 and ours.fga == 1.0
    assert all(t.met for t in wild_targets(res))


def test_wild_checks_hashes_and_names_the_source(tmp_path: Path) -> None:
    folder, manifest = wild_folder(tmp_path)
    (folder / "toy.log").write_text("changed\n")
    with pytest.raises(InputError, match="SHA-256 differs.*someone/repo"):
        check_files(folder, manifest)
    (folder / "toy.log").unlink()
    with pytest.raises(InputError, match="missing; fetch it from github.com/someone/repo"):
        check_files(folder, manifest)


def test_manifest_lists_source_hash_format_and_rule() -> None:
    assert len(wild.MANIFEST) >= 4
    for f in wild.MANIFEST:
        assert len(f.commit) == 40 and len(f.sha256) == 64 and callable(f.rule)
        assert "<Content>" in f.format or f.format == "none"


def test_cli_scale_wild_and_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = make_data(tmp_path / "data")
    folder, manifest = wild_folder(tmp_path)
    monkeypatch.setattr(wild, "MANIFEST", tuple(manifest))
    monkeypatch.setattr("logkit.bench.scale.SCALE_SYSTEMS", ("Toy",))
    runner = CliRunner()
    r = runner.invoke(cli, ["bench", "parse", str(data / "loghub-2k"), "--scale", "--wild", str(folder), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["scale"][0]["matched"] == 4 and doc["wild"][0]["unlabeled"] == 1
    assert all(t["met"] for t in doc["targets"]) and len(doc["targets"]) == 4 + 1 + 2
    r = runner.invoke(cli, ["bench", "parse", str(data / "loghub-2k"), "--scale", "--wild", str(folder)])
    assert r.exit_code == 0 and "scale" in r.output and "wild" in r.output and "targets met" in r.output
    # a missed target: exit 1
    monkeypatch.setattr(wild, "GOAL", 1.01)
    r = runner.invoke(cli, ["bench", "parse", str(data / "loghub-2k"), "--wild", str(folder)])
    assert r.exit_code == 1 and "MISSED" in r.output
    r = runner.invoke(cli, ["bench", "parse", str(data / "loghub-2k"), "--wild", str(tmp_path / "nowhere")])
    assert r.exit_code == 1 and "no such folder" in r.output


def test_the_readers_archive_magic_is_the_archives() -> None:
    from logkit.compress.archive import MAGIC
    from logkit.parse.sources import LKZ_MAGIC

    assert LKZ_MAGIC == MAGIC
