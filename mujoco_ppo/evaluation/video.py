"""The video of an evaluation: the recorder that collects an episode's frames and the file they
are written to, refused before any episode runs when it cannot be written."""
import os

from ..errors import UserError


class VideoFile:
    """The frames of one recorded episode and the file they go to (through a temporary file
    beside it, renamed when whole)."""

    def __init__(self, path):
        self.path, self.frames = path, []

    def recording(self, env):
        """``env``, each reset and step of it appending a rendered frame."""
        return Recorder(env, self.frames)

    def write(self, fps):
        import imageio.v2 as imageio

        tmp = temporary_path(self.path)
        try:
            imageio.mimwrite(tmp, self.frames, fps=fps)
            os.replace(tmp, self.path)
        except Exception as exc:
            if os.path.exists(tmp):
                os.remove(tmp)
            # ffmpeg's failures carry its whole output after the first line
            reason = next(iter(str(exc).strip().splitlines()), type(exc).__name__)
            raise UserError(f"cannot write the video {self.path}: {reason}") from None


class Recorder:
    """Wraps an environment so that each reset and step appends a rendered frame."""

    def __init__(self, env, frames):
        self.env, self.frames = env, frames
        self.action_space, self.observation_space = env.action_space, env.observation_space

    def reset(self, **kwargs):
        result = self.env.reset(**kwargs)
        self.frames.append(self.env.render())
        return result

    def step(self, action):
        result = self.env.step(action)
        self.frames.append(self.env.render())
        return result


def check_video_path(path):
    """UserError, before any episode runs, for a --video that imageio cannot write: a format it
    does not know, or a place where the file cannot be created (the temporary file that
    VideoFile.write renames is created and removed here)."""
    from imageio.config import known_extensions

    if os.path.isdir(path):
        raise UserError(f"--video {path} is a directory; give a file such as episode.mp4.")
    if os.path.splitext(path)[1].lower() not in known_extensions:
        raise UserError(f"--video {path} has no video file extension imageio knows (.mp4, .gif, "
                        f"...).")
    temporary = temporary_path(path)
    try:
        with open(temporary, "wb"):
            pass
        os.remove(temporary)
    except OSError as exc:
        raise UserError(f"cannot write the video {path}: {exc.strerror}.") from None


def temporary_path(path):
    root, ext = os.path.splitext(path)
    return f"{root}.tmp{ext}"
