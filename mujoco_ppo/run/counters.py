"""A run's counters, by name, and their form in a checkpoint's state.json ("counters"). The
training loops change them, where the reader sees it; a resumed run starts from a checkpoint's."""
from dataclasses import dataclass, field
from typing import Dict

from .schema import COUNT, DURATION

# state.json's "counters" (the evaluation index keeps PARL's name there, "test_flag", so that
# checkpoints written before stay readable)
COUNTERS_SCHEMA = {"iteration": COUNT, "steps": COUNT, "episodes": COUNT, "test_flag": COUNT,
                   "wall_time": DURATION}


@dataclass
class Counters:
    iteration: int = 0  # iterations (PARL 2.x: updates) trained
    steps: int = 0  # environment steps trained on
    episodes: int = 0  # training episodes finished
    next_evaluation: int = 0  # PARL's test_flag: the multiple of test_every_steps due next
    wall_time: float = 0.0  # seconds of training, over every stop and resume
    # an algorithm's own counts, kept beside these in state.json (PARL 1.x's TRPO:
    # line_search_failures); its RunKind names them, its checkpoint's schema bounds them
    algorithm_counts: Dict[str, int] = field(default_factory=dict)

    def to_state(self):
        """The counters as state.json holds them."""
        state = {"iteration": self.iteration, "steps": self.steps, "episodes": self.episodes,
                 "test_flag": self.next_evaluation, "wall_time": self.wall_time}
        return {**state, **self.algorithm_counts}

    @classmethod
    def from_state(cls, state, algorithm_counts=()):
        """The counters of a checkpoint's state.json, with those of ``algorithm_counts`` (names)
        that it holds; any other key is not read."""
        return cls(iteration=state["iteration"], steps=state["steps"], episodes=state["episodes"],
                   next_evaluation=state["test_flag"], wall_time=state["wall_time"],
                   algorithm_counts={name: state[name] for name in algorithm_counts
                                     if name in state})
