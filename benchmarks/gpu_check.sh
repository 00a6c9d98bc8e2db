#!/usr/bin/env bash
# The one prepared run for a lent GPU (issue 23, item 5): the CUDA tests, then the generate and train benchmarks
# on the GPU, every output under $OUT (the device tool's return folder) or the folder given as $1.
#
# Here, once:   make gpu-wheels   (the wheels of the packages the device image lacks, into runs/gpu_wheels)
# Then with the device tool (one call, ~6 min of device time):
#   run(command="bash benchmarks/gpu_check.sh", carry=["runs/gpu_wheels"], timeout_s=540)
# and commit $OUT/generate_cuda.json and $OUT/train_cuda.json as benchmarks/results/ files with the device named.
# DEVICES=cpu BATCHES=1000 bash benchmarks/gpu_check.sh runs/gpu_smoke  checks the script on a machine without one.
set -uo pipefail
OUT=${OUT:-${1:-runs/gpu}}
DEVICES=${DEVICES:-cuda}
BATCHES=${BATCHES:-1000000,10000000,100000000}
PY=${PY:-python3}
mkdir -p "$OUT"
export PYTHONPATH=src:benchmarks
if [ -d runs/gpu_wheels ] && ! $PY -c "import zuko, uproot, pyhepmc, hist" 2>/dev/null; then
  $PY -m pip install -q --no-index --no-deps runs/gpu_wheels/*.whl 2>&1 | tail -n 3
fi
{
  date -u +%FT%TZ
  (nvidia-smi -L || echo "no nvidia-smi") 2>&1
  $PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(),
torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
} > "$OUT/device.txt" 2>&1
cat "$OUT/device.txt"
echo "== CUDA tests"
timeout 150 $PY -m pytest -q -p no:cacheprovider -k "cuda or device" tests/test_generation.py tests/test_numpy_engine.py \
  2>&1 | tee "$OUT/cuda_tests.log" | tail -n 5
echo "== generate on $DEVICES (batches $BATCHES)"
timeout 240 $PY benchmarks/generate.py --devices "$DEVICES" --batches "$BATCHES" --min-seconds 1 \
  --pipeline-events parquet:10000000 --command-runs 0 --simulator-events 1000 --out "$OUT/generate_cuda.json" \
  2>&1 | tee "$OUT/generate.log" | tail -n 25
echo "== train steps on $DEVICES"
timeout 120 $PY benchmarks/train.py --devices "$DEVICES" --steps 5 --out "$OUT/train_cuda.json" \
  2>&1 | tee "$OUT/train.log" | tail -n 15
ls -la "$OUT"
