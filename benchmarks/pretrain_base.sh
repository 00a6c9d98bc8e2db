#!/usr/bin/env bash
# Reproduces the shipped base model src/nugan/data/models/numu-C12 on CPU (1 thread; ~110 min on an idle core
# of these 2-core machines): 16k steps of pre-training, 8k steps continued at a low learning rate, then 16k
# steps continued at twice the batch with a warm restart of the learning rate (configs/continue_long_cpu.toml),
# then 12k steps after widening the networks (an 8-category latent code for the generator, W2/Q2 features for
# the discriminator, both zero-initialised; configs/continue_modes_cpu.toml), which resolves the Delta peak.
# On a GPU add --device cuda and use configs/pretrain_gpu.toml.
set -euo pipefail
OUT=${1:-runs/base}
nugan simulate --probe numu --target C12 --model default --energy 0.3:10 --flux flat \
  --events 2000000 --seed 12 -o "$OUT/numu_C12_train.parquet"
OMP_NUM_THREADS=1 nugan pretrain --data "$OUT/numu_C12_train.parquet" --config configs/pretrain_cpu.toml \
  --energy-range 0.3:10 --out "$OUT/numu-C12-phase1" ${RESUME:+--resume}
OMP_NUM_THREADS=1 nugan transfer --base "$OUT/numu-C12-phase1" --data "$OUT/numu_C12_train.parquet" \
  --freeze none --config configs/continue_cpu.toml --out "$OUT/numu-C12-phase2" ${RESUME:+--resume}
OMP_NUM_THREADS=1 nugan transfer --base "$OUT/numu-C12-phase2" --data "$OUT/numu_C12_train.parquet" \
  --freeze none --config configs/continue_long_cpu.toml --out "$OUT/numu-C12-phase3" ${RESUME:+--resume}
OMP_NUM_THREADS=1 nugan transfer --base "$OUT/numu-C12-phase3" --data "$OUT/numu_C12_train.parquet" \
  --freeze none --config configs/continue_modes_cpu.toml --add-latent-categories 8 --add-disc-features W2,Q2 \
  --out "$OUT/numu-C12" ${RESUME:+--resume}
python benchmarks/ship_base.py "$OUT/numu-C12" numu-C12 "bash benchmarks/pretrain_base.sh"
