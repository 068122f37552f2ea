"""Allow ``python -m alloyscreen``."""

from alloyscreen.cli import main

main()
