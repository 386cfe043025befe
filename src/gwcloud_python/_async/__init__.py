"""The hand-written async sources of the client; ``_sync`` holds their generated twins.

Edit only the files here: ``tools/unasync.py`` (run by ``make generate``) rewrites each
one into :mod:`gwcloud_python._sync`, and ``make check-generated`` fails when a sync file
is stale or was edited by hand.
"""
