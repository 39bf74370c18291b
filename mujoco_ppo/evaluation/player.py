"""Evaluating a saved run: the returns of the one player (mujoco_ppo.envs.player), printed,
the first episode recorded if asked."""
from ..envs.player import play
from .video import VideoFile


def play_and_print(args, env, run_episode, describe):
    """``args.episodes`` episodes through play(), the first into ``args.video`` if given; prints
    each return as it ends, then ``describe``: mean ± std. Returns the exit status."""
    import numpy as np

    video = VideoFile(args.video, args.video_seconds) if args.video else None
    returns = []
    for episode, episode_return in enumerate(play(env, run_episode, args.episodes, video)):
        returns.append(episode_return)
        print(f"episode {episode + 1}: return {episode_return:.1f}")
    print(f"{describe}: return {np.mean(returns):.1f} ± {np.std(returns):.1f} over "
          f"{len(returns)} episodes")
    if video is not None:
        print(f"video of episode 1: {video.path} ({video.frame_count} frames)")
    return 0
