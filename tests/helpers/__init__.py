"""Helpers shared by the tests: builders, fakes and waits, imported by tests and fixtures.

One module per topic. Tests import these modules, never a ``conftest`` module:
conftest files hold pytest fixtures only (the fixtures call these helpers). This
package must not define fixtures nor start processes at import time.
"""
