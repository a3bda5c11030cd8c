"""The prover farm: an API process (FastAPI + gRPC over one jobs layer) and Celery workers.

    model      jobs, states, circuits, the errors the APIs map to status codes
    config     settings from the environment (embedded default: SQLite, no external server)
    store      the job store, the source of truth (SQLite or PostgreSQL through SQLAlchemy)
    sealing    task payloads (witness inputs) encrypted for the broker and the store
    jobs       the jobs layer both APIs call: admission, idempotency, limits, waiting
    rest       FastAPI app;  grpc_api: gRPC server;  client / grpc_client: Python clients
    worker     the Celery worker (the only module that imports the prover)
    serve      `hush serve`: the API process and a worker pool on one machine
"""
