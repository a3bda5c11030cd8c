"""`hush serve`, `hush api`, `hush worker`, `hush farm key|keygen`: running the farm.

`hush serve` (the embedded default, `make serve`): make sure every served circuit has a proving key
(development keys, made in a subprocess: this process never imports the prover), start a Celery
worker pool as a child process, then run the API process here: REST on 127.0.0.1:8000 and gRPC on
127.0.0.1:50051 (HUSH_REST_ADDR, HUSH_GRPC_ADDR). Ctrl-C or SIGTERM stops both within seconds (a
proof under way is cut: the job store hands it to the next worker); the worker pool also dies
when this process is killed (PR_SET_PDEATHSIG), so a restart never finds a second, orphaned pool.

Scale-out: `hush api` on the API machines and `hush worker` on the proving machines, all with the
same HUSH_DATABASE_URL (PostgreSQL), HUSH_BROKER_URL (Redis) and HUSH_PAYLOAD_KEY
(`hush farm keygen` makes one).
"""

from __future__ import annotations

import argparse
import base64
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .config import SETTINGS_HELP, Settings, load_settings

log = logging.getLogger("hush.serve")
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    import ctypes

    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def worker_command(settings: Settings, *, concurrency: int = 1, name: str = "hush") -> list[str]:
    from .queue import queue_name

    queues = ",".join(queue_name(c) for c in settings.circuits)
    return [sys.executable, "-m", "celery", "-A", "service.worker", "worker", "-Q", queues, "-c", str(concurrency),
            "-P", "prefork", "-n", f"{name}-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
            "--without-heartbeat", "-l", "WARNING"]


def start_worker(settings: Settings, *, concurrency: int = 1, env: dict[str, str] | None = None,
                 log_path: Path | None = None) -> subprocess.Popen:
    out = open(log_path, "ab") if log_path else None  # noqa: SIM115 (owned by the child's lifetime)
    return subprocess.Popen(worker_command(settings, concurrency=concurrency), env={**os.environ, **(env or {})},
                            stdout=out or None, stderr=subprocess.STDOUT if out else None,
                            start_new_session=True,
                            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)


def stop_worker(worker: subprocess.Popen, grace_s: float = 3.0) -> None:
    """SIGTERM to the pool's process group, SIGKILL after `grace_s` (an attempt cut short is recovered)."""
    if worker.poll() is not None:
        return
    try:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    except ProcessLookupError:
        pass


def ensure_keys(settings: Settings) -> None:
    """Development proving keys for the served circuits, made in a subprocess when missing."""
    from hush.artifacts import circuit_files

    for c in settings.circuits:
        files = circuit_files(c)
        files.check_compiled()
        if not files.zkey.is_file():
            print(f"making a development proving key for {c} (once)...", flush=True)
            subprocess.run([sys.executable, "-m", "hush.cli", "setup", "circuit", c], check=True)


def run_api(settings: Settings, *, ready: threading.Event | None = None, stop: threading.Event | None = None,
            on_exit: Callable[[], None] | None = None) -> None:
    """The API process: REST (uvicorn) and gRPC over one Farm, until `stop` is set or a signal comes."""
    import uvicorn

    from .farm import Farm
    from .grpc_api import make_grpc_server
    from .rest import make_app, uvicorn_config

    farm = Farm.from_settings(settings)
    farm.start()
    grpc_server = make_grpc_server(farm.jobs, f"{settings.grpc_addr[0]}:{settings.grpc_addr[1]}",
                                   max_message_bytes=settings.max_body_bytes)
    grpc_server.start()
    app = make_app(farm)
    config = uvicorn_config(app, settings.rest_addr[0], settings.rest_addr[1], log_level="warning",
                            access_log=False, timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    if stop is not None:
        def watch() -> None:
            stop.wait()
            server.should_exit = True
        threading.Thread(target=watch, daemon=True).start()
    if ready is not None:
        def announce() -> None:
            while not server.started and not server.should_exit:
                time.sleep(0.05)
            ready.set()
        threading.Thread(target=announce, daemon=True).start()
    try:
        server.run()
    finally:
        done = grpc_server.stop(grace=1)
        if on_exit is not None:
            on_exit()
        done.wait(2)
        farm.close()


def cmd_serve(a: argparse.Namespace) -> int:
    settings = load_settings()
    if a.circuits:
        settings = settings.with_(circuits=tuple(a.circuits.split(",")))
    os.environ["HUSH_CIRCUITS"] = ",".join(settings.circuits)
    ensure_keys(settings)
    worker = start_worker(settings, concurrency=a.workers)
    print(f"hush farm: REST http://{settings.rest_addr[0]}:{settings.rest_addr[1]}  "
          f"gRPC {settings.grpc_addr[0]}:{settings.grpc_addr[1]}  circuits {', '.join(settings.circuits)}  "
          f"store {settings.database_url.split('://')[0]}  broker {settings.broker_url.split('://')[0]}", flush=True)
    print("workers warming up (GET /readyz says when they are ready); Ctrl-C stops", flush=True)

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        run_api(settings, on_exit=lambda: stop_worker(worker))
    except KeyboardInterrupt:
        pass
    finally:
        stop_worker(worker)
    return 0


def cmd_api(a: argparse.Namespace) -> int:
    run_api(load_settings())
    return 0


def cmd_worker(a: argparse.Namespace) -> int:
    settings = load_settings()
    os.execv(sys.executable, worker_command(settings, concurrency=a.workers))
    return 0  # not reached


def cmd_keygen(a: argparse.Namespace) -> int:
    from .sealing import key_fingerprint, new_key_text

    key = new_key_text()
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    if a.out:
        fd = os.open(a.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f"HUSH_PAYLOAD_KEY={key}\n")
        print(f"wrote {a.out} (mode 0600); fingerprint {key_fingerprint(raw)}", file=sys.stderr)
    else:
        print(f"HUSH_PAYLOAD_KEY={key}")
        print(f"fingerprint {key_fingerprint(raw)} (the job store records the first key a farm process uses)",
              file=sys.stderr)
    return 0


def cmd_key(a: argparse.Namespace) -> int:
    from .auth import hash_api_key, new_api_key
    from .jobs import Jobs
    from .model import Principal
    from .store import JobStore

    settings = load_settings()
    store = JobStore(settings.database_url)
    key, key_id = new_api_key()
    store.add_api_key(key_id, hash_api_key(key), rate_per_s=a.rate, burst=a.burst, max_active=a.max_active,
                      label=a.label)
    from .webhooks import secret_string

    secret = secret_string(Jobs(settings, store, lambda *_: None).webhook_secret(Principal(key_id)))
    print(f"api key:        {key}\nwebhook secret: {secret}\n(shown once; the store keeps only a hash of the key)")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    c = sub.add_parser("serve", help="the prover farm on one machine: REST :8000, gRPC :50051, a worker pool",
                       epilog=SETTINGS_HELP, formatter_class=fmt)
    c.add_argument("--circuits", default="", help="comma-separated circuit ids (default HUSH_CIRCUITS)")
    c.add_argument("--workers", type=int, default=1, help="proving processes (default 1: each uses every core)")
    c.set_defaults(func=cmd_serve)
    c = sub.add_parser("api", help="the farm's API process only (REST + gRPC)", epilog=SETTINGS_HELP,
                       formatter_class=fmt)
    c.set_defaults(func=cmd_api)
    c = sub.add_parser("worker", help="a farm worker pool only", epilog=SETTINGS_HELP, formatter_class=fmt)
    c.add_argument("--workers", type=int, default=1, help="proving processes (default 1: each uses every core)")
    c.set_defaults(func=cmd_worker)
    f = sub.add_parser("farm", help="farm administration").add_subparsers(dest="cmd", required=True)
    c = f.add_parser("key", help="create an API key (printed once) and show its webhook secret")
    c.add_argument("--rate", type=float, default=20.0, help="requests per second")
    c.add_argument("--burst", type=int, default=40)
    c.add_argument("--max-active", type=int, default=16, help="jobs in flight at once")
    c.add_argument("--label", default="")
    c.set_defaults(func=cmd_key)
    from .webhooks.dispatch import add_parsers as add_webhook_parsers

    add_webhook_parsers(f)
    c = f.add_parser("keygen", help="make a payload key (HUSH_PAYLOAD_KEY) for a scale-out farm; print it once")
    c.add_argument("--out", default="", help="write HUSH_PAYLOAD_KEY=... to this new file (mode 0600) instead")
    c.set_defaults(func=cmd_keygen)
