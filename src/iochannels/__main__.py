"""``python -m iochannels``."""

import sys

from iochannels.cli import main

sys.exit(main())
