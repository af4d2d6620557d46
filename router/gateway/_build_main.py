"""The reload helper process: reads manifest paths on stdin, answers packed snapshots.

``router.gateway.builder`` runs it as ``python -m router.gateway._build_main``. Each
request is a frame (8-byte big-endian length + pickle) holding ``(path, legacy_url)``;
each answer a frame holding ``("ok", PackedSnapshot)`` or ``("error", message)``. The
manifest is read and validated here (libyaml, ruamel, pydantic: seconds of CPU at
5,000 routes), so none of that ever holds the gateway's GIL. The process ends at EOF
on stdin (the gateway closed it, or died). Stray output goes to stderr: stdout carries
only frames. The garbage collector is paused while a build runs (its passes over the
new objects, none of them garbage yet, doubled the time to pack) and collects after
the answer is sent. This module must not serve requests or import handlers.
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import signal
import struct
import sys
from pathlib import Path
from typing import IO, Any

from router.errors import StranglerError
from router.gateway.packed import pack
from router.manifest.incremental import BlockReader
from router.manifest.store import collector_paused, load_manifest

__all__ = ["FRAME", "answer", "main", "read_frame", "write_frame"]

FRAME = struct.Struct(">Q")  # the length of the pickle that follows
log = logging.getLogger("router.gateway.builder")


def read_frame(stream: IO[bytes]) -> bytes | None:
    """The next frame's payload, or None at EOF."""
    head = stream.read(FRAME.size)
    if len(head) < FRAME.size:
        return None
    (size,) = FRAME.unpack(head)
    payload = stream.read(size)
    return payload if len(payload) == size else None


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(FRAME.pack(len(payload)) + payload)
    stream.flush()


def answer(request: bytes, reader: BlockReader | None = None) -> bytes:
    """The reply to one request: the packed snapshot, or the error the gateway logs.

    ``reader`` keeps the route blocks of the last manifest read: only the blocks an
    edit changed are parsed again.
    """
    path, legacy_url = pickle.loads(request)
    read = (reader or BlockReader()).data
    reply: tuple[str, Any]
    try:
        reply = ("ok", pack(load_manifest(Path(path), read=read).model, legacy_url=legacy_url))
    except StranglerError as exc:
        reply = ("error", str(exc))
    except Exception as exc:  # a bug: say so in the gateway's log, keep serving
        log.exception("reload helper failed")
        reply = ("error", f"reload helper failed: {type(exc).__name__}: {exc}")
    return pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the gateway decides when it ends
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a print anywhere cannot corrupt a frame
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    gc.freeze()  # the imports: never scanned again
    reader = BlockReader()
    while (request := read_frame(sys.stdin.buffer)) is not None:
        with collector_paused():  # a build's objects are not garbage until it is sent
            reply = answer(request, reader)
        write_frame(replies, reply)
        gc.collect()  # once the gateway has its answer


if __name__ == "__main__":
    main()
