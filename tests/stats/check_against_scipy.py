"""attnlab's two-sample statistics against SciPy (Debian's python3-scipy).

Draws seeded cases of the sizes seed comparisons have (2 to 12 per arm, some
with ties, some heavy-tailed, a few large), runs the stats probe on them and
compares Welch's t and p, the Welch interval, the Mann-Whitney U and p (exact
without ties: mannwhitneyu(method="exact"); exact with ties: the exact
permutation test of U; large samples: the asymptotic form with continuity
correction) and Holm's adjustment (hand-written here from its definition);
then the bootstrap intervals of a mean (percentile and BCa) on the very
resamples scipy.stats.bootstrap draws, for seed-like samples (bimodal
accuracies among them), and the Clopper-Pearson interval of k of n against
binomtest(k, n).proportion_ci(method="exact"); and the paired tests on seed-like
pairs: the paired t-test and interval against ttest_rel, the signed-rank test
against wilcoxon(method="exact") without ties or zeros, against the exact
sign-flip permutation test (permutation_test(permutation_type="samples")) with
them, and against wilcoxon(method="approx", correction=True) beyond 60 pairs.
Usage: check_against_scipy.py STATS_PROBE
"""
import subprocess
import sys
import warnings

import numpy as np
from scipy import stats

probe = sys.argv[1]
# Saturated cases are nearly constant; SciPy warns that its moments lose precision there.
warnings.filterwarnings("ignore", message="Precision loss occurred")
rng = np.random.default_rng(20261202)
cases = []
for i in range(120):
    na, nb = rng.integers(2, 13, size=2)
    a, b = rng.normal(0.9, 0.05, na), rng.normal(0.92, 0.04, nb)
    if i % 4 == 1:  # accuracies that saturate: many ties
        a, b = np.minimum(np.round(a, 2), 0.95), np.minimum(np.round(b, 2), 0.95)
    if i % 4 == 2:  # a heavy tail: one seed far off
        a[0] = -3.0
    if i % 4 == 1 and na + nb > 14:  # keep the exact permutation test small
        a, b = a[:7], b[:7]
    cases.append((a, b))
for n in (30, 35, 45):
    cases.append((rng.normal(0, 1, n), rng.normal(0.3, 1.5, n + 3)))

lines = []
for a, b in cases:
    lines.append("pair " + " ".join(repr(float(v)) for v in a) + " | " +
                 " ".join(repr(float(v)) for v in b))
holm_inputs = [rng.uniform(0, 0.2, k) for k in (1, 2, 5, 9)]
lines += ["holm " + " ".join(repr(float(p)) for p in ps) for ps in holm_inputs]
output = subprocess.run([probe], input="\n".join(lines) + "\n", capture_output=True, text=True,
                        check=True).stdout.splitlines()


def close(found, expected, what, case, rel=1e-7, abs_=1e-12):
    if not np.isclose(found, expected, rtol=rel, atol=abs_):
        sys.exit(f"case {case}: {what}: attnlab {found!r}, SciPy {expected!r}")


def u_statistic(x, y, axis=-1):
    ranks = stats.rankdata(np.concatenate([x, y], axis=axis), axis=axis)
    return ranks[..., : x.shape[axis]].sum(axis=axis) - x.shape[axis] * (x.shape[axis] + 1) / 2


kinds = {"exact": 0, "exact with ties": 0, "asymptotic": 0}
for case, ((a, b), line) in enumerate(zip(cases, output)):
    t, df, p, u, mw_p, exact, low, high = (float(v) for v in line.split())
    welch = stats.ttest_ind(a, b, equal_var=False)
    close(t, welch.statistic, "Welch t", case)
    close(p, welch.pvalue, "Welch p", case)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    close(df, (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1)), "Welch df", case)
    half = stats.t.ppf(0.975, df) * np.sqrt(va + vb)
    close(low, a.mean() - b.mean() - half, "CI low", case)
    close(high, a.mean() - b.mean() + half, "CI high", case)
    ties = len(np.unique(np.concatenate([a, b]))) < len(a) + len(b)
    if not exact:
        reference = stats.mannwhitneyu(a, b, method="asymptotic", use_continuity=True)
        kinds["asymptotic"] += 1
    elif not ties:
        reference = stats.mannwhitneyu(a, b, method="exact")
        kinds["exact"] += 1
    else:
        permuted = stats.permutation_test((a, b), u_statistic, permutation_type="independent",
                                          n_resamples=np.inf, alternative="two-sided")
        reference = stats.mannwhitneyu(a, b, method="asymptotic")  # for its statistic
        reference = type("R", (), {"statistic": reference.statistic, "pvalue": permuted.pvalue})
        kinds["exact with ties"] += 1
    close(u, reference.statistic, "Mann-Whitney U", case)
    close(mw_p, reference.pvalue, "Mann-Whitney p", case)

for ps, line in zip(holm_inputs, output[len(cases):]):
    order = np.argsort(ps, kind="stable")
    expected = np.empty(len(ps))
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(ps) - rank) * ps[index]))
        expected[index] = running
    for found, wanted in zip((float(v) for v in line.split()), expected):
        close(found, wanted, "Holm", "holm")

# Paired: seeds that move both arms alike, so the differences are small beside
# the values; some rounded to two digits (ties and zero differences).
def w_plus(x, y):
    d = x - y
    d = d[d != 0]
    return stats.rankdata(np.abs(d))[d > 0].sum()


paired_cases = []
for i in range(60):
    n = int(rng.integers(2, 13))
    seed_effect = rng.normal(0.7, 0.1, n)
    a, b = seed_effect + rng.normal(0.01, 0.01, n), seed_effect + rng.normal(0.0, 0.01, n)
    if i % 3 == 1:
        a, b = np.round(a, 2), np.round(b, 2)
    paired_cases.append((a, b))
for n in (70, 90):
    base = rng.normal(0, 1, n)
    paired_cases.append((np.round(base + rng.normal(0.2, 0.5, n), 1), np.round(base, 1)))
paired_output = subprocess.run([probe], input="".join(
    "paired " + " ".join(repr(float(v)) for v in a) + " | " + " ".join(repr(float(v)) for v in b)
    + "\n" for a, b in paired_cases), capture_output=True, text=True, check=True).stdout.splitlines()
paired_kinds = {"exact": 0, "exact with ties or zeros": 0, "asymptotic": 0, "all zero": 0}
for case, ((a, b), line) in enumerate(zip(paired_cases, paired_output)):
    t, df, p, w, w_p, exact, low, high = (float(v) for v in line.split())
    d = a - b
    if d.std(ddof=1) > 0:
        reference = stats.ttest_rel(a, b)
        close(t, reference.statistic, "paired t", f"paired {case}")
        close(p, reference.pvalue, "paired t p", f"paired {case}")
        half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
        close(low, d.mean() - half, "paired CI low", f"paired {case}")
        close(high, d.mean() + half, "paired CI high", f"paired {case}")
    close(df, len(d) - 1, "paired df", f"paired {case}")
    nonzero = d[d != 0]
    if len(nonzero) == 0:
        paired_kinds["all zero"] += 1
        close(w_p, 1.0, "signed-rank p with every pair equal", f"paired {case}")
        continue
    close(w, w_plus(a, b), "signed-rank W+", f"paired {case}")
    ties = len(np.unique(np.abs(nonzero))) < len(nonzero) or len(nonzero) < len(d)
    if not exact:
        reference = stats.wilcoxon(a, b, method="approx", correction=True)
        paired_kinds["asymptotic"] += 1
    elif not ties:
        reference = stats.wilcoxon(a, b, method="exact")
        paired_kinds["exact"] += 1
    else:
        reference = stats.permutation_test((a, b), w_plus, permutation_type="samples",
                                           vectorized=False, n_resamples=np.inf)
        paired_kinds["exact with ties or zeros"] += 1
    close(w_p, reference.pvalue, "signed-rank p", f"paired {case}")
if min(paired_kinds[k] for k in ("exact", "exact with ties or zeros", "asymptotic")) == 0:
    sys.exit(f"the paired cases miss a kind of signed-rank test: {paired_kinds}")

# Bootstrap: the probe gets SciPy's own resamples (bootstrap draws
# rng.integers(0, n, (n_resamples, n)) from its random_state in one batch).
resamples = 2000
# Two-digit accuracies of 10 and 17 seeds: resampled means that tie the mean
# only up to summation order, so NumPy's pairwise sum must be followed exactly.
samples = [np.array([1.0, 1.0, 0.55, 0.99, 0.96]),  # bimodal: some seeds solve it, one not
           np.array([0.51, 0.53, 0.50, 0.49, 0.52]),
           np.array([0.0, 1.0, 1.0, 0.0, 1.0, 1.0]),
           np.array([2.9, 3.1, 3.4, 2.8]),
           rng.normal(0.7, 0.2, 9), rng.uniform(0, 1, 12),
           np.round(rng.uniform(0.4, 1.0, 10), 2), np.round(rng.uniform(0.4, 1.0, 17), 2)]
boot_lines = []
for i, x in enumerate(samples):
    indices = np.random.default_rng(1000 + i).integers(0, len(x), (resamples, len(x)))
    boot_lines.append("bootstrap " + " ".join(repr(float(v)) for v in x) + " | " +
                      " ".join(str(int(j)) for j in indices.ravel()))
binomial_cases = [(k, n) for n in (1, 3, 5, 10) for k in range(n + 1)]
boot_lines += [f"binomial {k} {n}" for k, n in binomial_cases]
boot_output = subprocess.run([probe], input="\n".join(boot_lines) + "\n", capture_output=True,
                             text=True, check=True).stdout.splitlines()
for i, (x, line) in enumerate(zip(samples, boot_output)):
    found = [float(v) for v in line.split()]
    for method, (low, high) in (("percentile", found[:2]), ("BCa", found[2:])):
        reference = stats.bootstrap((x,), np.mean, n_resamples=resamples, method=method,
                                    random_state=np.random.default_rng(1000 + i))
        # attnlab clamps to the values' range, where SciPy's end may pass it by an ulp.
        expected = np.clip(reference.confidence_interval, x.min(), x.max())
        close(low, expected[0], f"bootstrap {method} low", i, rel=1e-12)
        close(high, expected[1], f"bootstrap {method} high", i, rel=1e-12)
        if not x.min() <= low <= high <= x.max():
            sys.exit(f"sample {i}: {method} interval [{low}, {high}] leaves the values' range")
for (k, n), line in zip(binomial_cases, boot_output[len(samples):]):
    low, high = (float(v) for v in line.split())
    reference = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    close(low, reference.low, "Clopper-Pearson low", f"{k} of {n}", rel=1e-9, abs_=1e-12)
    close(high, reference.high, "Clopper-Pearson high", f"{k} of {n}", rel=1e-9, abs_=1e-12)

# The interval tables show: Hesterberg's expanded percentile bootstrap. Up to 9
# values it is numpy.percentile over the means of every one of the n^n
# resamples (itertools.product, built here with np.add.outer up to 8 values);
# beyond, 9999 drawn resamples, compared with SciPy's bootstrap at the same
# expanded level on many more resamples (Monte Carlo error only).
def every_resample_mean(x):
    sums = np.zeros(1)
    for _ in range(len(x)):
        sums = np.add.outer(sums, x).ravel()
    return sums / len(x)


def expanded_tail(n):
    return stats.norm.cdf(np.sqrt(n / (n - 1)) * stats.t.ppf(0.025, n - 1))


seed_samples = [np.array(v) for v in ([1.0, 1.0, 1.0, 1.0, 0.0], [0.62, 0.71], [0.3, 0.9, 0.5],
                                      [1.0, 0.0, 1.0, 0.0])]
seed_samples += [np.round(rng.uniform(0.3, 1.0, n), 2) for n in (5, 6, 7, 8)]
seed_samples += [rng.normal(2.0, 0.5, 5), np.round(rng.uniform(0.4, 1.0, 12), 2),
                 np.concatenate([np.ones(7), np.round(rng.uniform(0.0, 0.3, 3), 2)]),
                 rng.normal(1.0, 0.3, 20)]
seed_output = subprocess.run([probe], input="".join(
    "seed " + " ".join(repr(float(v)) for v in x) + "\n" for x in seed_samples),
    capture_output=True, text=True, check=True).stdout.splitlines()
for i, (x, line) in enumerate(zip(seed_samples, seed_output)):
    low, high, tail = (float(v) for v in line.split())
    close(tail, expanded_tail(len(x)), "expanded tail", i, rel=1e-6, abs_=1e-300)  # n = 2: 1e-72
    if len(x) <= 8:
        expected = np.clip(np.percentile(every_resample_mean(x), [100 * tail, 100 * (1 - tail)]),
                           x.min(), x.max())
        close(low, expected[0], "every-resample interval low", i, rel=1e-12)
        close(high, expected[1], "every-resample interval high", i, rel=1e-12)
    else:
        reference = stats.bootstrap((x,), np.mean, n_resamples=200000, method="percentile",
                                    confidence_level=1 - 2 * tail,
                                    random_state=np.random.default_rng(2000 + i))
        spread = x.max() - x.min()
        for found, wanted in zip((low, high), reference.confidence_interval):
            if abs(found - wanted) > 0.03 * spread:
                sys.exit(f"seed sample {i}: drawn interval end {found} is {wanted} in SciPy "
                         f"beyond Monte Carlo error (0.03 of the range {spread})")
    if not x.min() <= low <= high <= x.max():
        sys.exit(f"seed sample {i}: interval [{low}, {high}] leaves the values' range")

# What the expansion is for: at 5 normal seeds the plain percentile interval
# covers the true mean about 85% of the time, the expanded one about 93%.
coverage_rng = np.random.default_rng(77)
draws = coverage_rng.normal(0.0, 1.0, (1500, 5))
covered = {"plain": 0, "expanded": 0}
for x in draws:
    means = np.sort(every_resample_mean(x))
    for name, tail in (("plain", 0.025), ("expanded", expanded_tail(5))):
        low, high = np.percentile(means, [100 * tail, 100 * (1 - tail)])
        covered[name] += low <= 0.0 <= high
shares = {k: v / len(draws) for k, v in covered.items()}
if not (0.80 <= shares["plain"] <= 0.88 and 0.88 <= shares["expanded"] <= 0.96):
    sys.exit(f"coverage at 5 normal seeds over {len(draws)} samples: {shares}; expected the "
             "plain percentile near 0.85 and the expanded one near 0.93")
# With fewer seeds the expanded interval is (nearly) the seeds' range, which
# holds the mean of a symmetric figure with probability 1 - 2 / 2^n (what the
# docs and results.md say: about 50%, 75%, 88% at 2, 3, 4 seeds).
few_seeds = {}
for n in (2, 3, 4):
    hits = 0
    for x in coverage_rng.normal(0.0, 1.0, (1500, n)):
        tail = expanded_tail(n)
        low, high = np.percentile(every_resample_mean(x), [100 * tail, 100 * (1 - tail)])
        hits += low <= 0.0 <= high
    few_seeds[n] = hits / 1500
    if abs(few_seeds[n] - (1 - 2 / 2 ** n)) > 0.04:
        sys.exit(f"coverage at {n} normal seeds: {few_seeds[n]}, expected about {1 - 2 / 2 ** n}")

print(f"{len(cases)} pairs agree with SciPy {stats.__name__} ({kinds}); {len(paired_cases)} "
      f"paired cases agree with ttest_rel and the signed-rank test ({paired_kinds}); Holm on "
      f"{len(holm_inputs)} families; bootstrap percentile and BCa intervals of {len(samples)} "
      f"samples on SciPy's resamples; Clopper-Pearson for {len(binomial_cases)} k of n; the "
      f"tables' expanded percentile interval of {len(seed_samples)} samples (every resample, or "
      f"SciPy's bootstrap); its coverage at 5 normal seeds {shares['expanded']:.3f} against the "
      f"plain percentile's {shares['plain']:.3f}; at 2, 3, 4 seeds "
      f"{', '.join(f'{v:.3f}' for v in few_seeds.values())}")
