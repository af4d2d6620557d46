"""The monolith itself (``legacy_app``) as a Lambda handler through apig-wsgi.

It reads the same ``DATABASE_URL`` as the monolith served directly.
"""

from __future__ import annotations

from apig_wsgi import make_lambda_handler

from legacy_app import create_app

handler = make_lambda_handler(create_app(), binary_support=True)
