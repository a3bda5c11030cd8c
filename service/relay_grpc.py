"""gRPC face of the batching relayer (`service.relayer`): hush.v1.Relay, beside hush.v1.Prover.

    server = grpc.server(...); add_relay_servicer(relayer, server)

HandOff answers INVALID_ARGUMENT for a transfer the relayer refuses (with the reason), Get and Watch
NOT_FOUND for an unknown id; Watch streams every state the transfer enters until a final one
(settled, dropped, stale) or `max_watch_s`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import grpc

from service.grpc_gen import load

from .relayer import BatchRelayer, RelayedTransfer, RelayError, ext_from_json, proof_struct

hush_pb2, hush_pb2_grpc = load()

__all__ = ["add_relay_servicer", "transfer_to_pb"]


def transfer_to_pb(t: RelayedTransfer) -> Any:
    msg = hush_pb2.RelayTransfer(
        id=t.id,
        circuit=t.circuit,
        state=t.state.value,
        created_at=t.created_at,
        updated_at=t.updated_at,
        nullifiers=[str(n) for n in t.nullifiers],
    )
    for name in ("job_id", "tx", "block", "batch_size", "gas_share", "first_leaf", "reason"):
        value = getattr(t, name)
        if value is not None:
            setattr(msg, name, value)
    return msg


class _RelayServicer(hush_pb2_grpc.RelayServicer):
    def __init__(self, relayer: BatchRelayer, max_watch_s: float) -> None:
        self.relayer, self.max_watch_s = relayer, max_watch_s

    def HandOff(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802 (gRPC's names)
        try:
            ext = ext_from_json(json.loads(request.ext_json))
            if request.HasField("job_id"):
                tid = self.relayer.hand_off_job(request.job_id, ext, webhook_url=request.webhook_url or None)
            else:
                if not request.HasField("proof_json"):
                    raise RelayError("give job_id, or proof_json with public_signals")
                proof = proof_struct(json.loads(request.proof_json), list(request.public_signals))
                tid = self.relayer.hand_off(proof, ext, webhook_url=request.webhook_url or None)
        except (RelayError, KeyError, ValueError, TypeError) as e:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e) or type(e).__name__)
        return transfer_to_pb(self.relayer.status(tid))

    def Get(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        try:
            return transfer_to_pb(self.relayer.status(request.id))
        except KeyError:
            context.abort(grpc.StatusCode.NOT_FOUND, "no such transfer")

    def Watch(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:  # noqa: N802
        try:
            self.relayer.status(request.id)
        except KeyError:
            context.abort(grpc.StatusCode.NOT_FOUND, "no such transfer")
        remaining = context.time_remaining()
        timeout = self.max_watch_s if remaining is None else min(self.max_watch_s, remaining)
        for t in self.relayer.watch(request.id, timeout):
            if not context.is_active():
                return
            yield transfer_to_pb(t)


def add_relay_servicer(relayer: BatchRelayer, server: grpc.Server, *, max_watch_s: float = 300.0) -> None:
    """Serve hush.v1.Relay over `relayer` on `server` (a grpc.server, e.g. service.grpc_api's)."""
    hush_pb2_grpc.add_RelayServicer_to_server(_RelayServicer(relayer, max_watch_s), server)
