"""``python -m azbatch.emulator``: start as a subprocess, read the banner, make a request, stop with a signal."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import stat
import sys
from pathlib import Path

import aiohttp
import pytest

from azbatch.emulator import BatchEmulator
from azbatch.emulator.__main__ import build_parser, main

STARTUP_TIMEOUT_S = 20.0
EXIT_TIMEOUT_S = 10.0
MAX_BANNER_LINES = 30


async def start_cli(*args: str) -> tuple[asyncio.subprocess.Process, dict[str, str]]:
    """Run the CLI and parse its banner (bounded in lines and time)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "azbatch.emulator",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    info: dict[str, str] = {}
    banner: list[str] = []
    try:
        for _ in range(MAX_BANNER_LINES):
            line = (await asyncio.wait_for(proc.stdout.readline(), STARTUP_TIMEOUT_S)).decode().strip()
            if not line:
                break
            banner.append(line)
            if line.startswith("export "):
                name, _, value = line[len("export ") :].partition("=")
                info[name] = value
            elif ":" in line:
                name, _, value = line.partition(":")
                info[name.strip()] = value.strip()
            if line.startswith("Press Ctrl-C"):
                break
    except BaseException:
        proc.kill()
        await proc.wait()
        raise
    info["banner"] = "\n".join(banner)
    return proc, info


async def stop(proc: asyncio.subprocess.Process, sig: int) -> tuple[int, str, str]:
    proc.send_signal(sig)
    out, err = await asyncio.wait_for(proc.communicate(), EXIT_TIMEOUT_S)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_cli_serves_and_stops_cleanly(sig: int) -> None:
    proc, info = await start_cli("--port", "0", "--no-auth", "--account", "cliacct", "--transition-ms", "0")
    try:
        endpoint = info["endpoint"]
        assert endpoint.startswith("http://127.0.0.1:")
        assert info["account"] == "cliacct"
        assert len(base64.b64decode(info["key"], validate=True)) == 64
        assert info["IDENTITY_ENDPOINT"] == endpoint + "/metadata/identity/oauth2/token"
        assert info["IDENTITY_HEADER"]
        async with aiohttp.ClientSession() as session:
            job = {"id": "from-cli", "poolInfo": {"poolId": "p"}}
            url = f"{endpoint}/jobs?api-version=2024-02-01.19.0"
            async with session.post(url, json=job) as response:
                assert response.status == 201
            async with session.get(url) as response:
                assert [j["id"] for j in (await response.json(content_type=None))["value"]] == ["from-cli"]
    finally:
        code, out, err = await stop(proc, sig)
    assert code == 0, err
    assert "Emulator stopped." in out
    assert "Traceback" not in err
    assert "reachable from the network" not in err  # loopback by default: no exposure warning


async def test_cli_uses_the_given_key_and_requires_auth_by_default() -> None:
    key = base64.b64encode(b"k" * 32).decode()
    proc, info = await start_cli("--key", key)
    try:
        assert info["key"] == key and info["auth"] == "on"
        url = f"{info['endpoint']}/jobs?api-version=2024-02-01.19.0"
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            assert response.status == 403
    finally:
        code, _, _ = await stop(proc, signal.SIGINT)
    assert code == 0


async def test_cli_reports_a_port_in_use() -> None:
    async with BatchEmulator() as emu:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "azbatch.emulator",
            "--port",
            str(emu.port),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(proc.communicate(), STARTUP_TIMEOUT_S)
    assert proc.returncode == 1
    assert b"error:" in err and b"Traceback" not in err


async def test_cli_connection_time_limits() -> None:
    proc, info = await start_cli("--no-auth", "--header-timeout", "0.2", "--idle-timeout", "60")
    try:
        host, _, port = info["endpoint"].removeprefix("http://").rpartition(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"GET /jobs HTTP/1.1\r\nHost: x\r\n")  # headers never finished
        answer = await asyncio.wait_for(reader.read(), EXIT_TIMEOUT_S)
        writer.close()
        await writer.wait_closed()
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert b'"code":"RequestTimeout"' in answer
    finally:
        code, _, _ = await stop(proc, signal.SIGINT)
    assert code == 0


async def test_cli_rejects_an_out_of_range_port_without_a_traceback() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "azbatch.emulator",
        "--port",
        "99999",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), STARTUP_TIMEOUT_S)
    assert proc.returncode == 2, err
    assert b"error: argument --port: port must be 0-65535" in err
    assert b"Traceback" not in err and b"OverflowError" not in err and out == b""


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--port", "99999", "argument --port: port must be 0-65535 (0 picks a free one), not 99999"),
        ("--port", "65536", "argument --port: port must be 0-65535"),
        ("--port", "-1", "argument --port: port must be 0-65535"),
        ("--port", "http", "argument --port: not a port number: 'http'"),
        ("--transition-ms", "-1", "argument --transition-ms: must be 0-86400000 milliseconds, not -1"),
        ("--transition-ms", "10" * 20, "argument --transition-ms: must be 0-86400000 milliseconds"),
        ("--transition-ms", "0.5", "argument --transition-ms: not a whole number of milliseconds: '0.5'"),
        ("--seed", "x", "argument --seed: invalid int value: 'x'"),
        ("--header-timeout", "0", "argument --header-timeout: must be a positive, finite number of seconds"),
        (
            "--body-timeout",
            "0",
            "argument --body-timeout: must be a positive, finite number of seconds, not 0",
        ),
        ("--body-timeout", "-3", "argument --body-timeout: must be a positive, finite number of seconds"),
        ("--idle-timeout", "inf", "argument --idle-timeout: must be a positive, finite number of seconds"),
        ("--idle-timeout", "nan", "argument --idle-timeout: must be a positive, finite number of seconds"),
        ("--idle-timeout", "soon", "argument --idle-timeout: not a number of seconds: 'soon'"),
    ],
)
def test_cli_rejects_bad_numbers_before_starting(
    option: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([option, value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"python -m azbatch.emulator: error: {message}" in err, err


@pytest.mark.parametrize(
    ("option", "value", "attribute", "expected"),
    [
        ("--port", "0", "port", 0),
        ("--port", "65535", "port", 65535),
        ("--transition-ms", "0", "transition_ms", 0),
        ("--transition-ms", "86400000", "transition_ms", 86_400_000),
        ("--seed", "-7", "seed", -7),
        ("--header-timeout", "0.25", "header_timeout", 0.25),
        ("--idle-timeout", "1e3", "idle_timeout", 1000.0),
    ],
)
def test_cli_accepts_numbers_in_range(option: str, value: str, attribute: str, expected: object) -> None:
    assert getattr(build_parser().parse_args([option, value]), attribute) == expected


async def test_cli_json_output() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "azbatch.emulator",
        "--json",
        "--no-auth",
        "--account",
        "jsonacct",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), STARTUP_TIMEOUT_S)
        info = json.loads(line)
        assert info["account"] == "jsonacct" and info["auth"] is False
        assert info["endpoint"].startswith("http://127.0.0.1:")
        env = info["env"]
        assert env == {
            "AZURE_BATCH_ENDPOINT": info["endpoint"],
            "AZURE_BATCH_ACCOUNT": "jsonacct",
            "AZURE_BATCH_KEY": info["key"],
            "IDENTITY_ENDPOINT": info["IDENTITY_ENDPOINT"],
            "IDENTITY_HEADER": info["IDENTITY_HEADER"],
        }
        async with aiohttp.ClientSession() as session:
            url = f"{env['AZURE_BATCH_ENDPOINT']}/jobs?api-version=2024-02-01.19.0"
            async with session.get(url) as response:
                assert response.status == 200
    finally:
        code, out, err = await stop(proc, signal.SIGTERM)
    assert code == 0, err
    assert out == ""  # nothing but the JSON line on stdout


async def test_cli_env_file(tmp_path: Path) -> None:
    target = tmp_path / "emulator.env"
    proc, info = await start_cli("--env-file", str(target))
    try:
        text = target.read_text(encoding="utf-8")
        values = dict(line.split("=", 1) for line in text.splitlines())
        assert values["AZURE_BATCH_ENDPOINT"] == info["endpoint"]
        assert values["AZURE_BATCH_ACCOUNT"] == info["account"]
        assert values["AZURE_BATCH_KEY"] == info["key"]
        assert values["IDENTITY_ENDPOINT"] == info["IDENTITY_ENDPOINT"]
        assert values["IDENTITY_HEADER"] == info["IDENTITY_HEADER"]
        if os.name == "posix":
            assert stat.S_IMODE(target.stat().st_mode) == 0o600  # it holds the key
        assert [p.name for p in tmp_path.iterdir()] == ["emulator.env"]  # no temporary left behind
    finally:
        code, _, _ = await stop(proc, signal.SIGINT)
    assert code == 0


async def test_cli_banner_says_what_credential_to_use_without_auth() -> None:
    proc, info = await start_cli("--no-auth")
    try:
        assert info["auth"] == "off"
        assert "pass any credential, e.g. AzureNamedKeyCredential(account, key)" in info["banner"]
    finally:
        code, _, _ = await stop(proc, signal.SIGINT)
    assert code == 0
