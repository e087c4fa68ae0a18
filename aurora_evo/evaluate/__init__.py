"""Evaluating programs against baselines on a suite's scenarios: the numbers of `aurora-evo evaluate`."""
