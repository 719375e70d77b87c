#!/usr/bin/env bash
# AutoGluon in its own venv (benchmarks/peers/.venv-autogluon), beside autometa's: the peer
# runs with its own dependency versions. Python 3.11 with the local CPU build of torch
# (torch==2.13.0 is inside AutoGluon's torch range); LightGBM, CatBoost and XGBoost;
# FastAI is left out (it brings spaCy), so medium_quality trains the other models.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv-autogluon"
python3.11 -m venv "$venv" 2>/dev/null || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q torch==2.13.0
"$venv/bin/python" -m pip install -q "autogluon.tabular[lightgbm,catboost,xgboost]==1.6.3" pyarrow
"$venv/bin/python" -c "import autogluon.tabular, torch; print('autogluon', autogluon.tabular.__version__, 'torch', torch.__version__)"
