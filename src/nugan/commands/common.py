"""Helpers shared by CLI commands: user-facing errors and console output."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console

__all__ = ["console", "err_console", "user_errors", "fail"]

console = Console(soft_wrap=True)  # never break printed paths; the terminal wraps
err_console = Console(stderr=True, soft_wrap=True)  # error messages name files: never break a path

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 2) -> None:
    """Print ``error: message`` to stderr and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def user_errors(func: F) -> F:
    """Turn ValueError/OSError/KeyError raised by the library into a clean CLI error (rc 2, no traceback).

    An OSError (a directory where a file is expected, a permission, a full disk) names its file in the message.
    """

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ValueError, OSError, KeyError) as err:
            msg = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
            fail(str(msg))

    return wrapper  # type: ignore[return-value]
