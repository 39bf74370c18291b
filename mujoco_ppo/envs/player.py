"""The one player: episodes of an environment, the first one recorded if asked. Both PPOs'
evaluations of a saved run (mujoco_ppo.evaluation) and PARL 2.x's training-time evaluation run
their episodes here."""


def play(env, run_episode, episodes, video=None):
    """Yields the return of each of ``episodes`` episodes of ``env`` as it ends, each
    ``run_episode(env) -> return``; the first one is recorded into the VideoFile ``video`` if
    given, and written when it ends (removed if it does not end)."""
    for episode in range(episodes):
        if episode > 0 or video is None:
            yield run_episode(env)
            continue
        try:
            episode_return = run_episode(video.recording(env))
        except BaseException:
            video.discard()
            raise
        video.finish()
        yield episode_return
