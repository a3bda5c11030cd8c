"""The batching relayer (service.relayer) on anvil with real transfer_2x2 proofs (SECURITY 46).

One batch of seven hand-offs: three good transfers settle in one transactBatch, while a forged
proof handed off before a good transfer whose nullifier it carries (dropped by the batch check,
and it does not push the good one out as a double spend), a second spend of a note another member spends (dropped before
the batch), a withdrawal to the zero address (valid proof, reverts alone on chain: dropped after the
simulation) and a proof against a root the pool never had (stale); a deposit is refused at
hand-off (the relayer would pay for it) do not sink them. Transfers are handed
off over REST and gRPC, one by farm job id; fates are read over REST, as a stream of JSON lines, as a
gRPC stream, and from signed webhooks to a local receiver.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
import pytest
from evm_chain import anvil_only, deploy, send

from contracts.build import compile_source
from service.model import JobState
from service.relay_grpc import add_relay_servicer, hush_pb2, hush_pb2_grpc
from service.relayer import BatchRelayer, RelayState, RelayStore, RelayWebhooks, ext_to_json
from service.store import JobStore
from service.webhooks import WebhookReceiver, secret_string
from transfer.inputs import InputNote
from transfer.merkle import MerkleTree
from transfer.notes import Note
from verifier.solidity import proof_from_evm_words, solidity_verifier

pytestmark = [pytest.mark.interop, pytest.mark.circuits]


class _Receiver(BaseHTTPRequestHandler):
    got: list = []
    verifier: WebhookReceiver | None = None

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _, event = type(self).verifier.verify(dict(self.headers), body)
        type(self).got.append(event)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver():
    secret = b"relay webhook test secret"
    _Receiver.got, _Receiver.verifier = [], WebhookReceiver(secret_string(secret))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", secret, _Receiver.got
    server.shutdown()
    server.server_close()


@anvil_only
def test_relayer_drops_bad_transfers_and_settles_the_rest(w3, proof_2x2, tmp_path, receiver):
    from fastapi.testclient import TestClient
    from test_pool import SHAPE, ZERO, Wallet, _artifact

    from service.relay_api import relay_app
    from wallet.chain import PoolClient

    hook_url, secret, got = receiver
    hasher = deploy(w3, _artifact("PoseidonT3"))
    token = deploy(w3, _artifact("TestToken"))
    src = solidity_verifier(proof_2x2["vkey"], levels=SHAPE.levels)
    verifier = deploy(w3, compile_source(src)["Groth16Verifier"])
    pool = deploy(
        w3, _artifact("ShieldedPool"), SHAPE.levels, hasher.address, token.address, verifier.address, ZERO, 1000
    )
    wallet = Wallet(w3, pool, token, {"transfer_2x2": proof_2x2})
    alice, bob = wallet.alice, wallet.bob
    relayer_account, depositor = w3.eth.accounts[3], w3.eth.accounts[1]
    for who in (depositor, relayer_account):
        send(w3, token.functions.mint(who, 10_000))
        send(w3, token.functions.approve(pool.address, 2**256 - 1), sender=who)

    # Four notes of Alice's, deposited in one batch by the depositor itself.
    notes = [Note(100 + k, alice.address, 9100 + k, 1) for k in range(4)]
    deposits = [wallet.prove(alice, [], [n], n.amount, wallet.ext(depositor=depositor)) for n in notes]
    send(w3, pool.functions.transactBatch([p for p, _ in deposits], [e for _, e in deposits]), sender=depositor)
    idx = [wallet.record(p)[0] for p, _ in deposits]

    def ext(fee: int = 1, recipient: str = ZERO):
        return wallet.ext(relayer=relayer_account, fee=fee, recipient=recipient)

    def spend(k: int, to, amount: int):
        spent = [InputNote(notes[k], wallet.tree.path(idx[k]))]
        outs = [
            Note(amount, to.address, 500 + k * 10 + amount, 1),
            Note(notes[k].amount - amount - 1, alice.address, 600 + k, 1),
        ]
        return wallet.prove(alice, spent, outs, 0, ext())

    good = [spend(0, bob, 10), spend(1, bob, 20), spend(2, bob, 30)]
    double = spend(0, alice, 5)  # the note good[0] spends
    forged_p, forged_e = spend(1, alice, 7)
    forged_p = (forged_p[0], forged_p[1], [good[1][0][2][0], good[1][0][2][1]], *forged_p[3:])  # another proof's C
    # A valid withdrawal to the zero address: passes every check but the pool's (reverts alone).
    spent = [InputNote(notes[3], wallet.tree.path(idx[3]))]
    nowhere = wallet.prove(alice, spent, [Note(3, alice.address, 79, 1)], -(notes[3].amount - 4), ext())
    # A transfer proved against a root the pool never had (its note is in another tree): stale.
    lost = Note(9, alice.address, 1, 1)
    elsewhere = MerkleTree(SHAPE.levels, [lost.commitment, 678])
    saved, wallet.tree = wallet.tree, elsewhere
    stale = wallet.prove(alice, [InputNote(lost, elsewhere.path(0))], [Note(8, bob.address, 2, 1)], 0, ext())
    wallet.tree = saved
    deposit = wallet.prove(
        alice, [], [Note(5, alice.address, 80, 1)], 5, wallet.ext(depositor=relayer_account, relayer=relayer_account)
    )

    client_pool = PoolClient(w3, pool.address)
    # The farm's job store, with good[2]'s proof recorded as a worker records a succeeded job; the
    # relayer keeps its own table in the same database and reads that proof by job id.
    jobs = JobStore(f"sqlite:///{tmp_path / 'farm.db'}")
    jobs.create_job(
        job_id="job_relay",
        circuit="transfer_2x2",
        key_id="anonymous",
        idempotency_key=None,
        request_mac="0" * 64,
        deadline=time.time() + 60,
        sealed="x",
        webhook_url=None,
    )
    attempt = jobs.claim("job_relay", "worker-test", 60)
    p2, e2 = good[2]
    w2 = [p2[0][0], p2[0][1], p2[1][0][0], p2[1][0][1], p2[1][1][0], p2[1][1][1], p2[2][0], p2[2][1]]
    assert jobs.transition(
        "job_relay",
        JobState.SUCCEEDED,
        expect=[JobState.PROVING],
        attempts=attempt,
        owner="worker-test",
        proof=json.dumps(proof_from_evm_words(w2)),
        public_signals=json.dumps([str(x) for x in (p2[3], p2[4], e2[2], p2[5], *p2[6], *p2[7])]),
    )
    store = RelayStore(jobs.engine)
    hooks = RelayWebhooks(secret, max_attempts=3, allow_private=True)
    try:
        relayer = BatchRelayer(
            client_pool,
            relayer_account,
            {"transfer_2x2": proof_2x2["vkey"]},
            store=store,
            max_batch=8,
            max_wait_s=3600,
            job_store=jobs,
            webhooks=hooks,
        )
        api = TestClient(relay_app(relayer))
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        add_relay_servicer(relayer, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = hush_pb2_grpc.RelayStub(channel)
        ids = {}
        order = [
            ("good0", good[0]),
            ("double", double),
            ("forged", (forged_p, forged_e)),
            ("good1", good[1]),
            ("nowhere", nowhere),
            ("stale", stale),
            ("good2", good[2]),
        ]
        for name, (p, e) in order:
            words = [p[0][0], p[0][1], p[1][0][0], p[1][0][1], p[1][1][0], p[1][1][1], p[2][0], p[2][1]]
            signals = [str(x) for x in (p[3], p[4], e[2], p[5], *p[6], *p[7])]
            body = {
                "proof": proof_from_evm_words(words),
                "public_signals": signals,
                "ext": ext_to_json(e),
                "webhook_url": hook_url,
            }
            if name == "good0":  # over gRPC
                msg = stub.HandOff(
                    hush_pb2.RelayHandOffRequest(
                        proof_json=json.dumps(body["proof"]),
                        public_signals=signals,
                        ext_json=json.dumps(body["ext"]),
                        webhook_url=hook_url,
                    )
                )
                assert msg.state == "waiting"
                ids[name] = msg.id
                continue
            if name == "good2":  # by farm job id
                body = {"job_id": "job_relay", "ext": ext_to_json(e), "webhook_url": hook_url}
            r = api.post("/v1/relay/transfers", json=body)
            assert r.status_code == 202, r.text
            ids[name] = r.json()["id"]
        assert relayer.status(ids["good2"]).job_id == "job_relay"
        body = {k: v for k, v in body.items() if k != "job_id"}
        body |= {
            "proof": proof_from_evm_words(w2),
            "public_signals": [str(x) for x in (p2[3], p2[4], 1, p2[5], *p2[6], *p2[7])],
        }
        bad_fee = api.post("/v1/relay/transfers", json={**body, "ext": {**ext_to_json(e), "fee": 2}})
        assert bad_fee.status_code == 400 and "extDataHash" in bad_fee.json()["error"]
        words = [deposit[0][0][0], deposit[0][0][1], *deposit[0][1][0], *deposit[0][1][1], *deposit[0][2]]
        signals = [str(x) for x in (deposit[0][3], deposit[0][4], 0, deposit[0][5], *deposit[0][6], *deposit[0][7])]
        refused = api.post(
            "/v1/relay/transfers",
            json={"proof": proof_from_evm_words(words), "public_signals": signals, "ext": ext_to_json(deposit[1])},
        )
        assert refused.status_code == 400 and "deposit" in refused.json()["error"]  # never the relayer's to pay
        assert api.get("/v1/relay/transfers/rly_nope").status_code == 404
        with pytest.raises(grpc.RpcError) as info:
            stub.Get(hush_pb2.RelayGetRequest(id="rly_nope"))
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as info:
            stub.HandOff(hush_pb2.RelayHandOffRequest(job_id="job_nope", ext_json=json.dumps(ext_to_json(e))))
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        grpc_stream: list = []
        grpc_watcher = threading.Thread(
            target=lambda: grpc_stream.extend(
                m.state for m in stub.Watch(hush_pb2.RelayGetRequest(id=ids["good0"]), timeout=150)
            )
        )
        grpc_watcher.start()

        stream: list = []
        watcher = threading.Thread(
            target=lambda: stream.extend(
                json.loads(line)
                for line in api.get(f"/v1/relay/transfers/{ids['good1']}/events?timeout=120").iter_lines()
                if line
            )
        )
        watcher.start()
        outcome = relayer.flush()
        watcher.join(150)
        grpc_watcher.join(150)
        assert grpc_stream == ["waiting", "submitted", "settled"]
        assert stub.Get(hush_pb2.RelayGetRequest(id=ids["good0"])).gas_share > 0
        channel.close()
        server.stop(None)
        assert relayer.flush() is None  # nothing left waiting

        assert outcome is not None and outcome.tx is not None
        assert sorted(outcome.settled) == sorted(ids[k] for k in ("good0", "good1", "good2"))
        assert sorted(outcome.dropped) == sorted(ids[k] for k in ("double", "forged", "nowhere"))
        assert outcome.stale == [ids["stale"]]
        fates = {k: api.get(f"/v1/relay/transfers/{v}").json() for k, v in ids.items()}
        assert {k: f["state"] for k, f in fates.items()} == {
            "good0": "settled",
            "good1": "settled",
            "good2": "settled",
            "double": "dropped",
            "forged": "dropped",
            "nowhere": "dropped",
            "stale": "stale",
        }
        assert "also spent by" in fates["double"]["reason"]
        assert "invalid proof" in fates["forged"]["reason"]
        assert "ZeroAddress" in fates["nowhere"]["reason"]
        assert fates["good0"]["tx"] == fates["good2"]["tx"] and fates["good0"]["batch_size"] == 3
        assert [s["state"] for s in stream] == ["waiting", "submitted", "settled"]

        for p, _ in good:  # the chain holds exactly the three good transfers, in hand-off order
            wallet.record(p)
        assert pool.functions.getLastRoot().call() == wallet.tree.root
        assert [fates[k]["first_leaf"] for k in ("good0", "good1", "good2")] == [8, 10, 12]
        assert token.functions.balanceOf(relayer_account).call() == 10_000 + 3
        assert relayer.status(ids["good0"]).state is RelayState.SETTLED
    finally:
        hooks.close()  # delivers what is queued
    assert sorted((e["data"]["id"], e["type"]) for e in got) == sorted(
        (ids[k], f"relay.transfer.{fates[k]['state']}") for k in ids
    )
