"""PARL's published curves, digitised (reference/README.md): the curve a comparison draws beside
ours, by task family and loss type. PARL's logs are read by comparison/parl_logs.py."""
import csv
import os
import re
from collections import defaultdict

import numpy as np

from ..errors import UserError
from ..run.run_log import irregular_kind
from .results import env_family

_REFERENCE_DIR = os.path.join(os.path.dirname(__file__), "reference")
# file -> (whose, digitising error by task)
REFERENCES = {
    os.path.join(_REFERENCE_DIR, "parl_v1.4_ppo_reference.csv"):
        ("PARL v1.4 published", {"HalfCheetah": 60.0, "Hopper": 30.0}),
    os.path.join(_REFERENCE_DIR, "parl_experiments_ppo_paddle.csv"):
        ("PARL 2.x published (PARL-experiments)",
         {"HalfCheetah": 22.0, "Hopper": 11.0, "BreakoutNoFrameskip": 1.0}),
}


def load_reference(paths=tuple(REFERENCES)):
    """{(env family, loss type): curve} from digitised CSVs (columns env, loss_type, steps,
    eval_reward_mean_of_N_seeds, and optionally band_low, band_high); a curve is a dict of
    arrays "steps", "mean", "low", "high" (None without a band) and "seeds", "label", "error"
    (the digitising error; 0 for a file this package does not know)."""
    curves = {}
    for path in paths:
        label, errors = REFERENCES.get(os.path.abspath(path),
                                       (f"published ({os.path.basename(path)})", {}))
        kind = irregular_kind(path)
        if kind:
            raise UserError(f"the reference curves {path} are {kind}, not a regular file.")
        points = defaultdict(list)
        try:
            with open(path, newline="") as f:
                reader = csv.DictReader(f)
                mean_column = next((c for c in reader.fieldnames or []
                                    if re.fullmatch(r"eval_reward_mean_of_\d+_seeds", c)), None)
                if mean_column is None:
                    raise KeyError("no eval_reward_mean_of_N_seeds column")
                banded = "band_low" in reader.fieldnames
                for row in reader:
                    points[(env_family(row["env"]), row["loss_type"])].append(
                        (int(row["steps"]), float(row[mean_column]),
                         *((float(row["band_low"]), float(row["band_high"])) if banded else ())))
        except (OSError, KeyError, ValueError) as exc:
            raise UserError(f"cannot read the reference curves {path} ({exc}).") from None
        seeds = int(re.findall(r"\d+", mean_column)[0])
        for (family, loss_type), rows in points.items():
            columns = [np.array(c) for c in zip(*sorted(rows))]
            curves[(family, loss_type)] = {
                "steps": columns[0], "mean": columns[1],
                "low": columns[2] if banded else None, "high": columns[3] if banded else None,
                "seeds": seeds, "label": label, "error": errors.get(family, 0.0)}
    return curves
