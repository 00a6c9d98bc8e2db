"""The ``nugan`` command line: a thin typer app; each command lives in ``nugan.commands.<name>``.

Command modules define ``register(app: typer.Typer) -> None`` and import heavy libraries lazily, so that
``nugan --help`` stays fast.
"""

from __future__ import annotations

import importlib
import os

import typer

__all__ = ["app", "main"]

#: Modules whose ``register`` adds commands, in help order. Only working commands are listed.
COMMAND_MODULES: tuple[str, ...] = (
    "nugan.commands.inspect_cmd",
    "nugan.commands.simulate_cmd",
    "nugan.commands.xsec_cmd",
    "nugan.commands.models_cmd",
    "nugan.commands.convert_cmd",
    "nugan.commands.train_cmds",
    "nugan.commands.evaluate_cmds",
    "nugan.commands.workflow_cmds",
    "nugan.commands.generate_cmd",
    "nugan.commands.weights_cmd",
    "nugan.commands.measurements_cmd",
)

app = typer.Typer(
    name="nugan",
    help="Fast, trainable neutrino-nucleus event generators (conditional GANs and flows, transfer learning).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



@app.callback()
def _root() -> None:
    """Fast, trainable neutrino-nucleus event generators (conditional GANs and flows, transfer learning)."""


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    """Entry point of the ``nugan`` script."""
    # OpenMP threads spin-wait by default, which is very slow on shared or busy cores (measured 26x in
    # generation on 2 shared cores); the user's own setting wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    _exit_on_sigterm()
    app()


def _exit_on_sigterm() -> None:
    """SIGTERM exits through Python (status 143) so that writers remove their temporary files."""
    import signal
    import sys

    def handler(signum: int, frame: object) -> None:
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


if __name__ == "__main__":
    main()
