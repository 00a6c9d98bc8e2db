#!/usr/bin/env bash
# Rebuilds the flow base model src/nugan/data/models/numu-C12-flow from scratch on CPU (1 thread) on the same 2M
# simulated nu_mu-C12 events as the GAN base (benchmarks/pretrain_base.sh); last run on default 2.1/2.2 events, the
# shipped flow is that model carried over to default 2.4 by benchmarks/rebase_base.sh. Two phases:
#   1. 24k steps of 4096 events, maximum likelihood (configs/pretrain_flow_cpu.toml);
#   2. 3k steps continued with nothing frozen, E_nu-balanced (configs/continue_flow_balanced_cpu.toml).
# RESUME=1 continues an interrupted rebuild. On a GPU add --device cuda.
set -euo pipefail
OUT=${1:-runs/base}
R=${RESUME:+--resume}
if [ ! -f "$OUT/numu_C12_train.parquet" ]; then
  nugan simulate --probe numu --target C12 --model default --energy 0.3:10 --flux flat \
    --events 2000000 --seed 12 -o "$OUT/numu_C12_train.parquet"
fi
OMP_NUM_THREADS=1 nugan pretrain --arch flow --data "$OUT/numu_C12_train.parquet" \
  --config configs/pretrain_flow_cpu.toml --energy-range 0.3:10 --out "$OUT/numu-C12-flow-phase1" $R
OMP_NUM_THREADS=1 nugan transfer --base "$OUT/numu-C12-flow-phase1" --data "$OUT/numu_C12_train.parquet" \
  --freeze none --config configs/continue_flow_balanced_cpu.toml --out "$OUT/numu-C12-flow" $R
python benchmarks/ship_base.py "$OUT/numu-C12-flow" numu-C12-flow "bash benchmarks/pretrain_flow.sh"
python benchmarks/add_weights_hash.py src/nugan/data/models/numu-C12-flow/model.json
