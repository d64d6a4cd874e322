"""After `make run`, the README's command-line section works exactly as written, in a new shell."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from core.models import ApiKey, Membership, Role, Team
from tests.library.test_cluster import _database_url_of_test_db

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def _readme_commands() -> list[str]:
    section = (ROOT / "README.md").read_text().split("## Command line", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_the_readme_commands_work_after_make_run_without_extra_variables(tmp_path: Path) -> None:
    var = tmp_path / "var"
    subprocess.run(["make", "-s", "local-env", f"FRAMEWISE_VAR_DIR={var}"], cwd=ROOT, check=True)
    assert (var / "local.env").read_text().strip() == "DEBUG=1"

    # A fresh shell: no DEBUG, no SECRET_KEY (the test run's own are dropped).
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "SECRET_KEY"}}
    env |= {"FRAMEWISE_VAR_DIR": str(var), "DATABASE_URL": _database_url_of_test_db()}
    python = Path(sys.executable)
    outputs = []
    for command in _readme_commands():
        if "import_folder" in command:
            continue  # needs an index and a folder of videos; tests/library/test_ingest.py runs it
        assert command.startswith(".venv/bin/python manage.py ")
        argv = [str(python), "manage.py", *command.removeprefix(".venv/bin/python manage.py ").split()]
        argv = [arg.strip('"') for arg in argv]
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (command, done.stderr[-2000:])
        outputs.append(done.stdout)

    alice = get_user_model().objects.get(username="alice")
    password = re.search(r"Password \(shown once\): (\S+)", outputs[0])
    assert password and alice.check_password(password.group(1)) and alice.email == "alice@example.com"
    team = Team.objects.get(name="Newsroom")
    assert Membership.objects.get(team=team, user=alice).role == Role.OWNER
    raw_key = outputs[2].strip()
    assert ApiKey.objects.get(key_hash=ApiKey.hash_key(raw_key)).team == team
    assert (var / "dev-secret-key").exists()  # the CLI used the development key that make run uses


def test_without_local_env_the_cli_still_demands_a_secret_key(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "SECRET_KEY"}}
    env["FRAMEWISE_VAR_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0 and "SECRET_KEY" in done.stderr


def test_create_user_reads_the_password_from_stdin(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": _database_url_of_test_db()}
    done = subprocess.run(
        [sys.executable, "manage.py", "create_user", "bob", "--password-from-stdin"],
        cwd=ROOT, env=env, input="a-long-passphrase-41\n", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "shown once" not in done.stdout
    assert get_user_model().objects.get(username="bob").check_password("a-long-passphrase-41")
    again = subprocess.run(
        [sys.executable, "manage.py", "create_user", "bob", "--password-from-stdin"],
        cwd=ROOT, env=env, input="x\n", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert again.returncode != 0 and "already exists" in again.stderr
