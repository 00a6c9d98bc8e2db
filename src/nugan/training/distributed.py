"""DistributedDataParallel set-up for ``torchrun`` (gloo on CPU, nccl on GPU).

Training owns the process group: :func:`join` (called when a training loop opens its run) initialises it under
torchrun the first time and destroys it when the process exits; later runs of the same process join the same
group (re-creating a group in one process can hang its rendezvous). A group initialised by the caller is the
caller's, and is left alone. Commands need no ``torch.distributed``: :func:`is_main_process` says which rank prints.
"""

from __future__ import annotations

import atexit
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

__all__ = [
    "DistInfo",
    "init_distributed",
    "join",
    "shutdown_distributed",
    "broadcast_flag",
    "gather_tensors",
    "is_main_process",
]


@dataclass(frozen=True)
class DistInfo:
    """Rank layout of this process (world_size 1 without torchrun)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def join(device: torch.device) -> DistInfo:
    """This process's place in the process group when launched by torchrun (WORLD_SIZE > 1): the group is
    initialised on first use (gloo on CPU, nccl on CUDA) and destroyed at exit; a no-op without torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
        atexit.register(shutdown_distributed)
    else:
        # a later run in the same process: the group already exists, so its creation no longer synchronises the
        # ranks; wait here so that every rank has checked the run directory before rank 0 writes run.json
        dist.barrier()
    return DistInfo(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def init_distributed(device: torch.device) -> DistInfo:
    """Initialise (or join) the process group under torchrun; no-op otherwise (see :func:`join`)."""
    return join(device)


def shutdown_distributed() -> None:
    """Destroy the process group, whoever created it."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def is_main_process() -> bool:
    """True on rank 0 of a torchrun launch, and without one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank() == 0
    return int(os.environ.get("RANK", "0")) == 0


def broadcast_flag(flag: bool, info: DistInfo, device: torch.device) -> bool:
    """Rank 0's boolean, on every rank."""
    if not info.enabled:
        return flag
    t = torch.tensor([1 if flag else 0], device=device)
    dist.broadcast(t, 0)
    return bool(t.item())


def gather_tensors(t: torch.Tensor, info: DistInfo, device: torch.device) -> list[torch.Tensor]:
    """Every rank's ``t`` (same shape and dtype on all ranks), on the CPU, in rank order; ``[t]`` alone."""
    if not info.enabled:
        return [t]
    x = t.to(device)
    parts = [torch.empty_like(x) for _ in range(info.world_size)]
    dist.all_gather(parts, x)
    return [p.cpu() for p in parts]
