#!/usr/bin/env bash
# Samples per second of the GPU engine on a machine with a real GPU (written for NVIDIA), for the
# flagship scenario at 1e8 and 1e9 samples, through the CLI's JSON output (samples_per_s).
#
# Unattended and offline: installs nothing. It runs the tree as it is, so node_modules/ and dist/
# must come with it (`npm ci && npm run build` on the machine that copies the tree over).
# Usage: bench/gpu-device.sh [scenario]
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

# SAMPLES overrides the counts, e.g. SAMPLES="1000000" for a quick check.
for samples in ${SAMPLES:-100000000 1000000000}; do
  json=$(node dist/src/cli.js run "$scenario" --backend gpu --samples "$samples" --format json)
  node -e '
    const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const soft = r.backend.software ? "  (SOFTWARE adapter: the GPU driver was not found)" : "";
    console.log(`${r.samples.toExponential(0)} samples x ${r.cells.length} cell(s) on ${r.backend.adapter}${soft}: ` +
      `${r.elapsed_s.toFixed(2)} s, ${r.samples_per_s.toExponential(3)} samples/s`);
  ' <<<"$json"
done
