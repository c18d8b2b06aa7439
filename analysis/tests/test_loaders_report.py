import json
import math

import numpy as np
import pytest

from analysis import report
from analysis.loaders import InputError, load_run, read_requests, read_samples, read_vus

from .synth import make_run


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_read_requests_parses_quoted_errors_and_ok_flags(tmp_path):
    p = write(
        tmp_path / "requests.csv",
        'start_ms,latency_ms,status,ok,error\n0.5,12.25,200,1,\n1,3,0,0,"dial tcp: refused, retry"\n2,4,302,0,\n',
    )
    r = read_requests(p)
    assert r.start_ms.tolist() == [0.5, 1.0, 2.0]
    assert r.latency_ms.tolist() == [12.25, 3.0, 4.0]
    assert r.status.tolist() == [200, 0, 302]
    assert r.ok.tolist() == [True, False, False]
    assert r.error == ["", "dial tcp: refused, retry", ""]


def test_read_requests_header_only_is_empty(tmp_path):
    r = read_requests(write(tmp_path / "requests.csv", "start_ms,latency_ms,status,ok,error\n"))
    assert len(r) == 0


@pytest.mark.parametrize(
    "body, message",
    [
        ("start,latency\n1,2\n", "header lacks"),
        (
            "start_ms,latency_ms,status,ok,error\n1,2,200,1,\n1,x,200,1,\n",
            "requests.csv:3: column latency_ms: not a number: 'x'",
        ),
        ("start_ms,latency_ms,status,ok,error\n1,2,200,yes,\n", "requests.csv:2: column ok"),
        ("start_ms,latency_ms,status,ok,error\n1,2,200\n", "requests.csv:2: 3 fields"),
        ("", "empty file"),
    ],
)
def test_read_requests_errors_name_the_file_and_line(tmp_path, body, message):
    p = write(tmp_path / "requests.csv", body)
    with pytest.raises(InputError, match=message.replace("(", r"\(")) as e:
        read_requests(p)
    assert str(tmp_path) in str(e.value)


def test_samples_missing_or_header_only_or_unreadable_values(tmp_path):
    assert read_samples(tmp_path / "samples.csv") == []
    assert read_samples(write(tmp_path / "samples.csv", "t_s,kind,name,field,value\n")) == []
    s = read_samples(
        write(tmp_path / "s2.csv", "t_s,kind,name,field,value\n1,pod,p,cpuMillicores,\n2,pod,p,cpuMillicores,412\n")
    )
    assert [(x.t_s, x.value) for x in s] == [(2.0, 412.0)]


def test_vus_empty_target_rate_is_nan(tmp_path):
    v = read_vus(write(tmp_path / "vus.csv", "t_s,vus,target_rate,started,completed,failed\n0,1,,0,0,0\n1,2,5,4,3,1\n"))
    assert v["vus"].tolist() == [1.0, 2.0]
    assert math.isnan(v["target_rate"][0]) and v["target_rate"][1] == 5.0
    assert read_vus(tmp_path / "nope.csv") is None


def test_missing_summary_names_the_path(tmp_path):
    with pytest.raises(InputError, match="missing summary.json: .*summary.json"):
        load_run(tmp_path)
    with pytest.raises(InputError, match="not a run directory"):
        load_run(tmp_path / "absent")


def test_valid_trial_without_requests_is_an_error_invalid_one_is_listed(tmp_path):
    trials = [{"trial": 1, "dir": "trial-1", "valid": False, "invalidReasons": ["crashed"]}]
    write(tmp_path / "summary.json", json.dumps({"experiment": "x", "trials": trials}))
    run = load_run(tmp_path)
    assert run.trials[0].requests is None and "no requests.csv" in run.trials[0].problems[0]
    a = report.analyse_run(run)
    assert a["trialsValid"] == 0 and a["trialsInvalid"] == 1
    assert a["averaged"] == {"figures": None, "series": None}
    assert a["invalidTrials"][0]["reasons"][0] == "crashed"

    trials[0]["valid"] = True
    write(tmp_path / "summary.json", json.dumps({"experiment": "x", "trials": trials}))
    with pytest.raises(InputError, match="marked valid but has no requests.csv: .*trial-1/requests.csv"):
        load_run(tmp_path)


def test_invalid_trial_with_broken_csv_does_not_fail_the_run(tmp_path):
    run_dir = make_run(tmp_path, base_ms=(100.0, 500.0), valid=(True, False))
    write(run_dir / "trial-2" / "requests.csv", "start_ms,latency_ms,status,ok,error\n1,2,20")
    run = load_run(run_dir)
    assert run.trials[1].requests is None and "fields" in run.trials[1].problems[0]


def test_averaging_uses_valid_trials_only(tmp_path):
    run_dir = make_run(tmp_path, base_ms=(100.0, 120.0, 900.0), valid=(True, True, False))
    a = report.analyse_run(load_run(run_dir), alpha=0.1)
    assert (a["trialsValid"], a["trialsInvalid"]) == (2, 1)
    t1, t2, t3 = (t["figures"] for t in a["trials"])
    avg = a["averaged"]["figures"]
    for key in ("p50Ms", "p90Ms", "p95Ms", "p99Ms", "meanMs", "ewmaMs", "okPerS", "errorRate"):
        assert avg[key] == pytest.approx((t1[key] + t2[key]) / 2, rel=1e-12), key
    assert t3["p50Ms"] > 900  # the invalid trial is still analysed and listed
    # synthetic trial 1: 200 requests, 10 failed (8 x 500, 1 x 302, 1 transport)
    assert (t1["requests"], t1["ok"], t1["failed"], t1["errorRate"]) == (200, 190, 10, 0.05)
    assert t1["statusClasses"] == {"2xx": 190, "3xx": 1, "4xx": 0, "5xx": 8, "transport": 1, "other": 0}
    assert t1["maxMs"] == 190.0  # 100 + 10*9; the 3000 ms transport error is excluded
    # last completion: request 198 starts at 19.8 s and takes 100 + 80 ms (request 199, a 500, ends at 19.95 s)
    assert t1["activeDurationS"] == pytest.approx(19.98, rel=1e-12)
    assert t1["okPerS"] == pytest.approx(190 / 19.98, rel=1e-12)
    assert t1["arrivalRatePerS"] == pytest.approx(10.0, rel=1e-12)
    assert t1["readyReplicas"]["django"]["max"] == 3 and t1["hpaDesiredReplicas"]["django"]["min"] == 2
    assert t1["clientCpuMaxPercent"] == 40.0 and t1["clientMemMaxPercent"] == 12.5
    assert a["averaged"]["series"]["t_s"].tolist() == list(range(20))
    np.testing.assert_allclose(
        a["averaged"]["series"]["ewmaMs"], (a["trials"][0]["series"]["ewmaMs"] + a["trials"][1]["series"]["ewmaMs"]) / 2
    )


def test_json_rounding_and_nan():
    out = report.to_jsonable(
        {
            "a": float("nan"),
            "b": np.float64(123.456789),
            "c": np.array([1.0, np.inf, 0.1 + 0.2]),
            "d": np.int64(3),
            "e": True,
        }
    )
    assert out == {"a": None, "b": 123.457, "c": [1, None, 0.3], "d": 3, "e": True}
    text = report.dumps({"series": {"t_s": np.arange(3.0)}, "names": ["x"]})
    assert '"t_s": [0,1,2]' in text and json.loads(text) == {"series": {"t_s": [0, 1, 2]}, "names": ["x"]}
