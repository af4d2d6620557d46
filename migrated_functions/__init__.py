"""AWS Lambda handlers that replace endpoints of the legacy monolith, one route at a time.

Each public module (``users``, ``products``, ``orders``) holds the handlers of one
domain; ``_shared`` holds the small helpers they all ship with (database engine,
API Gateway event/response handling, JSON logs, idempotency). During the
transition they share the monolith's DATABASE (``DATABASE_URL``, or credentials from
``DB_SECRET_ARN`` / ``DB_SSM_PARAMETER``), never its code:
nothing in this package may import ``legacy_app`` (nor ``router``/``migrate_cli``).
"""
