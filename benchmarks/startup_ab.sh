#!/bin/bash
# Whole-command start-up timings of this checkout against an older revision, alternated (after, before,
# after) so that a changing machine load shows up in the spread. Usage, from the repository root:
#   bash benchmarks/startup_ab.sh [REV (default 05ea2ee, before the issue-23 lazy imports)] [PYTHON]
# Each side runs benchmarks/generate.py --commands-only (this checkout's script) against its own src/.
set -euo pipefail
REV=${1:-05ea2ee}
PY=${2:-python}
HERE=$(pwd)
OLD=$(mktemp -d)
trap 'rm -rf "$OLD"' EXIT
git archive "$REV" src | tar -x -C "$OLD"
mkdir -p "$OLD/benchmarks" && cp benchmarks/generate.py benchmarks/provenance.py "$OLD/benchmarks/"
FIXTURE=$HERE/../shared/fixtures/nuwro_numu_C12_small.root
INSPECT=()
if [ -f "$FIXTURE" ]; then INSPECT=(--inspect-file "$FIXTURE"); fi
for side in after before after; do
  if [ "$side" = after ]; then D=$HERE; else D=$OLD; fi
  echo "== $side ($D) load $(cut -d' ' -f1 /proc/loadavg)"
  PYTHONPATH=$D/src "$PY" "$D/benchmarks/generate.py" --commands-only --command-runs 3 \
    --out "$OLD/startup_$side.json" "${INSPECT[@]}" "${@:3}" | grep "nugan "
done
