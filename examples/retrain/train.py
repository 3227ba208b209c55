#!/usr/bin/env python3
"""A small real retraining job: logistic regression by SGD on a CSV of
gen_data.py, standard library only (runs on a CPU; Muster gives it a GPU slot
it does not need, which is fine for a demo).

Reads Muster's environment:
  MUSTER_WARM_START      a directory with the model.json of the last successful
                         retrain: training continues from those weights
  MUSTER_CHECKPOINT_DIR  where this run writes model.json (after every epoch,
                         so a preempted run resumes from its own checkpoint)
  MUSTER_TRIGGER_REASON  why this retrain runs (printed)

  train.py --data current.csv [--epochs 5] [--lr 0.05]
"""
import argparse
import csv
import json
import math
import os
import random
import sys

COUNTRIES = ["de", "fr", "it", "es"]


def features(row):
    age = (float(row["age"]) - 40) / 12
    income = math.log(max(1.0, float(row["income"]))) - 10.3
    tenure = (float(row["tenure_months"]) - 24) / 24
    onehot = [1.0 if row["country"] == c else 0.0 for c in COUNTRIES]
    return [age, income, tenure] + onehot


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"train.py: no rows in {path}")
    return [(features(r), int(r["churned"])) for r in rows]


def predict(w, b, x):
    z = b + sum(wi * xi for wi, xi in zip(w, x))
    return 1 / (1 + math.exp(-max(-30, min(30, z))))


def accuracy(w, b, data):
    return sum((predict(w, b, x) >= 0.5) == (y == 1) for x, y in data) / len(data)


def read_checkpoint(directory):
    path = os.path.join(directory, "model.json")
    if not directory or not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def write_checkpoint(directory, state):
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, "model.json.tmp")
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.replace(tmp, os.path.join(directory, "model.json"))  # never a half-written checkpoint


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--lr", type=float, default=0.05)
    a = p.parse_args()
    data = load(a.data)
    ckpt_dir = os.environ.get("MUSTER_CHECKPOINT_DIR", "checkpoint")
    print(f"retrain: reason '{os.environ.get('MUSTER_TRIGGER_REASON', '-')}', {len(data)} rows from {a.data}")

    # Resume this run's own checkpoint (after a preemption), else warm start.
    state = read_checkpoint(ckpt_dir)
    if state:
        print(f"resuming this run at epoch {state['epoch']}")
    else:
        warm = read_checkpoint(os.environ.get("MUSTER_WARM_START", ""))
        if warm:
            print(f"warm start from {os.environ['MUSTER_WARM_START']} "
                  f"(trained {warm['total_epochs']} epochs, accuracy there {warm['accuracy']:.3f})")
            state = {"w": warm["w"], "b": warm["b"], "epoch": 0, "total_epochs": warm["total_epochs"]}
        else:
            print("cold start")
            state = {"w": [0.0] * len(data[0][0]), "b": 0.0, "epoch": 0, "total_epochs": 0}
    w, b = state["w"], state["b"]
    print(f"accuracy on the current data before training: {accuracy(w, b, data):.3f}")

    rng = random.Random(42)
    for epoch in range(state["epoch"], a.epochs):
        rng.shuffle(data)
        for x, y in data:
            g = predict(w, b, x) - y
            w = [wi - a.lr * g * xi for wi, xi in zip(w, x)]
            b -= a.lr * g
        acc = accuracy(w, b, data)
        write_checkpoint(ckpt_dir, {"w": w, "b": b, "epoch": epoch + 1,
                                    "total_epochs": state["total_epochs"] + epoch + 1 - state["epoch"],
                                    "accuracy": acc})
        print(f"epoch {epoch + 1}/{a.epochs}: accuracy {acc:.3f}")
    print(f"checkpoint in {ckpt_dir}/model.json")


if __name__ == "__main__":
    main()
