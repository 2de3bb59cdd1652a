"""Aggregates the JSON lines of SuggestBench and peers.py into docs/benchmarks.md's tables (Markdown on stdout).

Per problem and sampler: median simple regret over the seeds of the quality runs at 25/50/100 % of the budget, and
the time per suggestion over the last 10 suggestions (90 % of the budget observed), averaged over the timing runs,
which run one after another on an otherwise idle machine. Then, for each of tunekit's model-based algorithms, ratios
to its peers: final median regret (ours/theirs, below 1 = we found better points) and time per suggestion
(theirs/ours, how many times faster we answer).
Usage: python report.py [--compact] --quality FILE... --timing FILE...
(--compact: one row per sampler, docs/benchmarks.md's table: final median regret per problem, ms per suggestion per problem.)
python report.py --hyperband FILE: the multi-fidelity table of HyperbandBench and hyperband_peers.py.
python report.py --versus FILE...: each of tunekit's model-based algorithms against its Optuna counterpart only, per
problem: median final regret of both over the same seeds, their ratio, the mean final regrets, the probability that
tunekit's run ends better than Optuna's for a seed drawn from each (ties count half; the Mann-Whitney U statistic over
n·m, 0.5 = level), and the two-sided Mann-Whitney U test's p-value (scipy): a ratio away from 1 with a large p is
within the seeds' spread. On grid surfaces the final regrets take few distinct values, so the medians of 20 seeds
jump between them; the probability and the means move less.
"""
import json
import statistics
import sys
from collections import defaultdict

LABELS = {
    ("tunekit", "random"): "tunekit random",
    ("tunekit", "tpe"): "tunekit tpe",
    ("tunekit", "multivariate-tpe"): "tunekit multivariate-tpe",
    ("tunekit", "bayesianoptimization"): "tunekit bayesianoptimization (GP)",
    ("tunekit", "cmaes"): "tunekit cmaes",
    ("tunekit", "sobol"): "tunekit sobol",
    ("optuna-random", None): "Optuna RandomSampler",
    ("optuna-tpe", None): "Optuna TPE (univariate)",
    ("optuna-tpe-multivariate", None): "Optuna TPE (multivariate)",
    ("optuna-gp", None): "Optuna GPSampler",
    ("optuna-cmaes", None): "Optuna CmaEsSampler (with_margin)",
    ("optuna-qmc", None): "Optuna QMCSampler (scrambled Sobol')",
    ("hyperopt-tpe", None): "hyperopt TPE",
    ("skopt-gp-hedge", None): "skopt gp_minimize (gp_hedge)",
    ("skopt-ei", None): "skopt gp_minimize (EI)",
}
# tunekit algorithm -> the peers it is compared with.
PEERS = {
    "tunekit tpe": ["Optuna TPE (univariate)", "Optuna TPE (multivariate)", "hyperopt TPE"],
    "tunekit multivariate-tpe": ["Optuna TPE (multivariate)", "Optuna TPE (univariate)", "hyperopt TPE"],
    "tunekit bayesianoptimization (GP)": ["skopt gp_minimize (gp_hedge)", "skopt gp_minimize (EI)", "Optuna GPSampler"],
    "tunekit cmaes": ["Optuna CmaEsSampler (with_margin)"],
    "tunekit sobol": ["Optuna QMCSampler (scrambled Sobol')", "Optuna RandomSampler"],
}


def label(run):
    if run["tool"] == "tunekit":
        # An algorithm run with settings ("bayesianoptimization:acq_func=EI") is labelled by its whole string.
        return LABELS.get(("tunekit", run["algorithm"]), f"tunekit {run['algorithm']}")
    return LABELS[(run["tool"], None)]


def fmt(value):
    if value == 0:
        return "0"
    return f"{value:.3g}" if abs(value) >= 1e-3 else f"{value:.1e}"


def load(paths, problems):
    runs = defaultdict(list)  # (problem, label) -> runs
    for path in paths:
        for line in open(path):
            run = json.loads(line)
            if "skipped" in run:
                print(f"note: {run['tool']} skipped on {run['problem']}: {run['skipped']}", file=sys.stderr)
                continue
            runs[(run["problem"], label(run))].append(run)
            if run["problem"] not in problems:
                problems.append(run["problem"])
    return runs


def print_hyperband(path):
    runs = defaultdict(list)
    for line in open(path):
        run = json.loads(line)
        runs[run["algorithm"]].append(run)
    print("| sampler | seeds | median best loss at 81 epochs | median epochs spent | median trials |")
    print("|---|---|---|---|---|")
    for name, group in runs.items():
        print(f"| {name} | {len(group)} | {statistics.median(r['best_full'] for r in group):.4f} | "
              f"{statistics.median(r['epochs'] for r in group):.0f} | {statistics.median(r['trials'] for r in group):.0f} |")


# tunekit algorithm -> its Optuna counterpart (the held-out comparison).
COUNTERPARTS = {
    "tunekit tpe": "Optuna TPE (univariate)",
    "tunekit multivariate-tpe": "Optuna TPE (multivariate)",
    "tunekit bayesianoptimization (GP)": "Optuna GPSampler",
    "tunekit cmaes": "Optuna CmaEsSampler (with_margin)",
}


def print_versus(paths):
    problems = []
    runs = load(paths, problems)
    from scipy.stats import mannwhitneyu
    print("| problem | tunekit | seeds | median final regret, tunekit | Optuna | ratio | mean, tunekit | Optuna "
          "| P(tunekit better) | p (Mann-Whitney) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for problem in problems:
        for ours, theirs in COUNTERPARTS.items():
            mine = {r["seed"]: r["regret100"] for r in runs.get((problem, ours), [])}
            peer = {r["seed"]: r["regret100"] for r in runs.get((problem, theirs), [])}
            seeds = sorted(mine.keys() & peer.keys())
            if not seeds:
                continue
            a = statistics.median(mine[s] for s in seeds)
            b = statistics.median(peer[s] for s in seeds)
            ratio = "equal" if a == b else (f"{a / b:.2f}" if b > 0 else "Optuna at the optimum")
            x, y = [mine[s] for s in seeds], [peer[s] for s in seeds]
            test = None if x == y else mannwhitneyu(x, y, alternative="two-sided")
            p = 1.0 if test is None else test.pvalue
            # U counts the pairs where tunekit's regret is larger (ties half): tunekit better = 1 − U/(n·m).
            better = 0.5 if test is None else 1 - test.statistic / (len(x) * len(y))
            print(f"| {problem} | {ours.removeprefix('tunekit ')} | {len(seeds)} | {fmt(a)} | {fmt(b)} | {ratio} "
                  f"| {fmt(statistics.mean(x))} | {fmt(statistics.mean(y))} | {better:.2f} | {p:.2f} |")


def main():
    if sys.argv[1] == "--hyperband":
        print_hyperband(sys.argv[2])
        return
    if sys.argv[1] == "--versus":
        print_versus(sys.argv[2:])
        return
    compact = "--compact" in sys.argv
    arguments = [a for a in sys.argv[1:] if a != "--compact"]
    split = arguments.index("--timing")
    problems = []
    runs = load(arguments[1:split], problems)
    timings = load(arguments[split + 1:], [])
    if compact:
        print_compact(runs, timings, problems)
        return
    order = list(dict.fromkeys(LABELS.values()))
    summary = {}
    print("| problem | sampler | seeds | regret @25 % | @50 % | @100 % | ms / suggestion |")
    print("|---|---|---|---|---|---|---|")
    for problem in problems:
        for name in order:
            group = runs.get((problem, name))
            if not group:
                continue
            medians = [statistics.median(r[f"regret{p}"] for r in group) for p in (25, 50, 100)]
            timed = timings.get((problem, name)) or group
            seconds = statistics.mean(r["seconds_per_suggestion"] for r in timed)
            summary[(problem, name)] = (medians[2], seconds)
            print(f"| {problem} | {name} | {len(group)} | " + " | ".join(fmt(m) for m in medians)
                  + f" | {seconds * 1000:.3g} |")
    print()
    print("| problem | tunekit | peer | final regret ours/peer | peer time / our time |")
    print("|---|---|---|---|---|")
    for problem in problems:
        for ours, peers in PEERS.items():
            if (problem, ours) not in summary:
                continue
            our_regret, our_seconds = summary[(problem, ours)]
            for peer in peers:
                if (problem, peer) not in summary:
                    continue
                peer_regret, peer_seconds = summary[(problem, peer)]
                ratio = "equal" if our_regret == peer_regret else (
                    f"{our_regret / peer_regret:.2g}" if peer_regret > 0 else "peer found the optimum")
                print(f"| {problem} | {ours} | {peer} | {ratio} | {peer_seconds / our_seconds:.0f}× |")


def print_compact(runs, timings, problems):
    print("| sampler | " + " | ".join(f"{p} regret" for p in problems) + " | "
          + " | ".join(f"{p} ms" for p in problems) + " |")
    print("|---" * (1 + 2 * len(problems)) + "|")
    for name in dict.fromkeys(LABELS.values()):
        if not any((p, name) in runs for p in problems):
            continue
        regrets, times = [], []
        for p in problems:
            group = runs.get((p, name), [])
            regrets.append(fmt(statistics.median(r["regret100"] for r in group)) if group else "–")
            timed = timings.get((p, name)) or group
            times.append(f"{statistics.mean(r['seconds_per_suggestion'] for r in timed) * 1000:.3g}" if timed else "–")
        print(f"| {name} | " + " | ".join(regrets) + " | " + " | ".join(times) + " |")


if __name__ == "__main__":
    main()
