"""Typed settings: the one place where paths, store URIs and service options are read.

Values come, in order of precedence, from ``BACKORDER_*`` environment variables, a YAML file
(``backorder.yaml`` in the working directory or the file named by ``BACKORDER_CONFIG``), and
the embedded defaults, which keep everything under a git-ignored ``data/`` folder. No other
module reads environment variables, and loading settings creates nothing on disk.
"""

from settings.model import Settings, load_settings

__all__ = ["Settings", "load_settings"]
