"""Write the LAST state of a training run (its EMA generator and discriminator from state.safetensors) as a model,
whatever the validation selected: for experiments that compare where training ended.

    python benchmarks/export_last.py runs/exp/bal runs/exp/bal_last
"""

from __future__ import annotations

import sys

from nugan.models.checkpoint import load_model, save_model
from nugan.training.state import load_state


def main() -> None:
    run, out = sys.argv[1], sys.argv[2]
    bundle = load_model(run)
    state = load_state(run)
    bundle.generator.load_state_dict(state.get("generator_ema", state["generator"]))
    bundle.discriminator.load_state_dict(state["discriminator"])
    bundle.info.update(exported_step=state["step"], exported_from=str(run))
    print(f"step {state['step']} of {run} written to {save_model(bundle, out)}")


if __name__ == "__main__":
    main()
