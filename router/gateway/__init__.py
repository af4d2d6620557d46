"""The local API Gateway: serves the manifest's route table on this machine.

``core`` matches and dispatches without sockets; ``server`` is the thin HTTP shell;
``proxy`` forwards legacy routes to the monolith; ``lambda_`` invokes migrated
handlers in-process; ``telemetry`` publishes what API Gateway would (metrics and
access logs). Nothing here imports boto3 directly: telemetry goes through ``router.aws``.
"""
