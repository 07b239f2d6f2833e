#!/usr/bin/env bash
# Submits a sharded cptsim run to Slurm: a job array of N shards, then a merge job that starts
# when every shard has succeeded. Prints the two job ids.
#   deploy/slurm/submit.sh SCENARIO N OUTDIR [cptsim run options...]
# OUTDIR must be on storage every node sees. Set CPTSIM to the command that runs cptsim on the
# nodes (default: cptsim on PATH); extra sbatch options go in SBATCH_EXTRA (e.g. "-p gpu --gres=gpu:1").
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 SCENARIO N OUTDIR [cptsim run options...]" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
scenario=$(realpath "$1") n=$2 outdir=$(mkdir -p "$3" && realpath "$3")
shift 3
# shellcheck disable=SC2086
array=$(sbatch --parsable ${SBATCH_EXTRA:-} --array="0-$((n - 1))" --output="$outdir/shard-%a.log" \
  "$here/cptsim-shard.sbatch" "$scenario" "$n" "$outdir" "$@")
array=${array%%;*}
# shellcheck disable=SC2086
merge=$(sbatch --parsable ${SBATCH_EXTRA:-} --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --output="$outdir/merge.log" "$here/cptsim-merge.sbatch" "$n" "$outdir")
merge=${merge%%;*}
echo "array $array"
echo "merge $merge"
