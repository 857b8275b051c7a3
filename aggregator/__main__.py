"""`python -m aggregator`."""

import sys

from .cli import main

sys.exit(main())
