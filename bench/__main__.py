"""`python -m hsbench`: the same entry point as the `hsbench` script (used under mpiexec and by `hsbench run`)."""

import sys

from hsbench.cli import main

sys.exit(main())
