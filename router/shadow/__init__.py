"""Shadow traffic (Diffy-style) before a cutover: ``migrate shadow``.

While a route's ``shadow`` is set in the manifest, the local gateway keeps serving the
monolith's answer (primary) and, off the request path, sends copies of the request to
the Lambda handler (candidate) and to the monolith again (secondary, to learn what is
noise). Each triple is one JSON line in ``<manifest stem>.shadow/<route-id>/<run>.jsonl``.

* ``record``: the normalised view of one response and the JSON line format (pure);
* ``files``: where results live; reading the lines; ``last.json`` (atomic);
* ``writer``: the gateway's append-only writer thread;
* ``diff``: the comparison engine (pure);
* ``gate``: the promote refusal after a run with real mismatches;
* ``service``: what ``migrate shadow`` does (set, wait, clear, report, store).

This package must not import ``router.gateway`` (the gateway imports it) and this
``__init__`` must not import its modules (``router.routes`` imports ``gate``).
"""

from __future__ import annotations

__all__: list[str] = []
