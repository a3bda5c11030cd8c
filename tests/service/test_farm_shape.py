"""The farm's shape: the API process never imports the prover; delivery settings as the contract says."""

from __future__ import annotations

import subprocess
import sys

from farmkit import make_settings

from service.queue import make_celery, queue_name


def test_the_api_process_never_imports_the_prover(tmp_path):
    code = (
        "import sys\n"
        "from service.farm import Farm\n"
        "from service.rest import make_app\n"
        "from service.grpc_api import make_grpc_server\n"
        "from service.serve import run_api\n"
        "from verifier.groth16 import verify\n"
        "bad = sorted(m for m in sys.modules if m == 'prover' or m.startswith(('prover.', 'service.worker')))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_delivery_settings(tmp_path):
    s = make_settings(tmp_path, broker_url="redis://127.0.0.1:1/0", time_limit_s=40.0)
    conf = make_celery(s).conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit == 40.0 and conf.task_soft_time_limit < conf.task_time_limit
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    assert s.lease_s > s.time_limit_s
    assert queue_name("transfer_2x2") == "hush.prove.transfer_2x2"
    embedded = make_celery(make_settings(tmp_path)).conf
    assert "polling_interval" not in embedded.broker_transport_options  # kombu would hand it to create_engine
