#!/usr/bin/env bash
# Reproduces the shipped base model src/nugan/data/models/numu-C12 (CPU, 1 thread, ~40-60 min on these
# 2-core machines). Same commands on a GPU: add --device cuda and use configs/pretrain_gpu.toml.
set -euo pipefail
OUT=${1:-runs/base}
nugan simulate --probe numu --target C12 --model default --energy 0.3:10 --flux flat \
  --events 2000000 --seed 12 -o "$OUT/numu_C12_train.parquet"
OMP_NUM_THREADS=1 nugan pretrain --data "$OUT/numu_C12_train.parquet" --config configs/pretrain_cpu.toml \
  --energy-range 0.3:10 --out "$OUT/numu-C12" ${RESUME:+--resume}
