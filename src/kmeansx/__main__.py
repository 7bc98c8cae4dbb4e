"""``python -m kmeansx``: the same as the ``kmeansx`` command."""

from kmeansx.cli import main

main()
