#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser a user's input reaches (cargo-fuzz, libFuzzer).
# Needs a nightly toolchain and `cargo install cargo-fuzz`; run from anywhere:
#
#   tests/fuzz/run.sh                 # every target, 10 M executions each
#   tests/fuzz/run.sh gate 1000000    # one target, 1 M executions
#   FUZZ_SANITIZER=none tests/fuzz/run.sh sweep   # without AddressSanitizer: 4-6x the
#                                                 # executions per second (README)
#
# Each target's corpus (tests/fuzz/corpus/TARGET, not kept in git) starts from seeds the
# repository already has: the bundled experiments and sweeps, the manifests examples, the test
# traces. A crash leaves its input in tests/fuzz/artifacts/TARGET and stops with exit 1.
# `-rss_limit_mb` keeps a runaway allocation a finding rather than the machine's problem.
# Stdin is /dev/null: a sweep whose base names `/dev/stdin` must not wait on the terminal.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
runs="${2:-10000000}"
sanitizer="${FUZZ_SANITIZER:-address}"
targets=(experiment gate trace_csv trace_bytes manifests sweep)
[[ $# -ge 1 ]] && targets=("$1")

seeds() {
  case "$1" in
    experiment) echo experiments ;;
    gate) echo tests/fuzz/seeds/gate ;;
    trace_csv | trace_bytes) echo tests/fuzz/seeds/trace ;;
    manifests) echo experiments/manifests ;;
    sweep) echo experiments/sweeps ;;
  esac
}

for t in "${targets[@]}"; do
  mkdir -p "tests/fuzz/corpus/$t"
  echo "== $t: $runs executions"
  # Traces, manifests and sweeps' bases resolve relative to the repository root, as the seeds
  # name them.
  cargo +nightly fuzz run --fuzz-dir tests/fuzz -s "$sanitizer" "$t" "tests/fuzz/corpus/$t" "$(seeds "$t")" -- \
    -runs="$runs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 </dev/null
done
