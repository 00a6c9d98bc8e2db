"""Backwards-compatible home of the fast generator forward; the code lives in :mod:`nugan.models.fastforward`."""

from nugan.models.fastforward import FastBlock, cached_fast_forward, fast_forward

__all__ = ["fast_forward", "cached_fast_forward", "FastBlock"]
