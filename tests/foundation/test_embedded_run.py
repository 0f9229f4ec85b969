"""The embedded default, as `make run` starts it: migrate, demo_setup, a real server on
loopback serving the admin and the bundled sandbox from one WSGI application."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sync.management.commands.demo_setup import DEMO_PASSWORD, DEMO_USERNAME

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def embedded_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        HUB_ENV="embedded",
        DATABASE_URL=f"sqlite:///{tmp_path / 'hub.sqlite3'}",
        SANDBOX_DB=str(tmp_path / "sandbox.sqlite3"),
        ENV_FILE="/nonexistent",
    )
    return env


def wait_until_up(url, server, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(server.stdout.read())
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("server did not come up")


@pytest.fixture
def embedded_server(tmp_path):
    env, port = embedded_env(tmp_path), free_port()
    base = f"http://127.0.0.1:{port}"
    manage = [sys.executable, "manage.py"]
    run = {
        "cwd": ROOT,
        "env": env,
        "check": True,
        "capture_output": True,
        "timeout": 120,
    }
    subprocess.run([*manage, "migrate", "--no-input"], **run)
    setup = subprocess.run([*manage, "demo_setup", "--base-url", base], **run)
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_up(f"{base}/healthz", server)
        yield base, setup.stdout.decode()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_demo_admin_logs_in_and_sees_every_model(embedded_server):
    base, setup_output = embedded_server
    assert DEMO_USERNAME in setup_output and DEMO_PASSWORD in setup_output
    with httpx.Client(base_url=base, follow_redirects=True) as browser:
        login = browser.get("/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
        index = browser.post(
            "/admin/login/?next=/admin/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": DEMO_USERNAME,
                "password": DEMO_PASSWORD,
            },
        )
        assert index.status_code == 200
        for model in [
            "commerce/source",
            "commerce/sourcerecord",
            "mappings/fieldmapping",
            "mappings/valuemap",
            "mappings/ownershiprule",
            "mappings/postingpolicy",
            "sync/connection",
            "sync/externalref",
            "sync/syncrun",
            "sync/posting",
            "sync/postingattempt",
            "sync/failure",
        ]:
            assert f"/admin/{model}/" in index.text
            assert browser.get(f"/admin/{model}/").status_code == 200


def test_the_sandbox_answers_beside_the_hub(embedded_server):
    base, _ = embedded_server
    counts = httpx.get(f"{base}/sandbox/_sandbox/counts", timeout=10)
    assert counts.status_code == 200
    assert isinstance(counts.json(), dict)
