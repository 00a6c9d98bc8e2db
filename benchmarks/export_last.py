"""Write the LAST state of a training run (its EMA generator and discriminator from state.pt) as a model,
whatever the validation selected: for experiments that compare where training ended.

    python benchmarks/export_last.py runs/exp/bal runs/exp/bal_last
"""

from __future__ import annotations

import sys

import torch

from nugan.training.checkpoint import load_model, save_model


def main() -> None:
    run, out = sys.argv[1], sys.argv[2]
    bundle = load_model(run)
    state = torch.load(f"{run}/state.pt", weights_only=False)
    bundle.generator.load_state_dict(state["generator_ema"] or state["generator"])
    bundle.discriminator.load_state_dict(state["discriminator"])
    bundle.info.update(exported_step=state["step"], exported_from=str(run))
    print(f"step {state['step']} of {run} written to {save_model(bundle, out)}")


if __name__ == "__main__":
    main()
