"""Push the manifest to a real (or moto) API Gateway and Lambda: plan, apply, roll back.

``plan`` computes a frozen ``Plan`` with read-only calls (``artifacts`` and
``artifact_steps``: code zips and layers by hash); ``executor`` is the only place
that mutates AWS; ``state`` remembers what was applied (deployment ids and
the API view each one serves) so drift can be measured and a rollback is one call.
"""
