"""The video of an evaluation: the recorder that streams an episode's frames into the encoder as
they are rendered (through a temporary file beside the video, renamed when whole), with progress
on stderr, and the check, before any episode runs, that the file can be written.

Rendering speed (scripts/video_speed.py, results/video_speed.json): on a machine without a GPU,
MuJoCo's EGL renders in software, where its shadows and 4x multisampling cost most of a frame;
they are turned off for the recording (the floor's reflection stays). Frames go to ffmpeg as they
come, so encoding runs beside the rendering in ffmpeg's own process and no episode is held in
memory (1,000 frames of 480x480 are 690 MB).
"""
import os
import sys
import time

from ..errors import UserError
from ..run.run_log import refuse_irregular

PROGRESS_EVERY = 5.0  # seconds between progress lines when stderr is not a terminal


class VideoFile:
    """The video file of one recorded episode, its first ``seconds`` (all of it if None)."""

    def __init__(self, path, seconds=None):
        self.path, self.seconds, self.frame_count = path, seconds, 0
        self._writer = self._progress = None
        self._limit = None

    def recording(self, env):
        """``env``, each reset and step of it sending a rendered frame to the video."""
        fps = env.metadata.get("render_fps", 30)
        self._limit = None if self.seconds is None else max(1, round(self.seconds * fps))
        episode = getattr(env.spec, "max_episode_steps", None)
        most = None if episode is None else episode + 1  # the reset's frame, then each step's
        if self._limit is not None:
            most = self._limit if most is None else min(most, self._limit)
        fast_rendering(env)
        import imageio.v2 as imageio

        try:
            self._writer = imageio.get_writer(temporary_path(self.path), fps=fps)
        except Exception as exc:
            raise self._failure(exc) from None
        self._progress = Progress(most)
        return Recorder(env, self)

    def add(self, render):
        """Render and encode one frame, unless the video already has its ``seconds``."""
        if self._limit is not None and self.frame_count >= self._limit:
            return
        try:
            self._writer.append_data(render())
        except Exception as exc:
            raise self._failure(exc) from None
        self.frame_count += 1
        self._progress.update(self.frame_count)

    def finish(self):
        """Close the encoder and put the video in place."""
        try:
            self._writer.close()
            self._writer = None
            os.replace(temporary_path(self.path), self.path)
        except Exception as exc:
            raise self._failure(exc) from None
        self._progress.done(self.frame_count, self.path)

    def discard(self):
        """Close the encoder and remove the partial video (the episode did not end, or the
        encoder failed)."""
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:  # the first error is the one to report
                pass
            self._writer = None
        if os.path.exists(temporary_path(self.path)):
            os.remove(temporary_path(self.path))

    def _failure(self, exc):
        self.discard()
        # ffmpeg's failures carry its whole output after the first line
        reason = next(iter(str(exc).strip().splitlines()), type(exc).__name__)
        return UserError(f"cannot write the video {self.path}: {reason}")


class Recorder:
    """Wraps an environment so that each reset and step adds a rendered frame to the video."""

    def __init__(self, env, video):
        self.env, self.video = env, video
        self.action_space, self.observation_space = env.action_space, env.observation_space

    def reset(self, **kwargs):
        result = self.env.reset(**kwargs)
        self.video.add(self.env.render)
        return result

    def step(self, action):
        result = self.env.step(action)
        self.video.add(self.env.render)
        return result


class Progress:
    """Frames done, of how many at most, and frames/s, on stderr: one line kept up to date on a
    terminal, else a line every PROGRESS_EVERY seconds; and a last line when the video is
    written."""

    def __init__(self, most):
        self.most, self.start = most, time.perf_counter()
        self.terminal, self.shown = sys.stderr.isatty(), self.start

    def text(self, frames):
        rate = frames / max(time.perf_counter() - self.start, 1e-9)
        of = "" if self.most is None else f" of at most {self.most:,}"
        return f"video: {frames:,} frames{of}, {rate:,.1f} frames/s"

    def update(self, frames):
        now = time.perf_counter()
        if now - self.shown < (0.2 if self.terminal else PROGRESS_EVERY):
            return
        self.shown = now
        print(("\r" if self.terminal else "") + self.text(frames), end="" if self.terminal else "\n",
              file=sys.stderr, flush=True)

    def done(self, frames, path):
        seconds = time.perf_counter() - self.start
        print(("\r" if self.terminal else "") + f"video: {frames:,} frames in {seconds:.1f} s "
              f"({frames / max(seconds, 1e-9):,.1f} frames/s, rendering and encoding) -> {path}",
              file=sys.stderr, flush=True)


def fast_rendering(env):
    """MuJoCo's offscreen renderer without shadows and multisampling (see the module's note);
    other environments are left as they are. Before the first render: the multisample setting
    is read when the renderer's context is made."""
    base = env.unwrapped
    renderer = getattr(base, "mujoco_renderer", None)
    if renderer is None:
        return
    import mujoco

    base.model.vis.quality.offsamples = 0
    # Gymnasium makes its offscreen viewer on the first render; made here, its scene's flags
    # can be set before any frame
    viewer = renderer._get_viewer(render_mode=base.render_mode)
    viewer.scn.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0


def check_video_path(path):
    """UserError, before any episode runs, for a --video that imageio cannot write: a format it
    does not know, or a place where the file cannot be created (the temporary file that
    VideoFile.finish renames is created and removed here)."""
    from imageio.config import known_extensions

    if os.path.isdir(path):
        raise UserError(f"--video {path} is a directory; give a file such as episode.mp4.")
    if os.path.splitext(path)[1].lower() not in known_extensions:
        raise UserError(f"--video {path} has no video file extension imageio knows (.mp4, .gif, "
                        f"...).")
    temporary = temporary_path(path)
    for file in (path, temporary):  # opening a FIFO to write would wait for a reader
        refuse_irregular(file, "--video names a video file")
    try:
        with open(temporary, "wb"):
            pass
        os.remove(temporary)
    except OSError as exc:
        raise UserError(f"cannot write the video {path}: {exc.strerror}.") from None


def temporary_path(path):
    root, ext = os.path.splitext(path)
    return f"{root}.tmp{ext}"
