#!/bin/bash
# Runs deploy/slurm/sweep-array.sh on a one-node Slurm on loopback and checks that the merged
# shards give the table a single-machine sweep gives. About 15 s with a debug build on 2 cores
# (plus `apt-get install slurm-wlm`, about a minute, when it is missing).
#
#   bash deploy/slurm/loopback-check.sh [path/to/clustersim]
#
# Needs root (it writes /etc/slurm/slurm.conf and starts munged, slurmctld and slurmd, which it
# stops again on exit). Debian's slurm-wlm 22.05 was used; the sweep is tests/sweep.rs's
# 12-run fixture, written into a temporary folder.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CLUSTERSIM=$(realpath "${1:-$ROOT/target/debug/clustersim}")
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

command -v sbatch >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm >/dev/null

HOST=$(hostname)
mkdir -p /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge /etc/slurm
chown munge:munge /run/munge
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=loopback
SlurmctldHost=$HOST(127.0.0.1)
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmdSpoolDir=/var/spool/slurmd
StateSaveLocation=/var/spool/slurmctld
SlurmUser=root
SlurmdUser=root
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 )) State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF

runuser -u munge -- /usr/sbin/munged --force
PIDS+=("$(cat /run/munge/munged.pid)")
/usr/sbin/slurmctld -c
sleep 1
PIDS+=("$(cat "$WORK/slurmctld.pid")")
/usr/sbin/slurmd
sleep 1
PIDS+=("$(cat "$WORK/slurmd.pid")")
for _ in $(seq 30); do sinfo -h -o %t | grep -q idle && break; sleep 1; done

cat > "$WORK/base.ron" <<'RON'
Experiment(
    name: "t",
    duration: "1h",
    output_interval: "5m",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "p", region: "us-east1", instance_type: "e2-standard-4", capacity_type: OnDemand, nodes: 2)],
    services: [(
        name: "api",
        replicas: 2,
        requests: (cpu: "3", memory: "512Mi"),
        capacity_rps: 100,
        traffic: Product([Constant(rps: 50), Noise(cv: 0.02)]),
    )],
    targets: (p99_latency: "60ms"),
)
RON
cat > "$WORK/sweep.ron" <<'RON'
Sweep(
    base: "base.ron",
    axes: [
        Zip([
            Values(field: "services[name=api].replicas", values: [1, 2, 3]),
            Values(field: "node_pools[0].nodes", values: [1, 2, 3]),
        ]),
        Values(field: "node_pools[0].capacity_type", values: ["OnDemand", "Spot"]),
    ],
    seeds: [1, 2],
)
RON

export SWEEP="$WORK/sweep.ron" RESULTS="$WORK/results" CLUSTERSIM
cd "$ROOT"
# One CPU per task, so the three shards share the node's cores.
array=$(sbatch --parsable --cpus-per-task=1 --output="$WORK/slurm-%A_%a.out" deploy/slurm/sweep-array.sh)
sbatch --parsable --dependency=afterok:"$array" --output="$WORK/merge.out" \
  --wrap "$CLUSTERSIM sweep-merge $WORK/results/merged $WORK/results/sweep-shard-*" >/dev/null
for _ in $(seq 600); do [ -z "$(squeue -h)" ] && break; sleep 1; done

"$CLUSTERSIM" sweep "$SWEEP" --out "$WORK/single" --jobs 2 --quiet
for f in sweep.parquet sweep.csv sweep.html; do
  cmp "$WORK/single/$f" "$WORK/results/merged/$f"
done
cat "$WORK/merge.out"
echo "slurm loopback: 3 array tasks merged into the single-machine table"
