import csv
import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis.cli import main

from .synth import make_run

REPO = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path, min_bytes: int = 10_000, min_size=(600, 300)):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, path
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= min_size[0] and height >= min_size[1], (path, width, height)
    # an empty canvas compresses to almost nothing; drawn axes, text and lines do not
    assert len(data) > min_bytes, (path, len(data))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    return {
        "fixed": make_run(root, "uor-replicas-2", base_ms=(100.0, 120.0, 900.0), valid=(True, True, False)),
        "hpa": make_run(root, "uor-hpa", base_ms=(200.0, 210.0), valid=(True, True)),
        "none": make_run(root, "fs-local", base_ms=(50.0,), valid=(False,), target="local"),
    }


@pytest.fixture(scope="module")
def reported(runs):
    """`report` on the first run, once for the module."""
    return main(["report", str(runs["fixed"])])


def test_report_writes_analysis_json(runs, reported, capsys):
    assert reported == 0
    a = json.loads((runs["fixed"] / "analysis.json").read_text())
    assert (a["experiment"], a["endpoint"], a["profile"], a["target"]) == (
        "uor-replicas-2",
        "uor",
        "average",
        "cluster",
    )
    assert (a["trialsValid"], a["trialsInvalid"]) == (2, 1)
    assert a["invalidTrials"] == [
        {"trial": 3, "dir": "trial-3", "reasons": ["loadgen CPU above 90 %", "aborted: error rate above threshold"]}
    ]
    assert "someFutureKey" not in a
    t1, t2, t3 = a["trials"]
    assert [t["valid"] for t in a["trials"]] == [True, True, False]
    f1 = t1["figures"]
    assert (f1["requests"], f1["ok"], f1["failed"], f1["errorRate"]) == (200, 190, 10, 0.05)
    # trial 1 successes: latency 100 + 10*(i % 10); per 10 ms step 20,20,20,19,16,20,20,19,20,16
    # requests (the failures removed), 190 in all: rank 94.5 lies between 140 and 150 -> p50 145;
    # rank 0.9*189 = 170.1 -> 180; p95 190; trial 2 is the same +20 ms
    assert (f1["p50Ms"], f1["p90Ms"], f1["p95Ms"], f1["maxMs"]) == (145, 180, 190, 190)
    assert t2["figures"]["p50Ms"] == 165
    avg = a["averaged"]["figures"]
    assert avg["p50Ms"] == 155 and avg["maxMs"] == 200  # mean of valid trials only (trial 3 is ~950)
    assert avg["errorRate"] == 0.05 and avg["arrivalRatePerS"] == 10
    assert avg["readyReplicas"]["django"]["max"] == 3
    assert t1["loadgen"]["droppedIterations"] == 3
    assert t1["topErrors"][0] == {"error": "HTTP 500", "count": 8}
    s = t1["series"]
    assert s["t_s"] == list(range(20)) and s["requests"] == [10] * 20 and sum(s["failed"]) == 10
    assert set(t1["replicaSeries"]) == {"django", "idaes"}
    assert a["averaged"]["series"]["t_s"] == list(range(20))
    assert "NaN" not in (runs["fixed"] / "analysis.json").read_text()


def test_report_plots_are_drawn(runs, reported):
    plots = runs["fixed"] / "plots"
    assert sorted(p.name for p in plots.iterdir()) == ["run.png", "trial-1.png", "trial-2.png", "trial-3.png"]
    for name in ("trial-1.png", "trial-2.png", "trial-3.png"):
        assert_png(plots / name, min_bytes=40_000, min_size=(1000, 1000))  # 4 stacked panels
    assert_png(plots / "run.png")


def test_report_prints_a_summary(runs, capsys):
    assert main(["report", str(runs["hpa"]), "--no-plots"]) == 0
    out = capsys.readouterr().out
    assert "uor-hpa · uor · average · cluster" in out
    assert "trials: 2 valid, 0 invalid" in out
    # same shape as above, +200 and +210 ms: p50 245/255 -> 250; p95 290/300 -> 295
    assert "p50 250.0 ms  p95 295.0 ms  p99 295.0 ms" in out
    assert "error rate 5.00 %" in out and "ok/s" in out
    assert not (runs["hpa"] / "plots").exists()


def test_report_run_without_valid_trial_is_reported(runs, capsys):
    assert main(["report", str(runs["none"])]) == 0
    cap = capsys.readouterr()
    assert "trials: 0 valid, 1 invalid" in cap.out and "no valid trial" in cap.out
    assert "no valid trial" in cap.err
    a = json.loads((runs["none"] / "analysis.json").read_text())
    assert a["averaged"] == {"figures": None, "series": None}
    assert a["trials"][0]["replicaSeries"] == {}  # samples.csv header-only (local target)
    assert_png(runs["none"] / "plots" / "trial-1.png", min_bytes=30_000)


def test_bad_input_exits_2_and_names_the_path(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"missing summary.json: {tmp_path / 'summary.json'}" in err
    (tmp_path / "summary.json").write_text("{not json")
    assert main(["compare", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["report"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["report", str(tmp_path), "--alpha", "0"])
    assert e.value.code == 2


def test_compare_two_runs(runs, reported, tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(
        [
            "compare",
            str(runs["fixed"]),
            str(runs["hpa"]),
            str(runs["none"]),
            "--out",
            str(out),
            "--title",
            "Fixed vs HPA",
        ]
    )
    assert code == 0
    md = (out / "comparison.md").read_text()
    assert md.startswith("# Fixed vs HPA\n")
    header = "| variant | experiment | endpoint | profile | target | valid trials | invalid | p50 (ms) | p90 (ms) | p95 (ms) | p99 (ms) | EWMA (ms) | throughput (ok/s) | error rate | run |"
    assert header in md
    lines = {ln.split(" | ")[0]: ln for ln in md.splitlines() if ln.startswith("| ")}
    assert (
        "| uor-replicas-2 | uor-replicas-2 | uor | average | cluster | 2 | 1 | 155.0 | 190.0 | 200.0 | 200.0 |"
        in lines["| uor-replicas-2"]
    )
    assert "| 5.00 % |" in lines["| uor-replicas-2"]
    assert (
        "| uor-hpa | uor-hpa | uor | average | cluster | 2 | 0 | 250.0 | 285.0 | 295.0 | 295.0 |" in lines["| uor-hpa"]
    )
    assert "| fs-local | fs-local | uor | average | local | 0 | 1 | — | — |" in lines["| fs-local"]
    assert "**no valid trial: no figures**" in md

    rows = list(csv.DictReader((out / "comparison.csv").open()))
    assert [r["variant"] for r in rows] == ["uor-replicas-2", "uor-hpa", "fs-local"]
    fixed = rows[0]
    assert (fixed["valid_trials"], fixed["invalid_trials"], fixed["p50_ms"], fixed["p90_ms"], fixed["error_rate"]) == (
        "2",
        "1",
        "155",
        "190",
        "0.05",
    )
    a = json.loads((runs["fixed"] / "analysis.json").read_text())["averaged"]["figures"]
    assert float(fixed["throughput_ok_per_s"]) == a["okPerS"] and float(fixed["ewma_ms"]) == a["ewmaMs"]
    assert rows[2]["p50_ms"] == "" and rows[2]["valid_trials"] == "0"
    assert list(rows[0]) == [
        "variant", "experiment", "endpoint", "profile", "target", "valid_trials", "invalid_trials",
        "p50_ms", "p90_ms", "p95_ms", "p99_ms", "ewma_ms", "throughput_ok_per_s", "error_rate", "run_dir",
    ]  # fmt: skip
    assert_png(out / "comparison.png")
    assert_png(out / "comparison-latency.png")
    assert "fs-local: no valid trial" in capsys.readouterr().out


def test_compare_uses_current_analysis_json_and_recomputes_stale_one(runs, reported, tmp_path):
    path = runs["fixed"] / "analysis.json"
    original = path.read_text()
    try:
        doctored = json.loads(original)
        doctored["averaged"]["figures"]["p50Ms"] = 12345
        path.write_text(json.dumps(doctored))
        main(["compare", str(runs["fixed"]), "--out", str(tmp_path / "a")])
        assert "12345" in (tmp_path / "a" / "comparison.csv").read_text()  # current: used as is
        later = time.time() + 5
        os.utime(runs["fixed"] / "trial-1" / "requests.csv", (later, later))
        main(["compare", str(runs["fixed"]), "--out", str(tmp_path / "b")])
        assert "12345" not in (tmp_path / "b" / "comparison.csv").read_text()  # stale: recomputed
    finally:
        path.write_text(original)
        now = time.time()
        os.utime(runs["fixed"] / "trial-1" / "requests.csv", (now - 60, now - 60))


def test_duplicate_experiments_get_distinct_labels(tmp_path):
    a = make_run(tmp_path, "uor-hpa", profile="average", base_ms=(100.0,), valid=(True,))
    b = make_run(tmp_path, "uor-hpa", profile="stress", base_ms=(300.0,), valid=(True,))
    assert main(["compare", str(a), str(b), "--out", str(tmp_path / "o")]) == 0
    rows = list(csv.DictReader((tmp_path / "o" / "comparison.csv").open()))
    assert [r["variant"] for r in rows] == ["uor-hpa/average", "uor-hpa/stress"]


def test_python_dash_m_entry_point(runs, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    ok = subprocess.run(
        [sys.executable, "-m", "analysis", "report", str(runs["hpa"]), "--no-plots"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert "trials: 2 valid" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "analysis", "report", str(tmp_path / "nope")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "not a run directory" in bad.stderr
