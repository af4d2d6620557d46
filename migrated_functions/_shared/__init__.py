"""Helpers shipped with every migrated function: keep them small and dependency-free.

``db`` (engine cache, write transactions, transient retries), ``credentials``
(database credentials from Secrets Manager or SSM), ``tables`` (the legacy
tables, re-declared), ``event`` (API Gateway REST proxy event accessors), ``http`` (canonical JSON
responses and errors), ``query`` (query-string and pagination parsing), ``logs``
(one-JSON-object-per-line logging), ``handler`` (the invocation wrapper) and
``idempotency`` (stored responses keyed by ``Idempotency-Key``). Nothing here may
import ``legacy_app`` or any package but the standard library, SQLAlchemy (with
psycopg for PostgreSQL) and, only when a secret is configured, Powertools'
parameters utility.
"""
