#!/usr/bin/env bash
# Samples per second of the GPU engine on a machine with a real GPU (written for NVIDIA): the
# flagship scenario at 1e8 and 1e9 samples and the 100-cell sweep
# (scenarios/h100-llama70b-sweep.yaml) at 1e6 and 1e7 samples per cell, through the CLI's JSON
# output (samples_per_s, elapsed_s), with the wall time of each command; then the bench
# (bench/bench.ts: GPU engine, CPU engine, NumPy peer when python3 has numpy) at 2^26 samples.
#
# Unattended and offline: installs nothing. It runs the tree as it is, so node_modules/ and dist/
# must come with it (`npm ci && npm run build` on the machine that copies the tree over).
# Usage: bench/gpu-device.sh [scenario]
# Environment: SAMPLES (flagship counts), SWEEP_SAMPLES (per-cell counts of the sweep),
# BENCH_SAMPLES (the bench's count; 0 skips the bench).
set -euo pipefail
cd "$(dirname "$0")/.."

scenario=${1:-scenarios/h100-llama70b-fp8-owned.yaml}
if [[ ! -f dist/src/cli.js || ! -d node_modules/webgpu ]]; then
  echo "gpu-device.sh: dist/src/cli.js or node_modules/webgpu is missing: run npm ci && npm run build first" >&2
  exit 1
fi
# Dawn's Vulkan loader wants a runtime dir; a bare batch machine may have none.
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}

command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
node --version

report() {
  node -e '
    const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const soft = r.backend.software ? "  (SOFTWARE adapter: the GPU driver was not found)" : "";
    const wall = Number(process.argv[2]) - Number(process.argv[1]);
    console.log(`${r.samples.toExponential(0)} samples x ${r.cells.length} cell(s) on ${r.backend.adapter}${soft}: ` +
      `${r.elapsed_s.toFixed(2)} s (wall ${wall.toFixed(2)} s), ${r.samples_per_s.toExponential(3)} samples/s, ` +
      `${(r.samples * r.cells.length / wall).toExponential(3)} evaluations/s of wall time`);
  ' "$1" "$2"
}

run_timed() {
  local t0 t1 json
  t0=$(date +%s.%N)
  json=$(node dist/src/cli.js run "$@" --backend gpu --format json)
  t1=$(date +%s.%N)
  report "$t0" "$t1" <<<"$json"
}

# SAMPLES overrides the counts, e.g. SAMPLES="1000000" for a quick check.
for samples in ${SAMPLES:-100000000 1000000000}; do
  run_timed "$scenario" --samples "$samples"
done
for samples in ${SWEEP_SAMPLES:-1000000 10000000}; do
  run_timed scenarios/h100-llama70b-sweep.yaml --samples "$samples"
done
bench_samples=${BENCH_SAMPLES:-67108864}
if [[ "$bench_samples" != 0 ]]; then
  engines=gpu,cpu
  python3 -c 'import numpy' 2>/dev/null && engines=gpu,cpu,numpy
  node dist/bench/bench.js --json --samples "$bench_samples" --engines "$engines"
fi
