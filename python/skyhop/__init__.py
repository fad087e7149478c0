"""skyhop: upgrade Apache Airflow and Astro Runtime projects safely.

This package only carries the ``skyhop`` binary (installed into the environment's scripts
directory); ``python -m skyhop`` runs it. :func:`find_skyhop_bin` says where it is.
"""

from skyhop._find import find_skyhop_bin

__all__ = ["find_skyhop_bin"]
