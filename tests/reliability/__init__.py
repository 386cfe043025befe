"""Reliability and security suite (a package so its module names do not clash with tests/server)."""
