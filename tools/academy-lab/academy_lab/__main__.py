"""`python3 -m academy_lab`, for a machine where the academy-lab script is not on the PATH."""

import sys

from .cli import main

sys.exit(main())
