"""Production settings pass Django's deployment checklist with no warnings."""

import base64
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def production_env(**extra):
    # A clean environment: only what a production process would be given.
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(
        HUB_ENV="production",
        SECRET_KEY=base64.b64encode(os.urandom(48)).decode(),
        HUB_ENCRYPTION_KEYS=f"k1:{base64.b64encode(os.urandom(32)).decode()}",
        ALLOWED_HOSTS="hub.example.com",
        ENV_FILE="/nonexistent",
        **extra,
    )
    return env


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env()
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_its_secrets():
    env = production_env()
    del env["HUB_ENCRYPTION_KEYS"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "HUB_ENCRYPTION_KEYS" in result.stderr


def test_a_claim_limit_below_one_is_refused_at_start_up():
    for value in ("0", "-5", "many"):
        result = manage("check", env=production_env(SYNC_CLAIM_LIMIT=value))
        assert result.returncode != 0, value
        assert "SYNC_CLAIM_LIMIT" in result.stderr or "invalid literal" in (
            result.stderr
        ), result.stderr


def test_secrets_can_come_from_files(tmp_path):
    key_file = tmp_path / "keys"
    key_file.write_text(f"k1:{base64.b64encode(os.urandom(32)).decode()}\n")
    env = production_env(HUB_ENCRYPTION_KEYS_FILE=str(key_file))
    del env["HUB_ENCRYPTION_KEYS"]
    assert manage("check", env=env).returncode == 0


def test_django_q_redelivery_is_crash_recovery_only(settings):
    """The app owns retries: a task's timeout is below its retry, failures are acked."""
    q = settings.Q_CLUSTER
    assert q["timeout"] < q["retry"]
    assert q["ack_failures"] is True
    assert q["max_attempts"] <= 3
    assert q["orm"] == "default"
