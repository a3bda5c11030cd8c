"""The read side of a pool over plain JSON-RPC (httpx), for commands that only sync.

`PoolReader` answers what `Wallet.sync` asks of a `PoolClient` (the pool's events in chain order,
its roots, nullifiers, token and depth) without web3, whose import alone takes longer than a whole
`hush wallet balance` should. Calls and events are encoded from the compiled ABI
(contracts/artifacts), so they follow the contract as it is built.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
from Crypto.Hash import keccak

from .addresses import checksum
from .chain import Event, artifact

__all__ = ["JsonRpc", "RpcError", "PoolReader"]


class RpcError(RuntimeError):
    """The node did not answer, or answered with an error."""


def _keccak(text: str) -> bytes:
    return keccak.new(digest_bits=256, data=text.encode()).digest()


def _signature(item: dict[str, Any]) -> str:
    return f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"


def _word(value: int | str) -> str:
    if isinstance(value, str):  # an address
        return value[2:].lower().rjust(64, "0")
    return f"{value:064x}"


def decode(types: list[str], data: bytes) -> list[Any]:
    """ABI-decode a tuple of uint/int/address/bool/bytesN (static) and bytes/string (dynamic)."""
    out: list[Any] = []
    for i, t in enumerate(types):
        head = data[32 * i : 32 * i + 32]
        if t in ("bytes", "string"):
            at = int.from_bytes(head, "big")
            n = int.from_bytes(data[at : at + 32], "big")
            raw = data[at + 32 : at + 32 + n]
            out.append(raw if t == "bytes" else raw.decode())
        elif t == "address":
            out.append(checksum("0x" + head[12:].hex()))
        elif t == "bool":
            out.append(head[-1] == 1)
        elif t.startswith("uint"):
            out.append(int.from_bytes(head, "big"))
        elif t.startswith("int"):
            out.append(int.from_bytes(head, "big", signed=True))
        elif t.startswith("bytes"):
            out.append(head[: int(t[5:])])
        else:
            raise ValueError(f"cannot decode ABI type {t}")
    return out


class JsonRpc:
    def __init__(self, url: str, timeout: float = 60.0) -> None:
        self.url = url
        # plain http (a local node) needs no CA bundle, whose loading costs a good part of a `balance`
        self._client = httpx.Client(timeout=timeout, verify=url.startswith("https://"))
        self._ids = itertools.count(1)

    def call(self, method: str, *params: Any) -> Any:
        try:
            r = self._client.post(self.url, json={"jsonrpc": "2.0", "id": next(self._ids), "method": method,
                                                  "params": list(params)})
            body = r.json()
        except (httpx.HTTPError, ValueError) as e:
            raise RpcError(f"no Ethereum node answers at {self.url} ({type(e).__name__})") from None
        if "error" in body:
            raise RpcError(f"{method}: {body['error'].get('message', body['error'])}")
        return body["result"]

    def close(self) -> None:
        self._client.close()


class PoolReader:
    """A ShieldedPool's views and events, read-only (duck-types PoolClient for syncing)."""

    def __init__(self, rpc: JsonRpc, address: str) -> None:
        self.rpc = rpc
        self.address = checksum(address)
        abi = artifact("ShieldedPool")["abi"]
        self._fns = {i["name"]: i for i in abi if i.get("type") == "function"}
        self._events = {_keccak(_signature(i)).hex(): i for i in abi if i.get("type") == "event"}
        self._topics = {i["name"]: "0x" + t for t, i in self._events.items()}
        self.chain_id = int(rpc.call("eth_chainId"), 16)
        self.token_address = self.view("token")
        self.levels = int(self.view("levels"))
        self.verifier_16x2 = self.view("verifier16x2")

    def view(self, name: str, *args: int | str, block: int | str = "latest", to: str | None = None,
             item: dict[str, Any] | None = None) -> Any:
        item = item or self._fns[name]
        data = "0x" + _keccak(_signature(item))[:4].hex() + "".join(_word(a) for a in args)
        tag = hex(block) if isinstance(block, int) else block
        raw = bytes.fromhex(self.rpc.call("eth_call", {"to": to or self.address, "data": data}, tag)[2:])
        values = decode([o["type"] for o in item["outputs"]], raw)
        return values[0] if len(values) == 1 else values

    def last_root(self, block: int | str = "latest") -> int:
        return int(self.view("getLastRoot", block=block))

    def is_known_root(self, root: int) -> bool:
        return bool(self.view("isKnownRoot", root))

    def is_spent(self, nullifier: int) -> bool:
        return bool(self.view("nullifierHashes", nullifier))

    def balance_of(self, who: str) -> int:
        item = {"name": "balanceOf", "inputs": [{"type": "address"}], "outputs": [{"type": "uint256"}]}
        return int(self.view("balanceOf", checksum(who), to=self.token_address, item=item))

    def block_number(self) -> int:
        return int(self.rpc.call("eth_blockNumber"), 16)

    def events(self, from_block: int, to_block: int, chunk: int = 5000) -> Iterator[Event]:
        """NewCommitment and NewNullifier events in [from_block, to_block], in chain order."""
        topics = [[self._topics["NewCommitment"], self._topics["NewNullifier"]]]
        start = from_block
        while start <= to_block:
            end = min(to_block, start + chunk - 1)
            logs = self.rpc.call("eth_getLogs", {"address": self.address, "fromBlock": hex(start),
                                                 "toBlock": hex(end), "topics": topics})
            batch = [self._event(log) for log in logs]
            batch.sort(key=lambda e: (e.block, e.log_index))
            yield from batch
            start = end + 1

    def _event(self, log: dict[str, Any]) -> Event:
        item = self._events[log["topics"][0][2:]]
        plain = [i for i in item["inputs"] if not i.get("indexed")]
        args = dict(zip([i["name"] for i in plain], decode([i["type"] for i in plain],
                                                           bytes.fromhex(log["data"][2:])), strict=True))
        where = (int(log["blockNumber"], 16), int(log["logIndex"], 16), log["transactionHash"])
        if item["name"] == "NewCommitment":
            return Event("commitment", *where, int(args["commitment"]), int(args["index"]),
                         bytes(args["encryptedOutput"]))
        return Event("nullifier", *where, int(args["nullifier"]))
