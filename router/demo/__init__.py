"""``migrate demo``: the whole strangler workflow on this machine, end to end.

``project`` prepares a throw-away project (manifest inventoried from the bundled
monolith, a seeded database, a deliberately slowed handler); ``scenario`` runs the
stages against the real local stack (moto, gunicorn, the gateway) under synthetic
traffic and reports every outcome to an injected narrator. Nothing here prints.
"""
