"""How many sampling workers PARL 1.x's PPO runs by default, and how many fit: the sizing of
its --num_workers, which local_workers.py runs but the flags decide."""
from ..errors import UserError

# Resident size of one sampling worker process: VmRSS of a spawned EpisodeSampler child holding
# HalfCheetah-v4, read from /proc/PID/status right after it started (69.5 MB: 32.6 MB private,
# 36.9 MB of shared libraries counted in full), Python 3.11, mujoco 4.0, Gymnasium 1.4.
WORKER_RESIDENT_BYTES = 70 * 2**20

def check_workers_fit(workers, episodes, memory):
    """UserError, before any worker is spawned, for more workers than a batch has episodes (the
    extra ones would never run one) or more than ``memory`` bytes can hold."""
    if workers > episodes:
        raise UserError(f"--num_workers {workers} is more than --episodes_per_batch {episodes}; "
                        f"a worker runs whole episodes, so at most {episodes} can work.")
    # worker 0 is this process: the others are new processes
    if memory is not None and (workers - 1) * WORKER_RESIDENT_BYTES > memory:
        raise UserError(f"--num_workers {workers} needs about "
                        f"{(workers - 1) * WORKER_RESIDENT_BYTES / 2**30:.1f} GB "
                        f"({WORKER_RESIDENT_BYTES // 2**20} MB per worker) and this machine has "
                        f"{memory / 2**30:.1f} GB available; at most "
                        f"{1 + memory // WORKER_RESIDENT_BYTES} workers fit.")

WORKERS_PER_CORE = 4  # the default's bound: a few processes per core share it well


def default_num_workers(cores, episodes):
    """The fewest workers, at least one per core and at most four per core (and one per
    episode), that share the episodes evenly: 5 episodes on 2 cores take 5 workers (3 + 2
    would leave a core idle for a whole episode), 10 episodes on 2 cores take 2. Where no
    count in that range divides the episodes (a prime 1009 on 2 cores), one per core."""
    fewest = min(cores, episodes)
    even = [w for w in range(fewest, min(episodes, WORKERS_PER_CORE * cores) + 1)
            if episodes % w == 0]
    return even[0] if even else fewest
