"""`python -m matching.backtest`: see `matching.backtest.cli`."""

import sys

from matching.backtest.cli import main

sys.exit(main())
