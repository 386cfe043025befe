"""``python -m gwcloud_python.server``."""

import sys

from .cli import main

sys.exit(main())
