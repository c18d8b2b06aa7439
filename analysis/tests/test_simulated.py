"""Runs of `npm run experiment -- ... --usage simulated`: no request was sent;
the report shows what the controllers did under the CPU the runner played."""

import json

from analysis.cli import main

from .synth import make_simulated_run
from .test_cli import assert_png


def test_report_of_a_simulated_run(tmp_path, capsys):
    run = make_simulated_run(tmp_path)
    assert main(["report", str(run)]) == 0
    out = capsys.readouterr().out
    assert "scaleup-limit-2 · uor · spike · cluster" in out
    assert "simulated usage (no request sent), peak 80.0 req/s" in out
    assert "django-api: ready replicas 1..4" in out and "HPA desired max 4" in out
    a = json.loads((run / "analysis.json").read_text())
    assert a["usage"] == "simulated" and a["trialsValid"] == 1
    f = a["averaged"]["figures"]
    assert f["readyReplicas"]["django-api"]["max"] == 4
    assert f["hpaCpuUtilizationPercent"]["django-api"]["max"] == 190
    assert a["averaged"]["series"] is None
    trial = a["trials"][0]
    assert trial["usageSeries"]["django-api"]["serving_pods"][-1] == 4
    # The replicas-over-time plot; no latency overlay (no request was timed).
    assert sorted(p.name for p in (run / "plots").iterdir()) == ["trial-1.png"]
    assert_png(run / "plots" / "trial-1.png", min_bytes=40_000, min_size=(1000, 700))


def test_a_valid_simulated_trial_without_usage_csv_is_bad_input(tmp_path, capsys):
    run = make_simulated_run(tmp_path, with_usage=False)
    assert main(["report", str(run)]) == 2
    assert f"trial 1 is marked valid but has no usage.csv: {run / 'trial-1' / 'usage.csv'}" in capsys.readouterr().err
