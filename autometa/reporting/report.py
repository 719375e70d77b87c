"""One self-contained HTML page per recommendation and search: what the table is, why the
ranking is what it is, how the search went, the leaderboard and the ensemble, diagnostics
on out-of-fold predictions, and how to reproduce it.

The page is built from a fitted :class:`~autometa.AutoMetaClassifier`'s public state only
(:func:`report_data` gives the data, JSON-able; :func:`render` the page), so the CLI and
Python give the same page, and a saved model carries the data to render it again
(``autometa report model.skops --data data.csv``). No script, no network: inline CSS and
SVG (``autometa/reporting/svg.py``), printable, readable with JavaScript off.
"""

from __future__ import annotations

import itertools
import json
import math
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autometa.artifacts import VERSION
from autometa.exceptions import BadInputError
from autometa.reporting import svg
from autometa.search.records import Status
from autometa.space.metrics import Predictions, get_metric

__all__ = [
    "SECTIONS",
    "render",
    "report_data",
    "saved_report_data",
    "write_report",
]

#: Section ids of the page, in order (the browser test checks them).
SECTIONS = ("table", "metafeatures", "ranking", "explanation", "search", "leaderboard",
            "diagnostics", "reproduce")  # fmt: skip
N_BINS = 10


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    def clean(v: Any) -> Any:
        if isinstance(v, np.generic):
            v = v.item()
        return None if isinstance(v, float) and not math.isfinite(v) else v

    return [{str(k): clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _number(value: float | None) -> float:
    """A value of the report's data as a float (JSON's null: NaN)."""
    return float("nan") if value is None else float(value)


def _why(ranking: pd.DataFrame, ood_weight: float) -> list[str]:
    """Why each row of the ranking is where it is."""
    if "predicted_score" not in ranking:  # an order given by the caller
        return ["the order given" for _ in range(len(ranking))]
    scores = ranking["predicted_score"].to_numpy()
    reasons = []
    for i, score in enumerate(scores):
        below = scores[i + 1 :]
        if i == 0:
            reason = "highest predicted score"
        elif len(below) and score < below.max() - 1e-12:
            reason = "diversified head: best complement of the rows above"
        else:
            reason = "by predicted score"
        if ood_weight > 0:
            reason += f" (blended {ood_weight:.0%} towards the portfolio: unusual table)"
        reasons.append(reason)
    return reasons


def _incumbent_line(trajectory: pd.DataFrame) -> list[tuple[float, float]]:
    """(seconds, score) wherever the incumbent's score changed: the search's own trajectory."""
    line: list[tuple[float, float]] = []
    scored = trajectory.dropna(subset=["incumbent_score"])
    for finished, score in zip(scored["finished"], scored["incumbent_score"], strict=True):
        if not line or line[-1][1] != score:
            line.append((float(finished), float(score)))
    return line


def _diagnostics(oof: pd.DataFrame | None, classes: np.ndarray | None) -> dict[str, Any] | None:
    if oof is None or oof.empty:
        return None
    if classes is None:
        return _residuals(oof)
    proba = oof.drop(columns=["row", "y"]).to_numpy(dtype=float)
    codes = np.asarray(oof.columns[2:], dtype=int)
    y = oof["y"].to_numpy().astype(int)
    predicted = codes[proba.argmax(axis=1)]
    k = len(classes)
    confusion = np.zeros((k, k), dtype=int)
    np.add.at(confusion, (y, predicted), 1)
    confidence = proba.max(axis=1)
    correct = predicted == y
    edges = np.linspace(0.0, 1.0, N_BINS + 1)
    calibration = []
    for lo, hi in itertools.pairwise(edges):
        inside = (confidence > lo) & (confidence <= hi)
        if inside.any():
            calibration.append({"bin": f"{lo:.1f}-{hi:.1f}", "confidence": float(confidence[inside].mean()),
                                "accuracy": float(correct[inside].mean()), "rows": int(inside.sum())})  # fmt: skip
    return {"classes": [str(c) for c in classes], "confusion": confusion.tolist(),
            "calibration": calibration, "rows": len(y)}  # fmt: skip


def _residuals(oof: pd.DataFrame) -> dict[str, Any]:
    """Regression diagnostics: R2 and RMSE of the out-of-fold predictions, and the mean
    target against the mean prediction in ``N_BINS`` bins of the prediction (quantiles)."""
    y, pred = oof["y"].to_numpy(dtype=float), oof["prediction"].to_numpy(dtype=float)
    made = Predictions(pred, np.asarray([]))
    edges = np.unique(np.quantile(pred, np.linspace(0, 1, N_BINS + 1)))
    bins = np.clip(np.searchsorted(edges, pred, side="right") - 1, 0, max(len(edges) - 2, 0))
    rows = [{"bin": int(b) + 1, "predicted": float(pred[bins == b].mean()),
             "actual": float(y[bins == b].mean()), "rows": int((bins == b).sum())}
            for b in np.unique(bins)]  # fmt: skip
    return {"kind": "regression", "rows": len(y), "bins": rows,
            "r2": get_metric("r2").compute(y, made),
            "rmse": get_metric("rmse").compute(y, made)}  # fmt: skip


def report_data(clf: Any, command: str | None = None) -> dict[str, Any]:
    """Everything the page shows, JSON-able, from a fitted AutoMetaClassifier or
    AutoMetaRegressor."""
    if not hasattr(clf, "leaderboard_"):
        raise BadInputError("The estimator is not fitted; call fit before report.")
    rec = clf.recommendation_
    explanation = rec.explain()
    ranking = rec.ranking.head(max(rec.top_k, 10)).copy()
    ranking["why"] = _why(ranking, float(explanation.ood.get("weight", 0.0)))
    features = _records(explanation.attributions)
    board = clf.leaderboard_
    points = board[board["status"] == Status.OK]
    data = {
        "title": f"autometa on {clf.table_['name']}",
        "table": clf.table_,
        "metafeatures": features,
        "ranking": _records(ranking),
        "notes": list(rec.notes),
        "neighbours": _records(explanation.neighbours),
        "ood": {k: float(v) for k, v in explanation.ood.items()},
        "search": {
            "budget": float(clf.time_budget),
            "metric": clf.metric_,
            "seconds": float(clf.fit_seconds_),
            "best_config": clf.best_config_,
            "best_score": float(clf.best_score_),
            "refit": clf.refit_,
            "fallback": bool(clf.fallback_),
            "interrupted": bool(clf.interrupted_),
            "points": _records(
                points[["finished", "score", "family", "n_rows", "config_id", "rung"]]
            ),
            "incumbent": _incumbent_line(clf.trajectory_),
        },
        "leaderboard": _records(
            board[board["final"]].head(15)[
                [
                    "config_id",
                    "family",
                    "rung",
                    "n_rows",
                    "score",
                    "score_std",
                    "fit_seconds",
                    "status",
                    "ensemble_weight",
                ]
            ]
        ),
        "ensemble": _records(clf.ensemble_),
        "diagnostics": _diagnostics(clf.oof_, getattr(clf, "classes_", None)),
        "reproduce": {
            "command": command
            or f"autometa.{type(clf).__name__}("
            f"time_budget={clf.time_budget!r}, metric={clf.metric_!r}, "
            f"random_state={clf.random_state!r}, ensemble={clf.settings_.ensemble!r}, "
            f"curve_halving={clf.settings_.curve_halving!r}).fit(X, y)",
            "version": VERSION,
            "seed": clf.random_state,
            "budget": clf.time_budget,
            "metric": clf.metric_,
            "ensemble": clf.settings_.ensemble,
            "curve_halving": clf.settings_.curve_halving,
        },
    }
    return json.loads(json.dumps(data, default=str))  # plain JSON types throughout


def _table(
    rows: list[dict[str, Any]], columns: list[str], formats: dict[str, str] | None = None
) -> str:
    formats = formats or {}
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            v = row.get(c)
            text = "" if v is None else (formats[c].format(v) if c in formats else str(v))
            cells.append(f"<td>{escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222;line-height:1.4}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.note{background:#fff6d6;padding:.4em .6em;border-left:3px solid #e0b400}
.fig{margin:.5em 0}code{background:#f4f4f4;padding:1px 4px;word-break:break-all}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}.fig,table{break-inside:avoid}}
"""


def _target_words(t: dict[str, Any]) -> str:
    if "target" in t:
        edges = t["target"]["edges"]
        return f"a numeric target from {edges[0]:.4g} to {edges[-1]:.4g}"
    return f"{len(t['classes'])} classes"


def _target_figure(t: dict[str, Any]) -> str:
    if "target" in t:
        edges, counts = t["target"]["edges"], t["target"]["counts"]
        labels = [f"{lo:.3g}" for lo in edges[:-1]]
        return svg.bars(labels, counts, "target histogram (bin lower edges)")
    return svg.bars(list(t["classes"]), list(t["classes"].values()), "class balance")


def render(data: dict[str, Any]) -> str:
    """The page for :func:`report_data`'s data."""
    t, s, d = data["table"], data["search"], data["diagnostics"]
    parts = [f"<h1>{escape(data['title'])}</h1>"]
    if s["fallback"]:
        parts.append('<p class="note">Nothing could be evaluated within the budget: the model '
                     f"is a fallback, {escape(s['refit'])}.</p>")  # fmt: skip
    if s.get("interrupted"):
        parts.append('<p class="note">The search was interrupted (Ctrl-C) after '
                     f"{s['seconds']:.1f} s of its {s['budget']:g} s budget: the model is the "
                     "best of what had been evaluated.</p>")  # fmt: skip
    dropped = [{"column": k, "reason": v} for k, v in t["dropped"].items()]
    kinds = pd.Series(t["kinds"]).value_counts().to_dict()
    parts += [
        '<h2 id="table">The table</h2>',
        f"<p>{t['rows']} rows, {t['columns']} columns ("
        + ", ".join(f"{v} {k}" for k, v in kinds.items()) + f"), {_target_words(t)}.</p>",
        '<div class="fig">' + _target_figure(t) + "</div>",
        _table(dropped, ["column", "reason"]) if dropped else "<p>No column dropped.</p>",
        '<h2 id="metafeatures">Meta-features that mattered</h2>',
        "<p>The table's value (dot) against the 5-95 % range of the training datasets (bar, "
        "median tick); the attribution is how much the top configuration's learned score "
        "drops when the feature is set to its training median.</p>",
    ]  # fmt: skip
    moved = any(abs(m["attribution"]) > 1e-12 for m in data["metafeatures"])
    if moved:
        rows = [
            (m["feature"], *(_number(m[k]) for k in ("low", "median", "high", "value")))
            for m in data["metafeatures"]
        ]
        parts.append('<div class="fig">' + svg.ranges(rows, "meta-features") + "</div>")
        parts.append(_table(data["metafeatures"], ["feature", "value", "attribution"],
                            {"value": "{:.4g}", "attribution": "{:+.4f}"}))  # fmt: skip
    else:
        parts.append("<p>The meta-model kept the single-best prior for this table (its "
                     "learned part is switched off by its inner cross-validation, or moved "
                     "nothing): no meta-feature changed the ranking.</p>")  # fmt: skip
    parts += [
        '<h2 id="ranking">The ranking</h2>',
        "<p>Predicted score: in standard deviations above the mean configuration's score on "
        "this table (a z-score, not the metric's value); uncertainty on the same scale.</p>",
        *[f'<p class="note">{escape(n)}</p>' for n in data["notes"]],
        _table(data["ranking"], ["rank", "config_id", "family", "params", "predicted_score",
                                 "predicted_fit_seconds", "uncertainty", "why"],
               {"predicted_score": "{:.3f}", "predicted_fit_seconds": "{:.2g}",
                "uncertainty": "{:.3f}"}),
        '<h2 id="explanation">Nearest training datasets</h2>',
        _table(data["neighbours"], ["dataset", "distance", "best_config", "best_family"],
               {"distance": "{:.2f}"}),
        f"<p>Distance to the nearest: {data['ood'].get('distance', float('nan')):.2f} "
        f"(out-of-distribution threshold {data['ood'].get('threshold', float('nan')):.2f}).</p>",
        '<h2 id="search">The search over time</h2>',
        f"<p>{len(s['points'])} successful evaluations in {s['seconds']:.1f} s of a "
        f"{s['budget']:g} s budget ({escape(s['metric'])}; points sized by rows, line: the "
        "incumbent, dashed: the budget).</p>",
    ]  # fmt: skip
    if s["points"]:
        biggest = max(p["n_rows"] for p in s["points"])
        points = [(p["finished"], p["score"], p["family"], 3 + 5 * math.sqrt(p["n_rows"] / biggest))
                  for p in s["points"]]  # fmt: skip
        x_max = max(s["budget"], s["seconds"])
        parts.append('<div class="fig">' + svg.scatter(
            points, [tuple(p) for p in s["incumbent"]], x_max, "search over time",
            "seconds since the start of the search", s["metric"], vline=s["budget"]) + "</div>")  # fmt: skip
    parts += [
        '<h2 id="leaderboard">Leaderboard</h2>',
        f"<p>Best: <b>{escape(s['best_config'])}</b> ({s['best_score']:.4f}), final fit: "
        f"{escape(s['refit'])}.</p>",
        _table(data["leaderboard"], ["config_id", "family", "rung", "n_rows", "score", "score_std",
                                     "fit_seconds", "status", "ensemble_weight"],
               {"score": "{:.4f}", "score_std": "{:.4f}", "fit_seconds": "{:.2g}",
                "ensemble_weight": "{:.2f}"}),
    ]  # fmt: skip
    if data["ensemble"]:
        parts.append("<p>Ensemble (greedy selection on out-of-fold predictions):</p>")
        parts.append(
            _table(data["ensemble"], ["config_id", "weight", "fitted_on"], {"weight": "{:.2f}"})
        )
    parts.append('<h2 id="diagnostics">Diagnostics (out-of-fold predictions of the best)</h2>')
    if d is None:
        parts.append("<p>No out-of-fold predictions: the model was not validated.</p>")
    elif d.get("kind") == "regression":
        parts += [
            f"<p>{d['rows']} rows of the best configuration's last rung: R2 {d['r2']:.4f}, "
            f"RMSE {d['rmse']:.4g}. Mean target against mean prediction, by bins of the "
            "prediction:</p>",
            _table(d["bins"], ["bin", "predicted", "actual", "rows"],
                   {"predicted": "{:.4g}", "actual": "{:.4g}"}),
        ]  # fmt: skip
    else:
        parts += [
            f"<p>{d['rows']} rows of the best configuration's last rung. Confusion matrix:</p>",
            '<div class="fig">' + svg.heatmap(d["confusion"], d["classes"], "confusion matrix") + "</div>",
            "<p>Calibration (confidence of the predicted class against its accuracy):</p>",
            _table(d["calibration"], ["bin", "confidence", "accuracy", "rows"],
                   {"confidence": "{:.3f}", "accuracy": "{:.3f}"}),
        ]  # fmt: skip
    r = data["reproduce"]
    parts += [
        '<h2 id="reproduce">How to reproduce</h2>',
        f"<p><code>{escape(str(r['command']))}</code></p>",
        f"<p>autometa {escape(str(r['version']))}, seed {escape(str(r['seed']))}, budget "
        f"{escape(str(r['budget']))} s, metric {escape(str(r['metric']))}, ensemble "
        f"{escape(str(r['ensemble']))}, curve halving {escape(str(r['curve_halving']))}.</p>",
    ]  # fmt: skip
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(data['title'])}</title><style>{CSS}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")  # fmt: skip


def saved_report_data(model: Any, data: str | Path) -> dict[str, Any]:
    """The report data a saved model carries, with the table section of ``data`` (which
    must have the model's columns; a clear error names what differs)."""
    from autometa.artifacts import WrongArtifactError
    from autometa.table.reading import read_file
    from autometa.table.summary import table_summary
    from autometa.table.tabular import load_table

    stored = model.info.get("report")
    if not stored:
        raise WrongArtifactError(
            "This model file carries no report data (it was saved by an older autometa); "
            "refit and save the model again to report on it."
        )
    result = dict(json.loads(stored))
    frame = read_file(Path(data))
    model.schema.transform(frame.drop(columns=[model.schema.target], errors="ignore"), f"'{data}'")
    if model.schema.target in frame.columns:
        result["table"] = table_summary(
            load_table(frame, model.schema.target, name=Path(data).stem, task=model.kind)
        )
    else:
        result["notes"] = [*result["notes"], f"'{data}' has no '{model.schema.target}' column: "
                           "the table section describes the training table."]  # fmt: skip
    return result


def write_report(
    data: dict[str, Any], path: str | Path | None, json_path: str | Path | None = None
) -> Path:
    """Write the page (and, when asked, its data as JSON); return the page's path, or the
    JSON's when ``path`` is None."""
    targets = [Path(p) for p in (path, json_path) if p is not None]
    if not targets:
        raise BadInputError("Give a path for the report page, its JSON data, or both.")
    for target in targets:
        if not target.parent.exists():
            raise BadInputError(
                f"Folder '{target.parent}' does not exist; cannot write '{target}'."
            )
    if path is not None:
        Path(path).write_text(render(data), encoding="utf-8")
    if json_path is not None:
        Path(json_path).write_text(json.dumps(data, indent=1), encoding="utf-8")
    return targets[0]
