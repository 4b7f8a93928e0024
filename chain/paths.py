"""Where the project's own files are: the checkout root, and below it the build output and runtime state.

Every package finds the root from here, so the tools work from any working directory.
"""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUILD_MANIFEST = PROJECT_ROOT / ".build" / "__local__.json"
NODE_BIN = PROJECT_ROOT / "node_modules" / ".bin"
