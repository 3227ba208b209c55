#!/usr/bin/env python3
"""Writes a labelled customer-churn dataset as CSV (standard library only).

Columns: age, income, country, tenure_months, churned (0/1). --shift moves the
population (older, richer customers, a new country appears) to make the data
drift away from a reference; the labelling rule stays the same, so a model
trained on old data loses accuracy on the new.

  gen_data.py --rows 2000 --seed 1 --out reference.csv
  gen_data.py --rows 2000 --seed 2 --shift 1.0 --out current.csv
"""
import argparse
import csv
import math
import random


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=2000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--shift", type=float, default=0.0, help="0: the reference population; 1: drifted")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    rng = random.Random(a.seed)
    countries = ["de", "fr", "it"] + (["es"] if a.shift > 0.5 else [])
    with open(a.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["age", "income", "country", "tenure_months", "churned"])
        for _ in range(a.rows):
            age = max(18.0, rng.gauss(38 + 12 * a.shift, 10))
            income = rng.lognormvariate(10.3 + 0.4 * a.shift, 0.5)
            country = rng.choice(countries)
            tenure = max(0, int(rng.expovariate(1 / (24 - 10 * a.shift))))
            # The true rule: short tenure, young, low income churn more.
            z = 1.2 - 0.06 * tenure - 0.035 * (age - 40) - 0.6 * (math.log(income) - 10.3) + (0.5 if country == "fr" else 0)
            churned = 1 if rng.random() < 1 / (1 + math.exp(-z)) else 0
            w.writerow([f"{age:.1f}", f"{income:.0f}", country, tenure, churned])


if __name__ == "__main__":
    main()
