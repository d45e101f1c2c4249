"""``python -m service.cli``: the ``postrun`` command without its installed script."""

from service.cli.commands import main

main()
