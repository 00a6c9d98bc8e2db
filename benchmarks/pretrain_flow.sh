#!/usr/bin/env bash
# Reproduces the shipped flow base model src/nugan/data/models/numu-C12-flow on CPU (1 thread; 24k steps of 4096
# events, configs/pretrain_flow_cpu.toml) on the same 2M simulated nu_mu-C12 events as the GAN base
# (benchmarks/pretrain_base.sh). RESUME=1 continues an interrupted rebuild. On a GPU add --device cuda.
set -euo pipefail
OUT=${1:-runs/base}
R=${RESUME:+--resume}
if [ ! -f "$OUT/numu_C12_train.parquet" ]; then
  nugan simulate --probe numu --target C12 --model default --energy 0.3:10 --flux flat \
    --events 2000000 --seed 12 -o "$OUT/numu_C12_train.parquet"
fi
OMP_NUM_THREADS=1 nugan pretrain --arch flow --data "$OUT/numu_C12_train.parquet" \
  --config configs/pretrain_flow_cpu.toml --energy-range 0.3:10 --out "$OUT/numu-C12-flow" $R
python benchmarks/ship_base.py "$OUT/numu-C12-flow" numu-C12-flow "bash benchmarks/pretrain_flow.sh"
