"""The one player: episodes of an environment, the first one recorded if asked. Both PPOs'
evaluations of a saved run and PARL 2.x's training-time evaluation run their episodes here."""
from .video import VideoFile


def play(env, run_episode, episodes, video=None):
    """Yields the return of each of ``episodes`` episodes of ``env`` as it ends, each
    ``run_episode(env) -> return``; the first one is recorded into the VideoFile ``video`` if
    given, and written when it ends."""
    for episode in range(episodes):
        recorded = episode == 0 and video is not None
        episode_return = run_episode(video.recording(env) if recorded else env)
        if recorded:
            video.write(env.metadata.get("render_fps", 30))
        yield episode_return


def play_and_print(args, env, run_episode, describe):
    """``args.episodes`` episodes through play(), the first into ``args.video`` if given; prints
    each return as it ends, then ``describe``: mean ± std. Returns the exit status."""
    import numpy as np

    video = VideoFile(args.video) if args.video else None
    returns = []
    for episode, episode_return in enumerate(play(env, run_episode, args.episodes, video)):
        returns.append(episode_return)
        print(f"episode {episode + 1}: return {episode_return:.1f}")
    print(f"{describe}: return {np.mean(returns):.1f} ± {np.std(returns):.1f} over "
          f"{len(returns)} episodes")
    if video is not None:
        print(f"video of episode 1: {video.path} ({len(video.frames)} frames)")
    return 0
