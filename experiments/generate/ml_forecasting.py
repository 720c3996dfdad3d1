#!/usr/bin/env python3
"""Writes the inputs of reference scenario 3 (experiments/scenarios/ml-forecasting*.ron):
tonight's Jobs of two teams and the past seven nights of batch demand the provisioning
forecast is warmed up on.

THIS IS A SCENARIO, NOT DATA: every figure below is a choice, stated here. Deterministic
(seeded); re-run it to regenerate the CSV files next to the scenario:

    python3 experiments/generate/ml_forecasting.py

- Demand forecasting (team `demand`) submits its training Jobs at 01:00: 30 Jobs on an
  average night, each one pod of 4 vCPU and 16 GiB running 30 to 50 minutes.
- Supply planning (team `supply`) submits 16 Jobs at 01:30, same shape.
- Nights vary: each night's Job counts are the average times a factor drawn uniformly in
  [0.8, 1.2]; tonight is a busy night (1.2: 36 and 19 Jobs).
- The past demand is the vCPUs those Jobs requested, per 5 minutes, over the seven nights
  before the run (the run starts at 00:00 UTC): 4 vCPU per running Job.
"""
import os
import random

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenarios")
rng = random.Random(20261127)

TEAMS = [("demand", 3600, 30), ("supply", 5400, 16)]  # name, submit (s after 00:00), Jobs
TONIGHT = 1.2
STEP_S = 300


def jobs(count, submit_s):
    return [(submit_s, rng.randint(30, 50) * 60) for _ in range(count)]


def write_jobs():
    for name, submit_s, mean in TEAMS:
        path = os.path.join(HERE, f"ml-forecasting-{name}-jobs.csv")
        with open(path, "w") as f:
            f.write("submit_s,duration_s,cpu_millis,memory_mib\n")
            for submit, duration in jobs(round(mean * TONIGHT), submit_s):
                f.write(f"{submit},{duration},4000,16384\n")


def write_history():
    days = 7
    steps = days * 86400 // STEP_S
    demand = [0.0] * steps
    for day in range(days):
        factor = rng.uniform(0.8, 1.2)
        for _, submit_s, mean in TEAMS:
            for submit, duration in jobs(round(mean * factor), submit_s):
                start = day * 86400 + submit
                for k in range(start // STEP_S, min(steps, (start + duration) // STEP_S)):
                    demand[k] += 4.0
    path = os.path.join(HERE, "ml-forecasting-history.csv")
    with open(path, "w") as f:
        f.write("time_s,vcpu\n")
        for k, v in enumerate(demand):
            f.write(f"{k * STEP_S},{v}\n")


write_jobs()
write_history()
