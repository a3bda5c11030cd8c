"""REST face of the batching relayer (`service.relayer`): hand a transfer off, follow its fate.

    POST /v1/relay/transfers              {proof, public_signals, ext, webhook_url?}  (a proof in hand)
                                          {job_id, ext, webhook_url?}                  (a farm job's proof)
                                          -> 202 {"id", "state": "waiting", ...}
    GET  /v1/relay/transfers/{id}         the transfer's state, tx, gas share, first leaf, reason
    GET  /v1/relay/transfers/{id}/events  ?timeout=<s>: a stream of JSON lines, one per state it
                                          enters, ending at settled / dropped / stale

`ext` is {"recipient", "relayer", "fee", "encrypted_outputs": [hex, hex]}. Errors are
{"error": message, "code": "bad_request" | "not_found"} as in the farm's API.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Query
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from .relayer import BatchRelayer, RelayError, ext_from_json, proof_struct

__all__ = ["relay_router", "relay_app", "RelayRequest"]


class RelayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    proof: dict[str, Any] | None = None
    public_signals: list[str] | None = Field(default=None, max_length=64)
    job_id: str | None = Field(default=None, max_length=64)
    ext: dict[str, Any]
    webhook_url: str | None = Field(default=None, max_length=2048)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "code": code}, status_code=status)


def relay_router(relayer: BatchRelayer) -> APIRouter:
    r = APIRouter(prefix="/v1/relay")

    @r.post("/transfers", status_code=202)
    def hand_off(req: RelayRequest) -> Any:
        try:
            ext = ext_from_json(req.ext)
            if req.job_id is not None:
                if req.proof is not None or req.public_signals is not None:
                    raise RelayError("give either job_id or proof with public_signals, not both")
                tid = relayer.hand_off_job(req.job_id, ext, webhook_url=req.webhook_url)
            else:
                if req.proof is None or req.public_signals is None:
                    raise RelayError("give job_id, or proof with public_signals")
                tid = relayer.hand_off(proof_struct(req.proof, req.public_signals), ext, webhook_url=req.webhook_url)
        except (RelayError, KeyError, ValueError, TypeError) as e:
            return _error(400, "bad_request", str(e) or type(e).__name__)
        return JSONResponse(
            relayer.status(tid).to_json(), status_code=202, headers={"Location": f"/v1/relay/transfers/{tid}"}
        )

    @r.get("/transfers/{transfer_id}")
    def status(transfer_id: str) -> Any:
        try:
            return relayer.status(transfer_id).to_json()
        except KeyError:
            return _error(404, "not_found", "no such transfer")

    @r.get("/transfers/{transfer_id}/events")
    def events(transfer_id: str, timeout: float = Query(default=300.0, gt=0, le=3600)) -> Any:
        try:
            relayer.status(transfer_id)
        except KeyError:
            return _error(404, "not_found", "no such transfer")

        def stream() -> Iterator[bytes]:
            for t in relayer.watch(transfer_id, timeout):
                yield (json.dumps(t.to_json()) + "\n").encode()

        return StreamingResponse(stream(), media_type="application/x-ndjson")

    return r


def relay_app(relayer: BatchRelayer) -> FastAPI:
    """A stand-alone app serving only the relayer's routes (the farm's app can include the router)."""
    app = FastAPI(title="Hush batching relayer")
    app.include_router(relay_router(relayer))
    return app
