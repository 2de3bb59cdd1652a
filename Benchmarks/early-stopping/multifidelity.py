"""Hyperband and BOHB on the real main job: the main experiment's gbdt search space with num_iterations as the
resource (r_l 81 rounds, eta 3: 211 trials, 2,181 rounds in all), against random search at the same rounds (26 trials
of 81 rounds); no early stopping inside a trial. Per seed (random_state 1..SEEDS): the best validation RMSE and the
refitted model's test RMSE, then medians and the Wilcoxon signed-rank p of BOHB against hyperband (same seeds).

Usage: python multifidelity.py TUNEKIT_BINARY SEEDS   (about 20 s per seed on 2 cores; needs scipy for the p-value)
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def experiment(algorithm, seed):
    """The main job's YAML with another algorithm: the resource added as a parameter, or fixed at 81 rounds."""
    text = open(os.path.join(ROOT, "experiments", "seoul-traffic-gbdt.yaml")).read()
    text = text[text.index("apiVersion"):].replace("name: seoul-traffic-gbdt", f"name: mf-{algorithm}")
    settings = f'      - name: random_state\n        value: "{seed}"\n'
    if algorithm != "random":
        settings += ('      - name: r_l\n        value: "81"\n      - name: resource_name\n        value: num_iterations\n'
                     '      - name: eta\n        value: "3"\n')
    text, count = re.subn(r"  algorithm:\n    algorithmName: multivariate-tpe\n    algorithmSettings:\n(      - .*\n        .*\n)+",
                          f"  algorithm:\n    algorithmName: {algorithm}\n    algorithmSettings:\n{settings}", text)
    assert count == 1, "the main job's algorithm block changed"
    parallel, trials = (81, 211) if algorithm != "random" else (2, 26)
    text = text.replace("parallelTrialCount: 2", f"parallelTrialCount: {parallel}").replace(
        "maxTrialCount: 12", f"maxTrialCount: {trials}")
    fixed = "                  - --num_iterations=400\n                  - --early_stopping_rounds=30\n"
    assert fixed in text, "the main job's trial command changed"
    if algorithm == "random":
        return text.replace(fixed, "                  - --num_iterations=81\n")
    text = text.replace(fixed, "                  - --num_iterations=${trialParameters.numIterations}\n")
    text = text.replace("  parameters:\n", '  parameters:\n    - name: num_iterations\n      parameterType: int\n'
                        '      feasibleSpace:\n        min: "1"\n        max: "81"\n', 1)
    return text.replace("    trialParameters:\n", "    trialParameters:\n      - name: numIterations\n"
                        "        description: Boosting rounds (the resource)\n        reference: num_iterations\n", 1)


def run(binary, algorithm, seed, folder):
    path = os.path.join(folder, f"{algorithm}-{seed}.yaml")
    with open(path, "w") as file:
        file.write(experiment(algorithm, seed))
    # The best trials and the refit's test score are printed with the progress, on stderr.
    output = subprocess.run([binary, "tune", path, "--output", os.path.join(folder, f"out-{algorithm}-{seed}")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=True, cwd=ROOT).stdout
    valid = float(re.search(r"^1 +\S+ +([0-9.]+)", output, re.M).group(1))
    test = float(re.search(r"scored by the refitted best model: rmse=([0-9.]+)", output).group(1))
    return valid, test


def main():
    binary, seeds = os.path.abspath(sys.argv[1]), int(sys.argv[2])
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(1, seeds + 1):
            for algorithm in ("hyperband", "bohb", "random"):
                results[(algorithm, seed)] = run(binary, algorithm, seed, folder)
                print(algorithm, seed, *results[(algorithm, seed)], file=sys.stderr)
    print("| search (2,181 boosting rounds) | seeds | median best validation RMSE | median test RMSE |")
    print("|---|---|---|---|")
    for algorithm in ("hyperband", "bohb", "random"):
        valid = [results[(algorithm, s)][0] for s in range(1, seeds + 1)]
        test = [results[(algorithm, s)][1] for s in range(1, seeds + 1)]
        print(f"| {algorithm} | {seeds} | {statistics.median(valid):.1f} | {statistics.median(test):.1f} |")
    from scipy.stats import wilcoxon
    hyperband = [results[("hyperband", s)][0] for s in range(1, seeds + 1)]
    bohb = [results[("bohb", s)][0] for s in range(1, seeds + 1)]
    better = sum(b < h for h, b in zip(hyperband, bohb))
    print(f"\nbohb's validation RMSE below hyperband's on {better} of {seeds} seeds; Wilcoxon p {wilcoxon(hyperband, bohb).pvalue:.2f}")


if __name__ == "__main__":
    main()
