"""Push the manifest to a real (or moto) API Gateway: plan, apply, roll back.

``plan`` computes a frozen ``Plan`` with read-only calls; ``executor`` is the only
place that mutates AWS; ``state`` remembers what was applied (deployment ids and
the API view each one serves) so drift can be measured and a rollback is one call.
"""
