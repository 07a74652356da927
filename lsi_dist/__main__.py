import sys

from lsi_dist.cli import main

sys.exit(main())
