"""``python -m logkit`` and the ``logkit`` script: the command line (:func:`logkit.cli.main`).

The cyclic collector waits while the command line's modules load: they make thousands of objects and no
garbage, and each pass over them would be wasted (about 3 ms of every start). ``main`` sets it up again.
"""

import gc

gc.disable()
from logkit.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
