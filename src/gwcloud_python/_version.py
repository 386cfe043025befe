"""Version of the gwcloud-python package."""

__version__ = "2.0.0"
