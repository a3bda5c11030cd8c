"""The ceremony coordinator's HTTP API (FastAPI): the routes `service.ceremony` documents, over a
`Coordinator`. Kept apart so the `hush` command does not import FastAPI to parse its arguments."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from .ceremony import MAX_KEY_GROWTH, CeremonyStateError, Coordinator


class SlotRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)


class FinishRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    beacon_hash: str = Field(min_length=2, max_length=510, pattern="^[0-9a-fA-F]+$")
    iterations_exp: int = Field(ge=10, le=63)


def make_app(coord: Coordinator) -> FastAPI:
    app = FastAPI(title="Hush phase-2 ceremony", version="1")

    @app.exception_handler(CeremonyStateError)
    async def _err(_: Request, e: CeremonyStateError) -> JSONResponse:
        body: dict[str, Any] = {"error": str(e), "code": e.code}
        if e.step:
            body["step"] = e.step
        headers = {"Retry-After": "5"} if e.code == "busy" else None
        return JSONResponse(body, status_code=e.status, headers=headers)

    @app.get("/healthz")
    def healthz() -> dict:
        return {"ok": True, "index": coord.head_index, "finished": coord.finished}

    @app.get("/v1/transcript")
    def transcript() -> dict:
        return coord.transcript()

    @app.get("/v1/head")
    def head() -> FileResponse:
        return FileResponse(coord.head_path, media_type="application/octet-stream",
                            headers={"X-Ceremony-Index": str(coord.head_index)})

    @app.get("/v1/final")
    def final() -> FileResponse:
        if not coord.finished:
            raise CeremonyStateError("open", "the ceremony is not finished", 409)
        return FileResponse(coord.head_path, media_type="application/octet-stream")

    @app.post("/v1/slots")
    def take(req: SlotRequest) -> dict:
        s, token = coord.take_slot(req.name)
        return {"slot": s.slot, "token": token, "expires_at": s.expires_at, "index": s.index}

    @app.put("/v1/slots/{slot}")
    async def upload(slot: str, request: Request, x_slot_token: str = Header(default="")) -> dict:
        limit = coord.head_path.stat().st_size + MAX_KEY_GROWTH
        length = request.headers.get("content-length", "")
        if not length.isdigit() or int(length) > limit:
            raise CeremonyStateError("size", f"a contributed key has at most {limit} bytes, with a Content-Length",
                                     413)
        tmp = coord.dir / f"upload-{secrets.token_hex(8)}"
        try:
            n = 0
            with open(tmp, "wb") as f:
                async for chunk in request.stream():
                    n += len(chunk)
                    if n > limit:
                        raise CeremonyStateError("size", f"a contributed key has at most {limit} bytes", 413)
                    f.write(chunk)
            entry = await asyncio.to_thread(coord.accept, slot, x_slot_token, tmp)
            return {"index": entry["index"], "hash": entry["hash"]}
        finally:
            tmp.unlink(missing_ok=True)

    @app.post("/v1/finish")
    def finish(req: FinishRequest, x_admin_token: str = Header(default="")) -> dict:
        return coord.finish(x_admin_token, req.beacon_hash, req.iterations_exp)

    return app


def serve(coord: Coordinator, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(make_app(coord), host=host, port=port, log_level="warning", access_log=False)
