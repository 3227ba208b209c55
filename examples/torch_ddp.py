#!/usr/bin/env python3
"""PyTorch DistributedDataParallel on Muster: a tiny training job that
checkpoints into MUSTER_CHECKPOINT_DIR and resumes from it.

What Muster gives every rank (docs/architecture.md "Gang jobs and NCCL")
---------------------------------------------------------------
With the default ``--ranks-per-node gpus`` Muster starts one process per GPU
and sets what ``torch.distributed``'s ``env://`` initialisation reads:

  RANK, WORLD_SIZE       this process's rank and the number of ranks
  LOCAL_RANK             its rank on this node
  MASTER_ADDR/PORT       rank 0's node and a port musterd allocated for the job
                         (unique on that node)
  CUDA_VISIBLE_DEVICES   the rank's own GPU: it is ``cuda:0`` to the process
  MUSTER_CHECKPOINT_DIR  one directory per job, the same for every attempt: a
                         requeued (preempted, node lost) job resumes from it.
                         For multi-node jobs run musterd with
                         ``--checkpoint-root`` on a shared filesystem.
  MUSTER_WARM_START      (retraining jobs) the checkpoint of the model's last
                         successful run: its weights start a fresh run

Submit: 2 nodes x 8 GPUs = 16 ranks::

    muster submit --nodes 2 --gpus-per-node 8 -- python examples/torch_ddp.py --steps 500

One launcher per node with torchrun (``--ranks-per-node 1``): Muster starts one
process per node that sees all of the node's GPUs, with NNODES, NODE_RANK,
MASTER_ADDR and MASTER_PORT set; torchrun starts the 8 workers and sets RANK,
WORLD_SIZE and LOCAL_RANK for them itself (``sh -c`` so that the variables
expand on each node, not where you submit)::

    muster submit --nodes 2 --gpus-per-node 8 --ranks-per-node 1 -- sh -c \\
      'exec torchrun --nnodes "$NNODES" --node-rank "$NODE_RANK" --nproc-per-node 8 \\
         --master-addr "$MASTER_ADDR" --master-port "$MASTER_PORT" examples/torch_ddp.py --steps 500'

Then ``muster logs ID`` (rank 0) shows the loss; ``muster requeue ID`` stops the
job and starts it again, and the new attempt prints "resumed from step N".

Stopping: on SIGTERM (cancel, preemption, time limit) every rank finishes its
step, rank 0 writes a checkpoint, and the processes exit with 143 within the
job's grace period.

Run alone (no Muster, one GPU, or ``--cpu`` for the gloo backend on a machine
without GPUs)::

    python examples/torch_ddp.py --steps 50            # RANK=0 WORLD_SIZE=1
    MUSTER_CHECKPOINT_DIR=/tmp/ckpt python examples/torch_ddp.py --cpu

Not run in CI (no PyTorch there); scripts/gpu-check.sh runs it when the GPU
machine's python3 has torch (docs/gpu.md).
"""
import argparse
import datetime
import inspect
import math
import os
import pickle
import signal
import sys
import time

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

CHECKPOINT = "ckpt.pt"
FEATURES = 32
EXIT_TERMINATED = 128 + signal.SIGTERM


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=100, help="total optimisation steps (default 100)")
    p.add_argument("--batch-size", type=int, default=64, help="samples per rank per step (default 64)")
    p.add_argument("--lr", type=float, default=1e-2, help="Adam learning rate (default 0.01)")
    p.add_argument("--checkpoint-every", type=int, default=20, help="steps between checkpoints (default 20)")
    p.add_argument("--step-time", type=float, default=0.0,
                   help="extra seconds per step, to stand in for real work (default 0)")
    p.add_argument("--timeout", type=int, default=300,
                   help="seconds for process-group set-up and each collective (default 300)")
    p.add_argument("--cpu", action="store_true", help="gloo backend on the CPU (no GPU needed)")
    a = p.parse_args()
    if a.steps < 1 or a.batch_size < 1 or a.checkpoint_every < 1 or a.timeout < 1:
        p.error("--steps, --batch-size, --checkpoint-every and --timeout must be positive")
    return a


def env_int(name, default):
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        sys.exit(f"torch_ddp: bad {name}={value!r} in the environment")


def log(rank, world, msg):
    print(f"torch_ddp rank {rank}/{world}: {msg}", flush=True)


def make_model():
    return nn.Sequential(nn.Linear(FEATURES, 64), nn.ReLU(), nn.Linear(64, 1))


def batch(step, rank, size, device):
    """A deterministic batch per (step, rank) of a fixed regression problem, so
    a resumed run sees exactly the data it would have seen."""
    g = torch.Generator().manual_seed(1_000_003 * step + rank)
    x = torch.randn(size, FEATURES, generator=g)
    w = torch.linspace(-1.0, 1.0, FEATURES).unsqueeze(1)  # the "true" weights
    y = x @ w + 0.01 * torch.randn(size, 1, generator=g)
    return x.to(device, non_blocking=True), y.to(device, non_blocking=True)


def torch_version():
    try:
        return tuple(int(part) for part in torch.__version__.split("+")[0].split(".")[:2])
    except ValueError:
        return (0, 0)


def load(path):
    """A checkpoint is tensors and plain values, so weights_only (which refuses
    to run code from the file). Before torch 2.4 the weights-only unpickler
    cannot read floats (the optimizer's hyper-parameters, seen on 1.13); there,
    and only there, our own checkpoint is loaded without it."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, TypeError):
        if torch_version() >= (2, 4):
            raise
        return torch.load(path, map_location="cpu")


def save_checkpoint(ckpt_dir, step, model, optimizer, world):
    """Rank 0 only. Written to a temporary file and renamed, so a job killed
    mid-write leaves the previous checkpoint intact."""
    os.makedirs(ckpt_dir, exist_ok=True)
    tmp = os.path.join(ckpt_dir, CHECKPOINT + ".tmp")
    torch.save({"step": step, "model": model.module.state_dict(),
                "optimizer": optimizer.state_dict(), "world_size": world}, tmp)
    os.replace(tmp, os.path.join(ckpt_dir, CHECKPOINT))


def initial_state(ckpt_dir):
    """Rank 0: (state, how) from this job's checkpoint, else the warm start."""
    path = os.path.join(ckpt_dir, CHECKPOINT) if ckpt_dir else ""
    if path and os.path.isfile(path):
        state = load(path)
        return state, f"resumed from step {state['step']} ({path})"
    warm = os.environ.get("MUSTER_WARM_START", "")
    if warm:
        if os.path.isdir(warm):
            warm = os.path.join(warm, CHECKPOINT)
        if os.path.isfile(warm):
            # Weights only: a retraining run starts its own schedule at step 0.
            return {"step": 0, "model": load(warm)["model"]}, f"warm start from {warm}"
        return None, f"MUSTER_WARM_START={warm} has no checkpoint: starting fresh"
    return None, "starting fresh"


def main():
    args = parse_args()
    rank = env_int("RANK", 0)
    world = env_int("WORLD_SIZE", 1)
    local_rank = env_int("LOCAL_RANK", 0)
    if not 0 <= rank < world:
        sys.exit(f"torch_ddp: RANK={rank} is not in 0..WORLD_SIZE-1 ({world})")
    if world > 1 and not (os.environ.get("MASTER_ADDR") and os.environ.get("MASTER_PORT")):
        sys.exit("torch_ddp: WORLD_SIZE > 1 but MASTER_ADDR/MASTER_PORT are not set: run it under Muster")
    # A world of one needs no real rendezvous: any free local port will do.
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29500")
    ckpt_dir = os.environ.get("MUSTER_CHECKPOINT_DIR", "")

    if args.cpu:
        backend, device = "gloo", torch.device("cpu")
    else:
        if not torch.cuda.is_available():
            sys.exit(f"torch_ddp rank {rank}/{world}: no usable GPU (CUDA_VISIBLE_DEVICES="
                     f"{os.environ.get('CUDA_VISIBLE_DEVICES', '(unset)')}); --cpu runs on the CPU")
        # One GPU visible (Muster's default): cuda:0. Several (torchrun): ours by local rank.
        device = torch.device("cuda", local_rank % torch.cuda.device_count())
        torch.cuda.set_device(device)
        backend = "nccl"

    # Preemption, cancel and time limits arrive as SIGTERM: finish the step,
    # checkpoint, leave within the grace period.
    stop = {"requested": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(requested=True))

    timeout = datetime.timedelta(seconds=args.timeout)
    init = {"backend": backend, "init_method": "env://", "rank": rank, "world_size": world, "timeout": timeout}
    if backend == "nccl" and "device_id" in inspect.signature(dist.init_process_group).parameters:
        init["device_id"] = device  # binds the communicator to our GPU up front (torch >= 2.3)
    dist.init_process_group(**init)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    log(rank, world, f"{backend} on {device} ({name}), master {os.environ['MASTER_ADDR']}:"
                     f"{os.environ['MASTER_PORT']}, local rank {local_rank}, checkpoints in {ckpt_dir or '(none)'}")

    torch.manual_seed(0)  # the same initial weights everywhere (DDP broadcasts rank 0's anyway)
    model = make_model().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    # Rank 0 reads the checkpoint and sends it to everyone: only rank 0's node
    # needs to see the file (for big models, let every rank read a shared file).
    box = [initial_state(ckpt_dir) if rank == 0 else None]
    dist.broadcast_object_list(box, src=0, device=device if backend == "nccl" else None)
    state, how = box[0]
    start = 0
    if state is not None:
        model.load_state_dict(state["model"])
        if "optimizer" in state:
            optimizer.load_state_dict(state["optimizer"])
        start = int(state["step"])
        if state.get("world_size", world) != world:
            how += f" (saved by {state['world_size']} ranks, now {world}: per-rank batches change)"
    if rank == 0:
        log(rank, world, how)
    if start >= args.steps:
        log(rank, world, f"done: already at step {start}/{args.steps}")
        dist.destroy_process_group()
        return 0

    ddp = DDP(model, device_ids=[device.index] if device.type == "cuda" else None)
    loss_fn = nn.MSELoss()
    flag = torch.zeros(1, device=device)
    loss_avg = float("nan")
    step = start
    t0 = time.monotonic()
    while step < args.steps:
        x, y = batch(step, rank, args.batch_size, device)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(ddp(x), y)
        loss.backward()  # DDP all-reduces the gradients here
        optimizer.step()
        step += 1
        if args.step_time > 0:
            time.sleep(args.step_time)

        # Every rank must agree to stop at the same step, or the others would
        # wait forever in the next all-reduce.
        flag.fill_(1.0 if stop["requested"] else 0.0)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        stopping = flag.item() > 0
        last = step == args.steps
        if step % 10 == 0 or last or stopping:
            avg = loss.detach().clone()
            dist.all_reduce(avg, op=dist.ReduceOp.SUM)
            loss_avg = avg.item() / world
            if rank == 0:
                log(rank, world, f"step {step}/{args.steps} loss {loss_avg:.5f}")
        if ckpt_dir and (step % args.checkpoint_every == 0 or last or stopping):
            if rank == 0:
                save_checkpoint(ckpt_dir, step, ddp, optimizer, world)
                log(rank, world, f"checkpoint at step {step}")
            dist.barrier()  # nobody exits before the checkpoint is on disk
        if stopping:
            log(rank, world, f"SIGTERM: stopped at step {step}")
            dist.destroy_process_group()
            return EXIT_TERMINATED

    if not math.isfinite(loss_avg):
        log(rank, world, f"FAILED: loss is {loss_avg}")
        dist.destroy_process_group()
        return 1
    log(rank, world, f"done: {step - start} steps in {time.monotonic() - t0:.1f}s, "
                     f"step {step}/{args.steps}, loss {loss_avg:.5f}")
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
