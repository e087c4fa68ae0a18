import sys

from aurora_evo.cli import main

sys.exit(main())
