"""Command line: ``python -m azbatch.emulator [--host H] [--port P] [--account A] [--key K] ...``.

Prints how to connect (endpoint, account, key, managed-identity variables) — as a banner, or with
``--json`` as one JSON line for scripts — optionally writes them to a dotenv file (``--env-file``), and
serves until SIGINT or SIGTERM, then shuts down cleanly with exit status 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import signal
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from ._server import BatchEmulator

MAX_TRANSITION_MS = 86_400_000
"""Longest ``--transition-ms`` the CLI accepts: a day (a transient state lasting longer is a typo)."""


def _port(text: str) -> int:
    """An argparse type: a TCP port, 0-65535 (0 picks a free one)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535 (0 picks a free one), not {value}")
    return value


def _transition_ms(text: str) -> int:
    """An argparse type: a whole number of milliseconds from 0 to a day."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of milliseconds: {text!r}") from None
    if not 0 <= value <= MAX_TRANSITION_MS:
        raise argparse.ArgumentTypeError(f"must be 0-{MAX_TRANSITION_MS} milliseconds, not {value}")
    return value


def _seconds(text: str) -> float:
    """An argparse type: a positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive, finite number of seconds, not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The CLI's argument parser (its flags mirror ``BatchEmulator``'s keywords)."""
    parser = argparse.ArgumentParser(
        prog="python -m azbatch.emulator", description="Local in-memory emulator of the Azure Batch job API."
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default: 127.0.0.1); anything but loopback exposes the emulator to the network",
    )
    parser.add_argument(
        "--port", type=_port, default=0, help="TCP port, 0-65535; 0 picks a free one (default: 0)"
    )
    parser.add_argument("--account", default="emulator", help="Batch account name (default: emulator)")
    parser.add_argument("--key", default=None, help="base64 account key (default: random per run)")
    parser.add_argument(
        "--transition-ms",
        type=_transition_ms,
        default=300,
        metavar="MS",
        help="duration of transient job states in ms, 0 to a day (default: 300)",
    )
    parser.add_argument("--no-auth", action="store_true", help="accept requests without authentication")
    parser.add_argument(
        "--seed", type=int, default=None, help="seed for fault probabilities and generated ids"
    )
    parser.add_argument(
        "--header-timeout",
        type=_seconds,
        default=10.0,
        metavar="SECONDS",
        help="time for a request's headers to arrive after its first byte; then 408 and close (default: 10)",
    )
    parser.add_argument(
        "--body-timeout",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="time for a request body to arrive after its headers; then 408 and close (default: 30)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="close connections with no request under way after this long (default: 30)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the connection details as one JSON line (and nothing else on stdout)",
    )
    parser.add_argument(
        "--env-file",
        metavar="PATH",
        default=None,
        help="write AZURE_BATCH_ENDPOINT/ACCOUNT/KEY and IDENTITY_* to this dotenv file once serving",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    return parser


def _banner(emu: BatchEmulator) -> str:
    env = emu.identity_env()
    lines = [
        "Azure Batch job emulator is running.",
        f"  endpoint: {emu.endpoint}",
        f"  account:  {emu.account}",
        f"  key:      {emu.key}",
        f"  auth:     {'on' if emu.auth.enabled else 'off'}",
        *(
            []
            if emu.auth.enabled
            else ["  (nothing is verified: pass any credential, e.g. AzureNamedKeyCredential(account, key))"]
        ),
        "For managed-identity (Entra ID) authentication export:",
        *(f"  export {name}={value}" for name, value in env.items()),
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def write_env_file(path: str | os.PathLike[str], values: Mapping[str, str]) -> None:
    """Write ``NAME=value`` lines readable by dotenv tools and ``set -a; . FILE``.

    The file holds the account key, so it is created readable by its owner only, and it appears at once
    complete (written beside it, then renamed), so a script polling for it never reads half of it.
    """
    target = Path(path)
    text = "".join(f"{name}={value}\n" for name, value in values.items())
    fd, tmp = tempfile.mkstemp(prefix=".emulator-env-", dir=target.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


async def serve(args: argparse.Namespace, stop: asyncio.Event | None = None) -> None:
    """Run the emulator described by ``args`` until SIGINT/SIGTERM (or until ``stop`` is set, if given).

    A ``--host`` that is not loopback makes ``BatchEmulator.start`` log a warning that the emulator is
    reachable from the network; :func:`main`'s logging setup prints it on stderr.
    """
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            # Not available on Windows' proactor loop; Ctrl-C then arrives as KeyboardInterrupt instead.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
    emulator = BatchEmulator(
        account=args.account,
        key=args.key,
        transition_ms=args.transition_ms,
        auth=not args.no_auth,
        host=args.host,
        port=args.port,
        seed=args.seed,
        header_timeout=args.header_timeout,
        body_timeout=args.body_timeout,
        idle_timeout=args.idle_timeout,
    )
    async with emulator:
        if args.env_file:
            write_env_file(args.env_file, emulator.client_env())
        if args.json:
            print(json.dumps({**emulator.info(), "env": emulator.client_env()}), flush=True)
        else:
            print(_banner(emulator), flush=True)
        await stop.wait()
    if not args.json:
        print("Emulator stopped.", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )
    if args.verbose:
        logging.getLogger("azbatch.emulator").setLevel(logging.DEBUG)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    except (OSError, ValueError, OverflowError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
