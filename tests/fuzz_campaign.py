"""A fuzz campaign against a running server: mutated driver traffic on many connections, while a bystander
client keeps being served.

What it sends: frames captured from PyMongo and the Node driver (``tests/protocol/frames``) and frames built
here (every BSON type, OP_COMPRESSED, OP_QUERY, SASL payloads, getMore/killCursors of other connections'
cursors, deep nesting), each mutated (bit flips, interesting int32s, inserted/deleted/truncated bytes,
spliced frames, new opcodes and flag bits). A mutant whose length field still frames it is pipelined on a
long-lived connection, so the decoders and handlers see it; one that breaks framing goes alone on a fresh
connection (the server must close it, or hold only what was sent when it stalls).

What it checks, and reports: the server process never exits, the bystander's every ping and find answer
(no hang), the server's RSS stays bounded, and the rate. Used by ``tests/commands/test_fuzz_campaign.py``
(short in CI, 1 000 000 frames when slow tests run) and ``bench/fuzz_campaign.py``.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import random
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import bson
import psutil
import pymongo
from bson import Binary, Code, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp

GOLDEN_DIR = Path(__file__).parent / "protocol" / "frames"
INTERESTING_INT32 = [0, 1, 4, 5, 15, 16, 17, 255, 2**31 - 1, -1, -(2**31), 48_000_000, 48_000_001]
INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x07, 0x08, 0x0A, 0x10, 0x12, 0x13, 0x7F, 0x80, 0xFF]
MAX_MESSAGE = 48_000_000
OP_MSG, OP_QUERY, OP_COMPRESSED = 2013, 2004, 2012

RICH = {
    "a": {"b": [1, "x", {"c": None}]},
    "bin": Binary(b"\x00" * 16, 4),
    "code": Code("f()", {"s": 1}),
    "date": datetime.datetime(2024, 1, 2),
    "dec": Decimal128("1.5"),
    "ref": {"$ref": "c", "$id": 1, "$db": "d"},
    "oid": ObjectId(b"\x01" * 12),
    "re": Regex("^a", "imsx"),
    "ts": Timestamp(5, 6),
    "keys": [MinKey(), MaxKey()],
    "n": Int64(-(2**63)),
    "f": 2.5,
}


def op_msg(body: dict, flags: int = 0, sequences: dict[str, list[dict]] | None = None, rid: int = 1) -> bytes:
    payload = struct.pack("<I", flags) + b"\x00" + bson.encode(body)
    for name, docs in (sequences or {}).items():
        section = name.encode() + b"\x00" + b"".join(bson.encode(d) for d in docs)
        payload += b"\x01" + struct.pack("<i", 4 + len(section)) + section
    return struct.pack("<iiii", 16 + len(payload), rid, 0, OP_MSG) + payload


def op_query(collection: str, query: dict, rid: int = 1) -> bytes:
    payload = (
        struct.pack("<i", 0) + collection.encode() + b"\x00" + struct.pack("<ii", 0, -1) + bson.encode(query)
    )
    return struct.pack("<iiii", 16 + len(payload), rid, 0, OP_QUERY) + payload


def op_compressed(frame: bytes) -> bytes:
    """``frame`` wrapped in OP_COMPRESSED with zlib (compressor id 2)."""
    original_op = struct.unpack_from("<i", frame, 12)[0]
    body = frame[16:]
    payload = struct.pack("<iiB", original_op, len(body), 2) + zlib.compress(body)
    return struct.pack("<iiii", 16 + len(payload), 1, 0, OP_COMPRESSED) + payload


def _deep(levels: int) -> dict:
    doc: dict = {"x": 1}
    for _ in range(levels):
        doc = {"d": doc}
    return doc


def seed_frames(cursor_ids: list[int]) -> list[bytes]:
    """Real driver frames plus frames that reach every decoder and the commands hostile clients try."""
    seeds = [bytes.fromhex(p.read_text()) for p in sorted(GOLDEN_DIR.glob("*.hex"))]
    db = "fuzz"
    bodies = [
        {"hello": 1, "$db": "admin", "client": {"driver": {"name": "x", "version": "1"}}},
        {"ping": 1, "$db": "admin"},
        {"find": "c", "filter": RICH, "$db": db},
        {"find": "c", "filter": {"a": {"$in": [1, "x"]}, "b": {"$gt": 2}}, "sort": {"a": -1}, "$db": db},
        {
            "aggregate": "c",
            "pipeline": [{"$match": {"a": 1}}, {"$group": {"_id": "$a"}}],
            "cursor": {},
            "$db": db,
        },
        {"update": "c", "updates": [{"q": {"a": 1}, "u": {"$inc": {"n": 1}}, "upsert": True}], "$db": db},
        {"delete": "c", "deletes": [{"q": {"a": 2}, "limit": 1}], "$db": db},
        {"count": "c", "query": {"a": 1}, "$db": db},
        {
            "saslStart": 1,
            "mechanism": "SCRAM-SHA-256",
            "payload": Binary(b"n,,n=user,r=abcdef"),
            "$db": "admin",
        },
        {"saslContinue": 1, "conversationId": 1, "payload": Binary(b"c=biws,r=abc,p=xyz"), "$db": "admin"},
        {"insert": "c", "documents": [RICH, _deep(100)], "$db": db},
        {"listCollections": 1, "$db": db},
        {"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"}], "$db": db},
    ]
    for cursor_id in cursor_ids:
        bodies.append({"getMore": Int64(cursor_id), "collection": "c", "batchSize": 1, "$db": db})
        bodies.append({"killCursors": "c", "cursors": [Int64(cursor_id)], "$db": db})
    built = [op_msg(body) for body in bodies]
    built.append(op_msg({"insert": "c", "$db": db}, sequences={"documents": [RICH, {"_id": 1}]}))
    built.append(op_query("admin.$cmd", {"isMaster": 1, "helloOk": True}))
    built.extend(op_compressed(frame) for frame in built[:6])
    return seeds + built


def _fix_length(data: bytearray) -> None:
    if len(data) >= 4:
        data[0:4] = struct.pack("<i", len(data))


def mutate(rng: random.Random, frame: bytes, seeds: list[bytes]) -> bytes:
    """One mutant of ``frame``: a few random edits; usually the length field is set right afterwards."""
    data = bytearray(frame)
    for _ in range(rng.choice((1, 1, 1, 2, 3, 5))):
        at = rng.randrange(len(data) + 1) if data else 0
        kind = rng.randrange(10)
        if kind == 0 and data:
            data[min(at, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif kind == 1 and data:
            data[min(at, len(data) - 1)] = rng.choice(INTERESTING_BYTES)
        elif kind == 2 and at + 4 <= len(data):
            data[at : at + 4] = struct.pack("<i", rng.choice(INTERESTING_INT32))
        elif kind == 3:
            data[at:at] = rng.randbytes(rng.randint(1, 16))
        elif kind == 4:
            del data[at : at + rng.randint(1, 16)]
        elif kind == 5:
            del data[at:]
        elif kind == 6:  # splice: the head of this frame, the tail of another
            other = rng.choice(seeds)
            data = data[:at] + other[rng.randrange(len(other) + 1) :]
        elif kind == 7 and len(data) >= 16:
            data[12:16] = struct.pack(
                "<i", rng.choice((OP_MSG, OP_QUERY, OP_COMPRESSED, 2001, 2002, 1, 9999))
            )
        elif kind == 8 and len(data) >= 20:
            data[16:20] = struct.pack("<I", rng.getrandbits(32) & rng.choice((0x3, 0x10003, 0xFFFFFFFF)))
        elif kind == 9 and len(data) > 21:  # repeat the body section: duplicate-section handling
            data += data[20:]
    if rng.random() < 0.85:
        _fix_length(data)
    return bytes(data)


def frames_cleanly(frame: bytes) -> bool:
    """True when the length field frames exactly this mutant, so it can share a pipelined connection."""
    if len(frame) < 16:
        return False
    length = struct.unpack_from("<i", frame)[0]
    return length == len(frame) and 16 <= length <= MAX_MESSAGE


@dataclass
class CampaignResult:
    frames: int = 0
    pipelined: int = 0
    lone: int = 0
    reconnects: int = 0
    seconds: float = 0.0
    bystander_ops: int = 0
    bystander_failures: list[str] = field(default_factory=list)
    bystander_max_latency_s: float = 0.0
    rss_start: int = 0
    rss_max: int = 0
    server_alive: bool = True

    @property
    def rate(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0


class _Bystander(threading.Thread):
    """A well-behaved client: ping and find in a loop, recording any failure and the slowest answer."""

    def __init__(self, uri: str, result: CampaignResult) -> None:
        super().__init__(daemon=True)
        self.client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=10_000, socketTimeoutMS=10_000)
        self.result = result
        self.stop = threading.Event()

    def run(self) -> None:
        coll = self.client.bystander.c
        coll.insert_one({"_id": "marker", "v": 1})
        while not self.stop.is_set():
            start = time.perf_counter()
            try:
                self.client.admin.command("ping")
                if coll.find_one({"_id": "marker"}) != {"_id": "marker", "v": 1}:
                    self.result.bystander_failures.append("marker document changed")
            except Exception as error:  # any failure is a finding: record it, keep going
                self.result.bystander_failures.append(repr(error))
            latency = time.perf_counter() - start
            self.result.bystander_max_latency_s = max(self.result.bystander_max_latency_s, latency)
            self.result.bystander_ops += 1
            self.stop.wait(0.02)
        self.client.close()


async def _drain(reader: asyncio.StreamReader) -> None:
    """Read and drop replies until the server closes the connection (as it does to many mutants)."""
    try:
        while await reader.read(1 << 16):
            pass
    except (ConnectionError, OSError):
        pass


async def _pipelined_worker(
    port: int, queue: asyncio.Queue[bytes | None], result: CampaignResult, window: int = 32
) -> None:
    """Send framed mutants on one connection (reconnecting whenever the server closes it)."""
    reader = writer = drainer = None
    sent_since_drain = 0
    while True:
        frame = await queue.get()
        if frame is None:
            break
        if writer is None or drainer is None or drainer.done() or writer.is_closing():
            if writer is not None:
                writer.close()
                result.reconnects += 1
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            drainer = asyncio.create_task(_drain(reader))
        try:
            writer.write(frame)
            sent_since_drain += 1
            if sent_since_drain >= window:
                await writer.drain()
                sent_since_drain = 0
        except (ConnectionError, OSError):
            writer = None
        result.frames += 1
        result.pipelined += 1
    if writer is not None:
        writer.close()


async def _lone_frame(port: int, frame: bytes, result: CampaignResult) -> None:
    """A framing-breaking mutant alone on a fresh connection; we hang up after a short wait."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return
    try:
        writer.write(frame)
        await writer.drain()
        await asyncio.wait_for(_drain(reader), 0.05)
    except (asyncio.TimeoutError, ConnectionError, OSError):
        pass
    finally:
        writer.close()
    result.frames += 1
    result.lone += 1


async def _run(port: int, total: int, seed: int, result: CampaignResult, connections: int) -> None:
    seeds = seed_frames(_open_cursors(port))
    rng = random.Random(seed)
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=256)
    workers = [asyncio.create_task(_pipelined_worker(port, queue, result)) for _ in range(connections)]
    lone: set[asyncio.Task[None]] = set()
    for _ in range(total):
        mutant = mutate(rng, rng.choice(seeds), seeds)
        if frames_cleanly(mutant):
            await queue.put(mutant)
        else:
            task = asyncio.create_task(_lone_frame(port, mutant, result))
            lone.add(task)
            task.add_done_callback(lone.discard)
            if len(lone) >= 32:
                await asyncio.wait(lone, return_when=asyncio.FIRST_COMPLETED)
    for _ in workers:
        await queue.put(None)
    await asyncio.gather(*workers, *lone)


def _open_cursors(port: int) -> list[int]:
    """Cursors another connection owns, for getMore/killCursors mutants to aim at."""
    with pymongo.MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true") as client:
        coll = client.fuzz.c
        coll.insert_many([{"_id": f"seed{i}", "a": i} for i in range(20)])
        return [coll.database.command("find", "c", batchSize=1)["cursor"]["id"] for _ in range(3)]


def run_campaign(pid: int, port: int, total: int, *, seed: int = 1, connections: int = 8) -> CampaignResult:
    """Send ``total`` mutated frames to the server ``pid`` listening on ``port``; see the module doc."""
    result = CampaignResult()
    proc = psutil.Process(pid)
    result.rss_start = result.rss_max = proc.memory_info().rss
    bystander = _Bystander(f"mongodb://127.0.0.1:{port}/?directConnection=true", result)
    bystander.start()
    sampling = threading.Event()

    def sample_rss() -> None:
        while not sampling.wait(0.25):
            try:
                result.rss_max = max(result.rss_max, proc.memory_info().rss)
            except psutil.NoSuchProcess:
                result.server_alive = False
                return

    sampler = threading.Thread(target=sample_rss, daemon=True)
    sampler.start()
    start = time.perf_counter()
    asyncio_log = logging.getLogger("asyncio")
    level = asyncio_log.level
    asyncio_log.setLevel(logging.CRITICAL)  # writes racing the server's close are expected, not news
    try:
        asyncio.run(_run(port, total, seed, result, connections))
    finally:
        result.seconds = time.perf_counter() - start
        asyncio_log.setLevel(level)
        sampling.set()
        sampler.join()
        bystander.stop.set()
        bystander.join(30)
    result.server_alive = result.server_alive and proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    return result
