"""Indexing through the API, as a user runs it: upload -> ready with every option on.

    python bench/api_index_speed.py [--minutes 10] [--workdir DIR] [--port 8765]

Starts the product (`manage.py serve`: gunicorn and one django-q2 worker, SQLite in a
throwaway folder, unless DATABASE_URL is set), creates a team and an API key with the
management commands, uploads a warm-up clip (so models are loaded, as in a worker that
has indexed before), then uploads the 10-minute 720p video of bench/index_speed.py with
POST /v1.2/tasks and polls GET /v1.2/tasks/{id} until it is ready. Prints the wall time
from the start of the upload to `ready`, its realtime factor, the stage times the worker
logged, and the worker's peak memory (its process plus its speech child).
Targets: <= 0.08 x duration on 2 cores, worker peak <= 2 GB. Prints figures; not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.index_speed import scenes  # noqa: E402
from tests.videos import make_video  # noqa: E402

OPTIONS = ["visual", "conversation", "text_in_video", "logo"]


def manage(env: dict[str, str], *args: str, stdin: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, check=True
    )
    return done.stdout


def request(method: str, url: str, key: str, body: bytes | None = None, content_type: str = "") -> dict:
    headers = {"x-api-key": key}
    if content_type:
        headers["Content-Type"] = content_type
    with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers, method=method)) as response:
        return json.loads(response.read())


def multipart(fields: dict[str, str], file_field: str, path: Path) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{path.name}"\r\n'
        "Content-Type: video/mp4\r\n\r\n".encode()
    )
    body = b"".join(parts) + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def index_video(api: str, key: str, index_id: str, path: Path, language: str = "") -> tuple[float, dict]:
    """(seconds from the start of the upload to ready, the last task body)."""
    started = time.perf_counter()
    fields = {"index_id": index_id, **({"language": language} if language else {})}
    body, content_type = multipart(fields, "video_file", path)
    task = request("POST", f"{api}/tasks", key, body, content_type)
    while True:
        state = request("GET", f"{api}/tasks/{task['_id']}", key)
        if state["status"] in ("ready", "failed"):
            return time.perf_counter() - started, state
        time.sleep(0.25)


def peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every process below `pid`."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for child in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
            command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            found.append((int(child), command))
            todo.append(int(child))
    return found


def worker_peak(serve_pid: int) -> tuple[float, float]:
    """(the worker process that ran whisper's child, that child) peak resident MiB."""
    processes = descendants(serve_pid)
    speech = [pid for pid, command in processes if "asr_server" in command]
    if not speech:
        return 0.0, 0.0
    parent = int(Path(f"/proc/{speech[0]}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return peak_mib(parent), peak_mib(speech[0])


def wait_for_web(port: int) -> None:
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz")
            return
        except OSError:
            time.sleep(0.5)


def measure(args: argparse.Namespace, key: str, serve_pid: int, video: Path, warm: Path) -> None:
    """Create the index, warm the worker up, index the video and print the figures."""
    api = f"http://127.0.0.1:{args.port}/v1.2"
    wait_for_web(args.port)
    body = json.dumps({"index_name": "bench", "engines": [{"engine_name": "marengo2.6", "engine_options": OPTIONS}]})
    index_id = request("POST", f"{api}/indexes", key, body.encode(), "application/json")["_id"]
    warm_seconds, _ = index_video(api, key, index_id, warm)
    print(f"warm-up clip: ready in {warm_seconds:.1f} s (models loaded)")
    print(f"load average before the run: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    seconds, state = index_video(api, key, index_id, video, args.language)
    duration = float(state.get("metadata", {}).get("duration") or args.minutes * 60)
    said = f"language {args.language}" if args.language else "language detected"
    print(f"\n== {video.name} through /v1.2/tasks ({said}): {state['status']} in {seconds:.1f} s")
    print(f"  realtime factor {seconds / duration:.3f} of {duration:.0f} s (target 0.08), {os.cpu_count()} cores")
    main_mib, speech_mib = worker_peak(serve_pid)
    print(f"  worker peak RSS {main_mib:.0f} MiB + speech child {speech_mib:.0f} MiB = "
          f"{main_mib + speech_mib:.0f} MiB (target 2048)")  # fmt: skip
    print(f"  load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--dense", action="store_true", help="the continuous-speech variant")
    parser.add_argument("--workdir", type=Path, help="keep generated videos here (reused)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--language", default="", help="the upload's language ('' lets the worker detect it)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="framewise-api-bench-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        name = f"bench{'-dense' if args.dense else ''}{'' if args.minutes == 2.0 else f'-{args.minutes:g}min'}.mp4"
        video = work / name
        if not video.exists():
            make_video(video, scenes=scenes(dense=args.dense, minutes=args.minutes), size=(1280, 720), fps=30,
                       noise=0.01)  # fmt: skip
        warm = work / "warm.mp4"
        if not warm.exists():
            make_video(warm, scenes=scenes(dense=False)[3:4], size=(1280, 720), fps=30)

        env = {**os.environ, "FRAMEWISE_VAR_DIR": str(Path(tmp) / "var"), "DEBUG": "1", "WORKER_PROCESSES": "1"}
        env.setdefault("FRAMEWISE_MODEL_CACHE", str(Path.home() / ".cache" / "framewise" / "models"))
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "create_user", "bench", "--password-from-stdin", stdin="bench-password-1\n")
        manage(env, "create_team", "Bench", "--owner", "bench")
        key = manage(env, "create_api_key", "--team", "Bench", "--user", "bench").strip()
        with open(Path(tmp) / "serve.log", "w") as log:
            serve = subprocess.Popen(
                [sys.executable, "manage.py", "serve", "--bind", f"127.0.0.1:{args.port}"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                measure(args, key, serve.pid, video, warm)
            finally:
                serve.terminate()
                serve.wait(timeout=30)
        logged = re.findall(r"analysed .*?(\{.*\})", (Path(tmp) / "serve.log").read_text())
        if logged:
            print(f"  stages the worker logged (s): {logged[-1]}")


if __name__ == "__main__":
    main()
