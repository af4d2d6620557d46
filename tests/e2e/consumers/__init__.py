"""Apps and Lambda handlers written with real Lambda libraries, for the consumer tests.

Each app is served two ways by ``tests/e2e/test_consumers.py``: directly (gunicorn or
uvicorn) and as a Lambda handler behind ``migrate serve`` (apig-wsgi, mangum,
Powertools), so the gateway's events and result mapping meet code nobody here wrote.
"""
