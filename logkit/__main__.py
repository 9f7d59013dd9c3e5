"""``python -m logkit``: the same as the ``logkit`` command."""

from logkit.cli import main

if __name__ == "__main__":
    main()
