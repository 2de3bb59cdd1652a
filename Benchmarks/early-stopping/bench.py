"""Runs `tunekit tune` on experiment variants that differ only in spec.earlyStopping and prints a Markdown table.

Each round is one seed (`random_state` = round + 1) and runs every variant at that seed, alternating the order; the
table reports medians over the seeds and the median of the per-seed ratios to no early stopping.

Problems: the main job (experiments/seoul-traffic-gbdt.yaml) and a held-out one the project was not developed on:
the same search over gbdt settings on the Seoul bike-sharing table (../shared/datasets/seoul-bike, target
"Rented Bike Count", the Date column ignored, the last 20 % of rows held out for test and the 20 % before them for
validation, time order kept). Rounds alternate the variants; the table reports medians and ratios to no early stopping.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time

VARIANTS = {
    "none": None,
    "medianstop (Katib defaults: 3 trials, start_step 4)": "{algorithmName: medianstop}",
    "medianstop (start_step 50)": '{algorithmName: medianstop, algorithmSettings: [{name: start_step, value: "50"}]}',
    "asha (min_resource 25, reduction_factor 3)": (
        '{algorithmName: asha, algorithmSettings: [{name: min_resource, value: "25"}, {name: reduction_factor, value: "3"}]}'
    ),
    "medianpruner (Optuna's defaults: 5 trials, no warm-up)": "{algorithmName: medianpruner}",
    "medianpruner (n_warmup_steps 20)": '{algorithmName: medianpruner, algorithmSettings: [{name: n_warmup_steps, value: "20"}]}',
    "medianpruner (n_startup_trials 3)": '{algorithmName: medianpruner, algorithmSettings: [{name: n_startup_trials, value: "3"}]}',
    "medianpruner (n_startup_trials 2)": '{algorithmName: medianpruner, algorithmSettings: [{name: n_startup_trials, value: "2"}]}',
    "medianpruner (n_startup_trials 3, finished_trials best_so_far)": (
        '{algorithmName: medianpruner, algorithmSettings: [{name: n_startup_trials, value: "3"}, '
        '{name: finished_trials, value: best_so_far}]}'
    ),
    "medianpruner (n_startup_trials 5, finished_trials best_so_far)": (
        '{algorithmName: medianpruner, algorithmSettings: [{name: finished_trials, value: best_so_far}]}'
    ),
}


def seeded(text, trials, seed):
    text = re.sub(r"^  maxTrialCount: .*$", f"  maxTrialCount: {trials}", text, count=1, flags=re.M)
    return re.sub(r'(name: random_state\n\s*value: )"\d+"', f'\\g<1>"{seed}"', text, count=1)


def variant(text, stopping):
    if stopping is None:
        return text
    return text.replace("  parallelTrialCount:", f"  earlyStopping: {stopping}\n  parallelTrialCount:", 1)


def bike_experiment(main_text, csv):
    text = main_text.replace("name: seoul-traffic-gbdt", "name: seoul-bike-gbdt")
    text = text.replace(
        "- --data=datasets/seoul-traffic",
        f'- "--data={csv}"\n                  - "--target=Rented Bike Count"\n                  - --ignore-columns=Date\n'
        "                  - --valid-fraction=0.2\n                  - --test-fraction=0.2",
    )
    return text


def boosting_rounds(journal, text):
    """Boosting rounds the trials ran: the length of a trial's reported curve, or, for a trial run without early
    stopping's reports, its best iteration plus early_stopping_rounds, at most num_iterations (when its own early
    stopping ended it). Unlike wall time this is exact: the work the early stopping saved, free of the machine's noise."""
    patience = int(re.search(r"--early_stopping_rounds=(\d+)", text).group(1))
    limit = int(re.search(r"--num_iterations=(\d+)", text).group(1))
    total = 0
    for line in open(journal):
        event = json.loads(line)
        if event["event"] != "trial-finished":
            continue
        curve = event.get("intermediate") or []
        total += len(curve) if curve else min(event.get("bestIteration", limit) + patience, limit)
    return total


def run(tunekit, experiment, output, version):
    start = time.monotonic()
    result = subprocess.run(
        [tunekit, "tune", experiment, "--output", output, "--model-version", version],
        capture_output=True, text=True, check=False,
    )
    seconds = time.monotonic() - start
    if result.returncode != 0:
        raise SystemExit(f"{experiment}: {result.stderr[-2000:]}")
    score = json.load(open(os.path.join(output, "artifact", version, "score.json")))
    stopped = sum(1 for trial in score["trials"] if trial["condition"] == "EARLYSTOPPED")
    rounds = boosting_rounds(os.path.join(output, "runs", version, "journal.jsonl"), open(experiment).read())
    return seconds, score["test"]["rmse"], stopped, rounds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tunekit", required=True)
    parser.add_argument("--rounds", type=int, default=3, help="seeds (1, 2, …)")
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--bike", required=True)
    parser.add_argument("--seed-offset", type=int, default=0, help="first seed − 1")
    parser.add_argument("--variants", help="';'-separated prefixes of the variants to run (none is always run; names "
                                           "contain commas)")
    args = parser.parse_args()
    if args.variants:
        prefixes = args.variants.split(";")
        for name in [n for n in VARIANTS if n != "none" and not any(n.startswith(p) for p in prefixes)]:
            del VARIANTS[name]
    main_text = open("experiments/seoul-traffic-gbdt.yaml").read()
    problems = {"Seoul traffic (main job)": main_text}
    if os.path.exists(args.bike):
        problems["Seoul bike (held out)"] = bike_experiment(main_text, os.path.abspath(args.bike))
    work = tempfile.mkdtemp(prefix="tunekit-es-")
    try:
        results = {}
        for problem, text in problems.items():
            for round_index in range(args.rounds):
                files = {}
                for name, stopping in VARIANTS.items():
                    path = os.path.join(work, re.sub(r"\W+", "-", f"{problem}{name}{round_index}") + ".yaml")
                    open(path, "w").write(variant(seeded(text, args.trials, args.seed_offset + round_index + 1), stopping))
                    files[name] = path
                names = list(VARIANTS) if round_index % 2 == 0 else list(reversed(VARIANTS))
                for name in names:
                    version = re.sub(r"[^a-z0-9]+", "-", f"r{round_index}-{problem}-{name}".lower()).strip("-")
                    out = os.path.join(work, "out")
                    results.setdefault((problem, name), []).append(run(args.tunekit, files[name], out, version))
        print("| problem | early stopping | wall s (median) | time vs none | boosting rounds vs none | test RMSE (median) "
              "| RMSE vs none | trials stopped |")
        print("|---|---|---|---|---|---|---|---|")
        for problem in problems:
            base = results[(problem, "none")]
            for name in VARIANTS:
                runs = results[(problem, name)]
                seconds = statistics.median(r[0] for r in runs)
                rmse = statistics.median(r[1] for r in runs)
                stopped = statistics.median(r[2] for r in runs)
                # Ratios seed by seed (the same search path up to the first stopped trial), then their median.
                time_ratio = statistics.median(r[0] / b[0] for r, b in zip(runs, base))
                rmse_ratio = statistics.median(r[1] / b[1] for r, b in zip(runs, base))
                rounds_ratio = statistics.median(r[3] / b[3] for r, b in zip(runs, base))
                print(f"| {problem} | {name} | {seconds:.2f} | {time_ratio:.2f} | {rounds_ratio:.2f} | {rmse:.1f} | "
                      f"{rmse_ratio:.3f} | {stopped:g} of {args.trials} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
