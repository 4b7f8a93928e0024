"""The option types and shared options of ``tpw-custody``'s commands."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar

import click

from chain.paths import PROJECT_ROOT
from custody.node.settings import BASE_PORT
from custody.provision import DIGEST_BYTES

DEFAULT_KEY_ID: Final = "treasury"
DEFAULT_NODE_COUNT: Final = 3
FIRST_PORT: Final = BASE_PORT + 1
DEFAULT_POLICY: Final = PROJECT_ROOT / "config" / "policy.example.yaml"

_F = TypeVar("_F", bound=Callable[..., Any])


class NodeIdList(click.ParamType):
    """Comma-separated node ids, e.g. ``1,3``."""

    name = "IDS"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> list[int]:
        if isinstance(value, list):
            return value
        try:
            ids = [int(part) for part in str(value).split(",")]
        except ValueError:
            self.fail(f"{value!r} is not a comma-separated list of node ids (e.g. 1,3)", param, ctx)
        if any(node_id < 1 for node_id in ids):
            self.fail(f"{value!r}: node ids start at 1", param, ctx)
        return ids


class Digest(click.ParamType):
    """A 32-byte digest as 64 hex digits, with or without 0x."""

    name = "HEX"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> bytes:
        if isinstance(value, bytes):
            return value
        text = str(value).strip()
        text = text[2:] if text[:2].lower() == "0x" else text
        try:
            digest = bytes.fromhex(text)
        except ValueError:
            digest = b""
        if len(digest) != DIGEST_BYTES or len(text) != 2 * DIGEST_BYTES:
            self.fail(
                f"a digest is {DIGEST_BYTES} bytes written as {2 * DIGEST_BYTES} hex digits", param, ctx
            )
        return digest


def dir_option(help_text: str) -> Callable[[_F], _F]:
    """``--dir``: the directory a command works on."""
    return click.option(
        "--dir",
        "directory",
        type=click.Path(file_okay=False, path_type=Path),
        required=True,
        help=help_text,
    )


GROUP_DIR_HELP: Final = "The custody group's directory (as init-ca or keygen made it)."


def key_option(help_text: str = "The key id.") -> Callable[[_F], _F]:
    """``--key``: the key id, ``treasury`` unless given."""
    return click.option("--key", "key_id", default=DEFAULT_KEY_ID, show_default=True, help=help_text)


def layout_options(function: _F) -> _F:
    """Where a new group's nodes serve and what policy they get."""
    for option in reversed(
        (
            click.option(
                "--host", default="127.0.0.1", show_default=True, help="The address every node serves on."
            ),
            click.option(
                "--first-port",
                type=click.IntRange(1, 65535),
                default=FIRST_PORT,
                show_default=True,
                help="Node 1's port; node i serves on FIRST_PORT + i - 1.",
            ),
            click.option(
                "--policy",
                "policy_path",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                default=DEFAULT_POLICY,
                show_default=True,
                help="The policy file every node gets a copy of (validated first).",
            ),
        )
    ):
        function = option(function)
    return function


def listed_ids(node_ids: Sequence[int]) -> str:
    """Node ids as the options take them: ``1,3``."""
    return ",".join(str(node_id) for node_id in node_ids)
