"""Settings of the farm, from the environment.

Embedded default (one machine, no external server): the job store is SQLite in build/farm/jobs.sqlite,
the Celery broker is kombu's SQLAlchemy transport on build/farm/broker.sqlite (see service.queue). Scale-out: point
HUSH_BROKER_URL at Redis (redis://host:6379/0) and HUSH_DATABASE_URL at PostgreSQL
(postgresql+psycopg://user:pass@host/db), give every process the same HUSH_PAYLOAD_KEY, and start
workers on other machines with `hush worker`.

See SETTINGS_HELP below (`hush serve -h`, `hush api -h` and `hush worker -h` print it).
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from hush.artifacts import build_dir

SETTINGS_HELP = """settings (environment variables, with their defaults):
    HUSH_FARM_DIR          where the embedded farm keeps its files   <build>/farm
    HUSH_DATABASE_URL      job store URL                       sqlite:///<farm dir>/jobs.sqlite
    HUSH_BROKER_URL        Celery broker URL                   hushsql+sqlite:///<farm dir>/broker.sqlite
    HUSH_PAYLOAD_KEY       32-byte key, base64url, for sealed task payloads (`hush farm keygen`)
                           embedded default: <farm dir>/payload.key (0600), made once; with any
                           other store it must be set, and every process must have the farm's
    HUSH_CIRCUITS          circuits this process serves        transfer_2x2,transfer_16x2
    HUSH_BUDGET_S          default deadline of a job           5
    HUSH_MAX_DEADLINE_S    the longest deadline a caller may ask for   600
    HUSH_MAX_ATTEMPTS      attempts before a job is dead       3
    HUSH_TIME_LIMIT_S      hard time limit of one proving attempt   60
    HUSH_AUTH              required | optional (anonymous callers allowed)   optional on loopback binds
    HUSH_MAX_BODY_BYTES    largest request body                262144
    HUSH_REST_ADDR         host:port of the REST API           127.0.0.1:8000
    HUSH_GRPC_ADDR         host:port of the gRPC API           127.0.0.1:50051
    HUSH_WEBHOOK_ALLOW_PRIVATE   1 to allow webhook targets on internal networks (tests only)
    HUSH_TEST_FAULTS       1 to honour fault-injection requests (tests only)
"""


def _env(name: str, default: str) -> str:
    v = os.environ.get(name)
    return default if v is None or v == "" else v


def _addr(s: str) -> tuple[str, int]:
    host, _, port = s.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"expected host:port, got {s!r}")
    return host, int(port)


@dataclass(frozen=True)
class Settings:
    database_url: str
    broker_url: str
    payload_key: bytes = field(repr=False)
    circuits: tuple[str, ...] = ("transfer_2x2", "transfer_16x2")
    budget_s: float = 5.0
    max_deadline_s: float = 600.0
    max_attempts: int = 3
    time_limit_s: float = 60.0
    auth_required: bool = False
    max_body_bytes: int = 256 * 1024
    rest_addr: tuple[str, int] = ("127.0.0.1", 8000)
    grpc_addr: tuple[str, int] = ("127.0.0.1", 50051)
    webhook_allow_private: bool = False
    test_faults: bool = False
    poll_s: float = 0.02
    """How often waiting callers and the sweeper look at the store."""

    @property
    def visibility_timeout_s(self) -> float:
        """The broker redelivers an unacknowledged task after this; it must exceed the hard time limit."""
        return self.time_limit_s * 2 + 30

    @property
    def lease_s(self) -> float:
        """A proving attempt owns its job this long; past it (or its process gone) the attempt is lost."""
        return self.time_limit_s + 10

    def with_(self, **kw) -> Settings:
        return replace(self, **kw)


def _payload_key(path: Path, *, may_create: bool = True) -> bytes:
    raw = os.environ.get("HUSH_PAYLOAD_KEY")
    if raw:
        key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        if len(key) != 32:
            raise ValueError(f"HUSH_PAYLOAD_KEY: expected 32 bytes (base64url), got {len(key)}")
        return key
    if path.is_file():
        key = path.read_bytes()
        if len(key) != 32:
            raise ValueError(f"{path}: expected a 32-byte key, got {len(key)} bytes")
        return key
    if not may_create:
        raise ValueError("HUSH_PAYLOAD_KEY is not set: every process of a farm with a shared job store needs the "
                         "farm's payload key (make one with `hush farm keygen`, give the same to every process)")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


def load_settings() -> Settings:
    farm = Path(_env("HUSH_FARM_DIR", str(build_dir() / "farm")))
    farm.mkdir(parents=True, exist_ok=True)
    rest = _addr(_env("HUSH_REST_ADDR", "127.0.0.1:8000"))
    grpc = _addr(_env("HUSH_GRPC_ADDR", "127.0.0.1:50051"))
    loopback = rest[0] in ("127.0.0.1", "localhost", "::1") and grpc[0] in ("127.0.0.1", "localhost", "::1")
    auth = _env("HUSH_AUTH", "optional" if loopback else "required")
    if auth not in ("required", "optional"):
        raise ValueError(f"HUSH_AUTH: expected 'required' or 'optional', got {auth!r}")
    database_url = _env("HUSH_DATABASE_URL", f"sqlite:///{farm / 'jobs.sqlite'}")
    return Settings(
        database_url=database_url,
        broker_url=_env("HUSH_BROKER_URL", f"hushsql+sqlite:///{farm / 'broker.sqlite'}"),
        payload_key=_payload_key(farm / "payload.key", may_create=database_url.startswith("sqlite")),
        circuits=tuple(c for c in _env("HUSH_CIRCUITS", "transfer_2x2,transfer_16x2").split(",") if c),
        budget_s=float(_env("HUSH_BUDGET_S", "5")),
        max_deadline_s=float(_env("HUSH_MAX_DEADLINE_S", "600")),
        max_attempts=int(_env("HUSH_MAX_ATTEMPTS", "3")),
        time_limit_s=float(_env("HUSH_TIME_LIMIT_S", "60")),
        auth_required=auth == "required",
        max_body_bytes=int(_env("HUSH_MAX_BODY_BYTES", str(256 * 1024))),
        rest_addr=rest,
        grpc_addr=grpc,
        webhook_allow_private=_env("HUSH_WEBHOOK_ALLOW_PRIVATE", "0") == "1",
        test_faults=_env("HUSH_TEST_FAULTS", "0") == "1",
    )
