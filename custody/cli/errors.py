"""How ``tpw-custody`` reports a failure: one ``error: ...`` line on stderr, exit status 2 for input the
operator got wrong and 1 for an operation that failed."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, Final, NoReturn

import click

from custody.errors import CustodyError, InvalidKek, WeakPassphrase, WrongPassphrase
from custody.frost import FrostError
from custody.policy.errors import PolicyConfigError
from custody.provision import ProvisionRefused

INPUT_ERRORS: Final = (ProvisionRefused, WrongPassphrase, WeakPassphrase, InvalidKek, PolicyConfigError)
"""Library errors that mean the operator's input was wrong (exit 2); every other failure exits 1."""


class InputError(click.ClickException):
    """Input the command cannot work with (exit status 2)."""

    exit_code = 2


def _one_line(message: str) -> str:
    """A message on one line: a multi-line one (a policy's list of problems) joined with "; "."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return " ".join([*lines[:1], "; ".join(lines[1:])]).strip()


def _fail(message: str, exit_code: int) -> NoReturn:
    click.echo(f"error: {_one_line(message)}", err=True)
    sys.exit(exit_code)


class OneLineErrors(click.Group):
    """The command group, reporting every expected failure as one ``error:`` line and an exit status."""

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> NoReturn:
        extra.pop("standalone_mode", None)
        try:
            code = super().main(args, prog_name, standalone_mode=False, **extra)
        except click.UsageError as error:
            hint = f" (see '{error.ctx.command_path} --help')" if error.ctx is not None else ""
            _fail(error.format_message() + hint, error.exit_code)
        except click.ClickException as error:
            _fail(error.format_message(), error.exit_code)
        except click.Abort:
            _fail("aborted", 1)
        except INPUT_ERRORS as error:
            _fail(str(error), 2)
        except (CustodyError, FrostError) as error:
            _fail(str(error), 1)
        except OSError as error:
            _fail(str(error), 1)
        sys.exit(code if isinstance(code, int) else 0)
