"""The Typer app: version, help, errors as one red line with exit code 2, recommend / predict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import autometa
from cli.main import app
from tests.helpers import DEMO, worker_processes

runner = CliRunner()


def test_version_and_help() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"autometa {autometa.__version__}"
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("recommend", "metafeatures", "build-metadata", "maml"):
        assert command in result.stdout


def test_bad_input_is_one_line_and_exit_code_2() -> None:
    result = runner.invoke(app, ["metafeatures", str(DEMO / "penguins.csv"), "--target", "specie"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "Did you mean 'species'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback() -> None:
    result = runner.invoke(
        app, ["--debug", "metafeatures", str(DEMO / "penguins.csv"), "--target", "specie"]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, autometa.BadInputError)


def test_metafeatures_json_is_one_document() -> None:
    result = runner.invoke(
        app, ["metafeatures", str(DEMO / "penguins.csv"), "--target", "species", "--json",
              "--groups", "simple"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    values = json.loads(result.stdout)
    assert values["NumberOfInstances"] == 344
    assert values["NumberOfClasses"] == 3


def test_expand_dates_keeps_a_date_column_as_four_numbers(tmp_path: Path) -> None:
    data = tmp_path / "dated.csv"
    dates = pd.date_range("2021-01-01", periods=60, freq="9D").strftime("%Y-%m-%d")
    x = [0.5 * (i % 9) for i in range(60)]
    pd.DataFrame({"when": dates, "x": x, "y": ["a", "b"] * 30}).to_csv(data, index=False)
    counts = {}
    for flag in ([], ["--expand-dates"]):
        result = runner.invoke(
            app, ["metafeatures", str(data), "--target", "y", "--json", "--groups", "simple",
                  *flag],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        values = json.loads(result.stdout)
        counts[bool(flag)] = (values["NumberOfFeatures"], values["NumberOfDroppedFeatures"])
    assert counts == {False: (1, 1), True: (5, 0)}  # x alone; x and year/month/day/weekday


def test_train_metamodel_and_evaluate_on_a_small_meta_dataset(tmp_path: Path) -> None:
    from tests.selectors.test_selectors import synthetic

    synthetic(n=8).save(tmp_path / "meta")
    result = runner.invoke(
        app, ["train-metamodel", str(tmp_path / "meta"), "--out", str(tmp_path / "m.pt")]
    )
    assert result.exit_code == 0, result.output
    assert "trained on 8 datasets x 3 configurations" in result.stdout
    result = runner.invoke(app, ["evaluate", str(tmp_path / "meta"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["SingleBest"]["gap closed"] == 0.0
    from autometa.selectors import roster

    assert set(summary) == set(roster())
    # Two groups of whole families, another seed: a different run, the same selectors.
    grouped = runner.invoke(app, ["evaluate", str(tmp_path / "meta"), "--json", "--folds", "2",
                                  "--seed", "3"])  # fmt: skip
    assert grouped.exit_code == 0, grouped.output
    assert set(json.loads(grouped.stdout)) == set(summary)
    assert json.loads(grouped.stdout)["Random"] != summary["Random"]  # the seed reaches it
    bad = runner.invoke(app, ["train-metamodel", str(tmp_path), "--out", str(tmp_path / "x.pt")])
    assert bad.exit_code == 2 and "is not an autometa meta-dataset" in bad.stderr


def test_extend_metadata_plans_the_big_tables_before_any_work(tmp_path: Path) -> None:
    result = runner.invoke(app, ["extend-metadata", "--out", str(tmp_path / "at"), "--plan"])
    assert result.exit_code == 0, result.output
    assert "kddcup" in result.output and "CPU-hours" in result.output
    assert not (tmp_path / "at").exists()  # a plan writes nothing


def test_recommend_json_save_then_predict(tmp_path: Path) -> None:
    model = tmp_path / "model.skops"
    result = runner.invoke(
        app,
        ["recommend", str(DEMO / "penguins.csv"), "--target", "species", "--budget", "4",
         "--top", "3", "--json", "--save", str(model), "--explain"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)  # one JSON document, nothing else on stdout
    assert [r["rank"] for r in doc["recommendation"]] == [1, 2, 3]
    # The best is the first claim of the leaderboard whose refit did not fail (on a loaded
    # machine the first one's refit can run out of the 4 s and pass the turn), or the
    # fallback when nothing could be evaluated in time.
    board = doc["leaderboard"]
    if doc["fallback"]:
        fallback = [r["config_id"] for r in board if r["status"] == "fallback"]
        assert doc["best_config"] == fallback[0]
    else:
        failed = {r["config_id"] for r in board if r["status"] == "refit_error"}
        claims = [r["config_id"] for r in board if r["final"] and r["config_id"] not in failed]
        assert doc["best_config"] == claims[0]
    assert doc["explanation"]["neighbours"] and doc["saved"] == str(model)
    preds = tmp_path / "preds.csv"
    result = runner.invoke(
        app, ["predict", str(model), str(DEMO / "penguins.csv"), "-o", str(preds)]
    )
    assert result.exit_code == 0, result.stderr
    out = pd.read_csv(preds)
    truth = pd.read_csv(DEMO / "penguins.csv")["species"]
    assert len(out) == 344 and (out["prediction"] == truth).mean() > 0.9


def test_predict_with_a_missing_column_is_one_red_line(tmp_path: Path) -> None:
    model = tmp_path / "model.skops"
    result = runner.invoke(
        app, ["recommend", str(DEMO / "penguins.csv"), "-t", "species", "--budget", "2",
              "--save", str(model)],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "Leaderboard" in result.stdout and "Best:" in result.stdout
    data = tmp_path / "new.csv"
    pd.read_csv(DEMO / "penguins.csv").drop(columns="island").to_csv(data, index=False)
    result = runner.invoke(app, ["predict", str(model), str(data)])
    assert result.exit_code == 2
    assert "lacks column(s) the model needs: 'island'" in result.stderr
    result = runner.invoke(app, ["recommend", str(data), "-t", "species", "--budget", "0",
                                 "--save", str(model)])  # fmt: skip
    assert result.exit_code == 2 and "--save and --report need a search" in result.stderr


def test_leaderboard_prints_off_grid_ids_whole() -> None:
    # Local-search ids hold brackets; rich would read "[max_iter=316]" as a style tag.
    from types import SimpleNamespace

    from cli.console import out
    from cli.recommending import _print_leaderboard

    board = pd.DataFrame([{
        "config_id": "hgb_00[learning_rate=0.316,max_iter=316]", "family": "hist_gradient_boosting",
        "n_rows": 300, "score": 0.9, "score_std": 0.01, "fit_seconds": 0.2, "status": "ok",
    }])  # fmt: skip
    members = pd.DataFrame([{"config_id": board["config_id"][0], "weight": 1.0,
                             "fitted_on": "all rows"}])  # fmt: skip
    clf = SimpleNamespace(
        leaderboard_=board, metric_="accuracy", best_config_=board["config_id"][0],
        best_score_=0.9, fit_seconds_=1.0, ensemble_=members, interrupted_=False,
        refit_="ensemble of hgb_00[max_leaf_nodes=10] (0.87, all rows), mlp_04 (0.13, all rows)",
    )  # fmt: skip
    width, out.width = out.width, 200  # no wrapping inside the cell
    try:
        with out.capture() as captured:
            _print_leaderboard(clf, 10.0, None)
    finally:
        out.width = width
    table, best = captured.get().split("Best:")
    assert table.count("hgb_00[learning_rate=0.316,max_iter=316]") == 2  # board and ensemble
    assert best.startswith(" hgb_00[learning_rate=0.316,max_iter=316] (accuracy 0.9000)")
    assert "refit on ensemble of hgb_00[max_leaf_nodes=10] (0.87, all rows)" in best


def test_the_command_line_starts_without_importing_torch() -> None:
    # torch takes about 2 s to import; predict, --help and the meta-dataset commands do
    # not need it (autometa.maml lists ALGORITHMS without importing its modules).
    code = "import sys, cli.main; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_other_warnings_are_grouped_into_one_line() -> None:
    import warnings

    import typer

    from cli.console import err, guarded

    @guarded
    def noisy() -> None:
        warnings.simplefilter("always", RuntimeWarning)  # each one reaches the display
        for _ in range(6):  # as numpy on values near 1e308
            warnings.warn("overflow encountered in reduce", RuntimeWarning, stacklevel=1)
        warnings.warn("invalid value encountered in subtract", RuntimeWarning, stacklevel=1)
        warnings.warn("Dropped 2 rows", autometa.AutometaWarning, stacklevel=1)

    with err.capture() as captured:
        noisy()
    lines = captured.get().strip().splitlines()
    assert lines[0] == "Warning: Dropped 2 rows"  # autometa's own: shown as it comes
    assert len(lines) == 2 and lines[1].startswith("Warning: 7 warnings from the computations")
    assert "overflow encountered in reduce (x6)" in lines[1]

    @guarded
    def pressed() -> None:
        raise KeyboardInterrupt

    with err.capture() as captured, pytest.raises(typer.Exit) as exit_:
        pressed()
    assert exit_.value.exit_code == 130 and captured.get().strip() == "Interrupted."


@pytest.mark.slow
def test_ctrl_c_at_any_moment_exits_cleanly() -> None:
    """SIGINT at several moments of `autometa recommend`: start-up imports, meta-features,
    the search; never a traceback, always one line that says what happened."""
    import signal
    import time

    outcomes = []
    for delay in (0.1, 0.6, 1.2, 2.0, 3.0, 6.0):
        proc = subprocess.Popen(
            [sys.executable, "-m", "autometa", "recommend", str(DEMO / "penguins.csv"),
             "--target", "species", "--budget", "20"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
        assert "Traceback" not in stderr and "terminate called" not in stderr, (delay, stderr)
        assert proc.returncode in (0, 130), (delay, proc.returncode, stderr)
        outcomes.append(proc.returncode)
    assert 130 in outcomes  # interrupted before the search


@pytest.mark.slow
def test_ctrl_c_with_workers_running_keeps_the_best_and_leaves_no_worker() -> None:
    import signal
    import time

    import psutil

    proc = subprocess.Popen(
        [sys.executable, "-m", "autometa", "recommend", str(DEMO / "penguins.csv"),
         "--target", "species", "--budget", "30", "--n-jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    workers: list[psutil.Process] = []
    deadline = time.perf_counter() + 60
    while len(workers) < 2 and time.perf_counter() < deadline:  # both started
        time.sleep(0.5)
        workers = worker_processes(proc.pid)
    time.sleep(4)  # evaluations under way
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert len(workers) == 2
    assert proc.returncode == 0 and "Traceback" not in stderr, stderr
    assert "Search interrupted" in stderr + stdout
    _, alive = psutil.wait_procs(workers, timeout=5)
    assert not alive
