"""Fit AutoGluon on one split, inside its own venv (see install_autogluon.sh).

Usage: autogluon_fit.py TRAIN.parquet TEST.parquet TARGET BUDGET OUT.json

presets="medium_quality", time_limit=BUDGET, num_cpus=1, verbosity 0; writes accuracy on
the test rows, the wall seconds of fit and the best model's name to OUT.json.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time

import pandas as pd
from autogluon.tabular import TabularPredictor


def main() -> None:
    train_path, test_path, target, budget, out = sys.argv[1:6]
    train, test = pd.read_parquet(train_path), pd.read_parquet(test_path)
    with tempfile.TemporaryDirectory() as tmp:
        predictor = TabularPredictor(label=target, eval_metric="accuracy", path=tmp, verbosity=0)
        t0 = time.perf_counter()
        predictor.fit(train, presets="medium_quality", time_limit=float(budget), num_cpus=1,
                      num_gpus=0)  # fmt: skip
        wall = time.perf_counter() - t0
        pred = predictor.predict(test.drop(columns=[target]))
        accuracy = float((pred.to_numpy() == test[target].to_numpy()).mean())
        best = str(predictor.model_best)
    with open(out, "w") as fh:
        json.dump({"accuracy": accuracy, "wall": wall, "best": best}, fh)


if __name__ == "__main__":
    main()
