"""Converts one day of Alibaba's openb pod list to clustersim's job-trace contract.

Input: openb_pod_list_day130.orig.csv (the rows of openb_pod_list_default.csv whose
creation_time falls in trace day 130, verbatim). Output: openb_jobs_day130.csv with the columns
of workloads/src/jobs/csv.rs, one job of one task per pod that ever ran.

    python3 convert.py            # from this directory; standard library only

- submit_s   = creation_time - 130 * 86400 (seconds since the day began)
- duration_s = deletion_time - scheduled_time (the time the pod held its node; the wait between
               creation and scheduling is the original cluster's queueing, which the simulation
               produces itself)
- cpu_millis = cpu_milli, memory_mib = memory_mib, gpus = num_gpu, count = 1
- kept beside them, ignored by the reader: name, gpu_milli, qos, pod_phase
- rows without scheduled_time (pods still Pending at the end of the trace) never ran: dropped.
"""
import csv

DAY = 130
DAY_START_S = DAY * 86400

with open("openb_pod_list_day130.orig.csv", newline="") as f:
    rows = list(csv.DictReader(f))

with open("openb_jobs_day130.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["submit_s", "duration_s", "cpu_millis", "memory_mib", "gpus", "count",
                "name", "gpu_milli", "qos", "pod_phase"])
    for r in rows:
        if not r["scheduled_time"]:
            continue
        w.writerow([int(r["creation_time"]) - DAY_START_S,
                    int(r["deletion_time"]) - int(r["scheduled_time"]),
                    r["cpu_milli"], r["memory_mib"], r["num_gpu"], 1,
                    r["name"], r["gpu_milli"], r["qos"], r["pod_phase"]])
