import sys

from keywise.cli import main

sys.exit(main())
