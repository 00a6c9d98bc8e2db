"""The ``nugan`` command line: a thin typer app; each command lives in ``nugan.commands.<name>``.

Command modules define ``register(app: typer.Typer) -> None`` and import heavy libraries lazily, so that
``nugan --help`` stays fast.
"""

from __future__ import annotations

import importlib
import os
import sys

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
    "nugan.commands.tune_cmd",
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
    _help_width()
    app()


#: Width [columns] of ``--help`` when no terminal reports one (output piped, captured or in a CI log).
HELP_WIDTH_NO_TERMINAL = 160


def _help_width() -> None:
    """``--help`` at the full terminal width, or :data:`HELP_WIDTH_NO_TERMINAL` columns without a terminal.

    rich falls back to 80 columns when stdout is not a terminal, which wraps every option table; TERMINAL_WIDTH
    or COLUMNS set by the user win.
    """
    if os.environ.get("TERMINAL_WIDTH") or os.environ.get("COLUMNS"):
        return
    width = HELP_WIDTH_NO_TERMINAL
    for fd in (1, 2, 0):
        try:
            width = os.get_terminal_size(fd).columns
            break
        except OSError:
            continue
    rich_utils = sys.modules.get("typer.rich_utils")
    if rich_utils is not None:
        rich_utils.MAX_WIDTH = width  # type: ignore[attr-defined]
    else:
        # typer reads TERMINAL_WIDTH when it first imports rich_utils (only to print help or an error):
        # importing it here would cost ~0.07 s (markdown) on every command
        os.environ["TERMINAL_WIDTH"] = str(width)


def _exit_on_sigterm() -> None:
    """SIGTERM exits through Python (status 143) so that writers remove their temporary files."""
    import signal
    import sys

    def handler(signum: int, frame: object) -> None:
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


if __name__ == "__main__":
    main()
