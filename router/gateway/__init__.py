"""The local API Gateway: serves the manifest's route table on this machine.

``core`` matches and dispatches without sockets (after ``normalise`` has resolved the
request path); ``server`` is the thin HTTP shell, within ``limits``;
``proxy`` forwards legacy routes to the monolith over ``upstream``'s pool; ``lambda_``
invokes migrated handlers in-process; ``emitted`` builds what API Gateway would emit
for a request (metric data, access-log lines) and ``telemetry`` publishes it.
Hot reload: ``reload`` watches the manifest file, ``builder`` runs the helper process
(``_build_main``) that parses it and ``packed`` computes the routes for, and
``reloader`` installs them on the event loop in slices.
Nothing here imports boto3 directly: telemetry goes through ``router.aws``.
"""
