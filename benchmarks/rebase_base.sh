#!/usr/bin/env bash
# Carries the shipped simulator-trained base models (numu-C12, numu-C12-flow) over to a new simulator default
# without their from-scratch rebuilds (benchmarks/pretrain_base.sh, ~3 h on 2 cores; benchmarks/pretrain_flow.sh):
# the models shipped at git revision FROM are continued, nothing frozen, on 2M events of the current default
# (the rebuilds' flux, energy range and seed):
#   GAN:  two 5k-step E_nu-balanced phases (configs/continue_balanced_cpu.toml), the first's last state (not its
#         validation-selected one) continued by the second, selected on validation MAP, like phases 7 and 8 of
#         pretrain_base.sh (on 2.4 events the first phase's MAP selection kept its starting point, step 0, while
#         its last state had the lower classifier AUC against the simulator: 0.528 against 0.532);
#   flow: 6k steps at the pre-training's balance and a fifth of its learning rate (configs/rebase_flow_cpu.toml),
#         selected on the balanced validation NLL.
# Both run at once, one core each. Default FROM: ef2fd9b, the last commit shipping the models trained on default
# 2.3 (what simulator default 2.4 was rebased from). RESUME=1 continues an interrupted run.
#   bash benchmarks/rebase_base.sh [OUT] [FROM]
set -euo pipefail
OUT=${1:-runs/rebase}
FROM=${2:-ef2fd9b}
R=${RESUME:+--resume}
mkdir -p "$OUT"
for name in numu-C12 numu-C12-flow; do
  mkdir -p "$OUT/$name-from"
  for f in model.json model.safetensors; do
    git show "$FROM:src/nugan/data/models/$name/$f" > "$OUT/$name-from/$f"
  done
done
if [ ! -f "$OUT/numu_C12_train.parquet" ]; then
  nugan simulate --probe numu --target C12 --model default --energy 0.3:10 --flux flat \
    --events 2000000 --seed 12 -o "$OUT/numu_C12_train.parquet"
fi
gan_phases() {
  OMP_NUM_THREADS=1 nugan transfer --base "$OUT/numu-C12-from" --data "$OUT/numu_C12_train.parquet" --freeze none \
    --config configs/continue_balanced_cpu.toml --out "$OUT/numu-C12-a" $R > "$OUT/numu-C12-a.log" 2>&1
  python benchmarks/export_last.py "$OUT/numu-C12-a" "$OUT/numu-C12-a-last"
  OMP_NUM_THREADS=1 nugan transfer --base "$OUT/numu-C12-a-last" --data "$OUT/numu_C12_train.parquet" --freeze none \
    --config configs/continue_balanced_cpu.toml --out "$OUT/numu-C12" $R > "$OUT/numu-C12.log" 2>&1
}
gan_phases &
gan=$!
OMP_NUM_THREADS=1 nugan transfer --base "$OUT/numu-C12-flow-from" --data "$OUT/numu_C12_train.parquet" \
  --freeze none --config configs/rebase_flow_cpu.toml --out "$OUT/numu-C12-flow" $R \
  > "$OUT/numu-C12-flow.log" 2>&1 &
flow=$!
wait $gan || { echo "GAN continuation failed: see $OUT/numu-C12-a.log and $OUT/numu-C12.log" >&2; exit 1; }
wait $flow || { echo "flow continuation failed: see $OUT/numu-C12-flow.log" >&2; exit 1; }
note="continued from the model shipped at $FROM on the current simulator default"
python benchmarks/ship_base.py "$OUT/numu-C12" numu-C12 "bash benchmarks/rebase_base.sh" "$note"
python benchmarks/ship_base.py "$OUT/numu-C12-flow" numu-C12-flow "bash benchmarks/rebase_base.sh" "$note"
python benchmarks/add_weights_hash.py src/nugan/data/models/numu-C12-flow/model.json
echo "shipped numu-C12 and numu-C12-flow; training logs in $OUT"
