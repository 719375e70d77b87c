"""The HTML report: sections, size, no script, the JSON beside it, a fallback search, an
old or mismatched model file, and the page in a real headless browser."""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings
from pathlib import Path

import pandas as pd
import pytest

import autometa
from autometa.artifacts import WrongArtifactError
from autometa.reporting.report import SECTIONS, render, report_data, saved_report_data
from tests.helpers import DEMO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def fitted() -> autometa.AutoMetaClassifier:
    task = autometa.load_table(DEMO / "penguins.csv", "species")
    return autometa.AutoMetaClassifier(
        time_budget=30, max_configs=4, random_state=0, ensemble=True
    ).fit_task(task)


def test_page_has_every_section_no_script_and_its_json(fitted, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = fitted.report(tmp_path / "r.html", tmp_path / "r.json")
    html = page.read_text()
    for section in SECTIONS:
        assert f'id="{section}"' in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert len(html.encode()) < 2_000_000
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["search"]["best_config"] == fitted.best_config_
    assert data["table"]["classes"] == {"Adelie": 152, "Gentoo": 124, "Chinstrap": 68}
    assert sum(sum(row) for row in data["diagnostics"]["confusion"]) == data["diagnostics"]["rows"]
    assert render(data) == html  # the page is a function of its data
    # Every setting that changes the result is in "how to reproduce" (curve halving: the
    # classifier's default, search.settings.CURVE_HALVING_DEFAULT).
    assert data["reproduce"]["curve_halving"] is True
    assert "curve_halving=True" in data["reproduce"]["command"]


def test_a_fallback_search_still_gives_a_page_that_says_so(tmp_path: Path) -> None:
    task = autometa.load_table(DEMO / "penguins.csv", "species")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = autometa.AutoMetaClassifier(time_budget=0.01, random_state=0).fit_task(task)
    assert clf.fallback_
    html = render(report_data(clf))
    assert "Nothing could be evaluated within the budget" in html
    assert "No out-of-fold predictions" in html


def test_saved_model_report_checks_the_data_and_the_file(fitted, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    model = autometa.load_model(fitted.save(tmp_path / "m.skops"))
    data = saved_report_data(model, DEMO / "penguins.csv")
    assert data["table"]["rows"] == 344 and data["search"]["best_config"] == fitted.best_config_
    pd.read_csv(DEMO / "penguins.csv").drop(columns="island").to_csv(
        tmp_path / "bad.csv", index=False
    )
    with pytest.raises(autometa.BadInputError, match=r"lacks column.*'island'"):
        saved_report_data(model, tmp_path / "bad.csv")
    model.info.pop("report")  # as a model file from an older autometa
    with pytest.raises(WrongArtifactError, match="carries no report data"):
        saved_report_data(model, DEMO / "penguins.csv")


@pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium (Debian: chromium) is not installed"
)
def test_the_page_in_a_headless_browser(fitted, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = fitted.report(tmp_path / "r.html")
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr",
             "--v=0"]  # fmt: skip
    # The DOM as the browser built it (--dump-dom serialises it with the browser's script).
    dom = subprocess.run([*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120, check=True)  # fmt: skip
    for section in SECTIONS:
        assert f'id="{section}"' in dom.stdout
    assert dom.stdout.count("<svg") >= 3 and "<script" not in dom.stdout
    assert "Uncaught" not in dom.stderr and ":CONSOLE" not in dom.stderr
    # The page holds no script, so it reads the same with JavaScript off (headless
    # Chromium's own screenshot needs its script on).
    shot = tmp_path / "r.png"
    subprocess.run([*flags, "--hide-scrollbars", "--window-size=1100,3000",
                    f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)  # fmt: skip
    assert shot.stat().st_size > 10_000  # a rendered page, not a blank one
