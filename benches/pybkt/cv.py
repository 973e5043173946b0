"""pyBKT with forgetting on the folds of Tupu's learner-model evaluation (the peer figure).

Same data and folds as `benches/tests/datasets.rs`: the ASSISTments 2009 skill-builder training
learners, learner `train-<i>` in fold `i mod 5`; next-response AUC, RMSE and log-loss of the
held-out learners, each prediction from the learner's earlier answers on the skill only.

    python3 -m venv venv && venv/bin/pip install numpy==2.3.5 scikit-learn==1.7.2 pyBKT==1.4.3 pandas
    venv/bin/python benches/pybkt/cv.py DATASETS/assistments-2009-train/train.jsonl.gz [--folds 0,1,2,3,4] [--num-fits 1]

pyBKT is pure Python here and slow: pass fewer folds to subsample.
"""

import argparse
import gzip
import json
import time

import numpy as np
import pandas as pd
from pyBKT.models import Model
from sklearn.metrics import log_loss, mean_squared_error, roc_auc_score

FOLDS = 5


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("train")
    parser.add_argument("--folds", default="0,1,2,3,4")
    parser.add_argument("--num-fits", type=int, default=1)
    args = parser.parse_args()
    rows = []
    with gzip.open(args.train, "rt") as f:
        for order, line in enumerate(f):
            r = json.loads(line)
            rows.append((order, r["learner"], r["skill"], int(r["correct"])))
    df = pd.DataFrame(rows, columns=["order_id", "user_id", "skill_name", "correct"])
    df["fold"] = df["user_id"].str.slice(len("train-")).astype(int) % FOLDS
    ys, ps = [], []
    for k in [int(x) for x in args.folds.split(",")]:
        train, test = df[df.fold != k], df[df.fold == k]
        started = time.time()
        model = Model(seed=42, num_fits=args.num_fits)
        model.fit(data=train, forgets=True)
        fitted = time.time() - started
        predicted = model.predict(data=test)
        ys.append(predicted["correct"].to_numpy())
        ps.append(predicted["correct_predictions"].to_numpy())
        print(f"fold {k}: fit {fitted:.0f} s, AUC {roc_auc_score(ys[-1], ps[-1]):.4f}", flush=True)
    y, p = np.concatenate(ys), np.clip(np.concatenate(ps), 1e-9, 1 - 1e-9)
    print(f"pyBKT 1.4.3 with forgetting, folds {args.folds}, num_fits {args.num_fits}: "
          f"AUC {roc_auc_score(y, p):.4f}  RMSE {np.sqrt(mean_squared_error(y, p)):.4f}  log-loss {log_loss(y, p):.4f}")


if __name__ == "__main__":
    main()
