"""``python -m gwcloud_python.cli``."""

import sys

from . import main

sys.exit(main())
