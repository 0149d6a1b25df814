import sys

from rackforge.gen import main

raise SystemExit(main(sys.argv[1:]))
