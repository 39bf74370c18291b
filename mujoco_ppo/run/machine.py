"""What this machine gives a run: its available memory, and Paddle's device, threads and seed."""
import os
import secrets


def available_memory():
    """MemAvailable of /proc/meminfo in bytes, or None where there is no such file."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None



def draw_seed(seed):
    """``seed``, or one drawn at random where none was given (config.json records it)."""
    return seed if seed is not None else secrets.randbelow(2**31)


def set_up_paddle(seed, threads):
    """Paddle on the CPU with ``threads`` kernel threads (None: one per core), seeded."""
    import paddle
    paddle.set_device("cpu")
    paddle.base.core.set_num_threads(threads or os.cpu_count() or 1)
    paddle.seed(seed)
