"""``python -m hf_warmup SCRIPT.py [args...]`` runs a script with the schedules registered first.

``python -m hf_warmup list|plot|preview ...`` is the ``hf-warmup`` command line.
"""

from hf_warmup.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
