"""Prometheus metrics of the API process (`GET /metrics`).

Per-stage latency comes from the timings each worker records with a successful job; the sweeper
observes every finished job once. Queue depth and live workers are read from the store at scrape.
Every refused request (REST 4xx/5xx and gRPC errors: 401, 404, 409, 413, 422, 429, 503...) is counted
in hush_refusals_total{api, status, code}, with the status and the error kind (Unauthorized, RateLimited...).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.5, 10.0, 20.0, 60.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.requests = Counter("hush_proof_requests_total", "Proof requests by outcome", ["circuit", "outcome"],
                                registry=r)
        self.finished = Counter("hush_jobs_finished_total", "Jobs that reached a terminal state",
                                ["circuit", "state"], registry=r)
        self.budget_misses = Counter("hush_budget_misses_total", "Jobs that ended after their deadline or expired",
                                     ["circuit"], registry=r)
        self.dead = Counter("hush_jobs_dead_total", "Jobs dead after their last attempt (alert on this)",
                            ["circuit"], registry=r)
        self.end_to_end = Histogram("hush_job_seconds", "Acceptance to success", ["circuit"], buckets=BUCKETS,
                                    registry=r)
        self.stage = Histogram("hush_stage_seconds", "Worker stage latency of successful jobs", ["circuit", "stage"],
                               buckets=BUCKETS, registry=r)
        self.queue_depth = Gauge("hush_queue_depth", "Queued or proving jobs", ["circuit"], registry=r)
        self.workers = Gauge("hush_live_workers", "Worker processes with a recent heartbeat", ["circuit"], registry=r)
        self.refusals = Counter("hush_refusals_total", "Requests refused (4xx/5xx; gRPC status codes), by API, "
                                "status and kind", ["api", "status", "code"], registry=r)
        self.consuming = Gauge("hush_farm_consuming", "1 if workers take this circuit's queued work, 0 if a probe "
                               "sent to idle workers went unanswered (alert on 0)", ["circuit"], registry=r)
        self.webhooks = Counter("hush_webhook_deliveries_total", "Webhook attempts by outcome: delivered, retry, "
                                "dead (alert on dead: `hush farm webhooks list --dead`)", ["outcome"],
                                registry=r)
