#!/usr/bin/env python3
"""Golden numbers for the scheduler tests, computed with numpy (float64) straight from the published formulas:
DDIM (Song et al. 2020, eq. 12), Euler (Karras et al. 2022, Algorithm 2, s_churn = 0) and DPM-Solver++(2M)
(Lu et al. 2022, Algorithm 2), with diffusers' timestep-spacing rules. Run: /usr/bin/python3 tools/scheduler-goldens.py
The output is pasted into src/core/diffusion/schedulers/schedulers.test.ts.

With --timesteps OUT.json it writes instead the timestep fixture for every N in 1..1000, every spacing and every
scheduler, computed the way diffusers computes them with numpy (np.linspace / np.arange / .round(), float32 for
Euler): a 32-bit FNV-1a checksum per N, full timesteps and sigmas for a subset of N
(src/core/diffusion/schedulers/timesteps.golden.json)."""
import json
import sys
import numpy as np

T = 1000
b_sl = np.linspace(0.00085 ** 0.5, 0.012 ** 0.5, T) ** 2
b_lin = np.linspace(0.0001, 0.02, T)
abar = np.cumprod(1 - b_sl)
abar_lin = np.cumprod(1 - b_lin)



def fnv1a(words):
    """32-bit FNV-1a over the uint32 words (int32 timesteps, or float32 bit patterns)."""
    h = 0x811C9DC5
    for w in words:
        h = ((h ^ int(w)) * 16777619) & 0xFFFFFFFF
    return h


def diffusers_timesteps(kind, spacing, n, offset=1):
    """Timesteps as diffusers' DDIMScheduler / EulerDiscreteScheduler / DPMSolverMultistepScheduler.set_timesteps
    compute them (num_train_timesteps T = 1000, steps_offset 1, lambda_min_clipped -inf so last_timestep = T)."""
    if kind == 'ddim':
        if spacing == 'linspace':
            return np.linspace(0, T - 1, n).round()[::-1].copy().astype(np.int64)
        if spacing == 'leading':
            r = T // n
            return (np.arange(0, n) * r).round()[::-1].copy().astype(np.int64) + offset
        return np.round(np.arange(T, 0, -T / n)).astype(np.int64) - 1
    if kind == 'euler':
        if spacing == 'linspace':
            return np.linspace(0, T - 1, n, dtype=np.float32)[::-1].copy()
        if spacing == 'leading':
            r = T // n
            ts = (np.arange(0, n) * r).round()[::-1].copy().astype(np.float32)
            ts += offset
            return ts
        ts = np.arange(T, 0, -T / n).round().copy().astype(np.float32)
        ts -= 1
        return ts
    # dpmpp-2m
    if spacing == 'linspace':
        return np.linspace(0, T - 1, n + 1).round()[::-1][:-1].copy().astype(np.int64)
    if spacing == 'leading':
        r = T // (n + 1)
        return (np.arange(0, n + 1) * r).round()[::-1][:-1].copy().astype(np.int64) + offset
    return np.arange(T, 0, -T / n).round().copy().astype(np.int64) - 1


def timestep_fixture(path):
    train_sigmas = ((1 - abar) / abar) ** 0.5
    full_n = [1, 2, 3, 4, 5, 6, 7, 10, 20, 25, 26, 27, 30, 31, 46, 47, 50, 61, 100]
    out = {'T': T, 'steps_offset': 1, 'beta_schedule': 'scaled_linear 0.00085..0.012', 'hash': 'fnv1a32',
           'note': 'checksums over the first N timesteps (int32, or float32 bits for euler); "extra" lists the N '
                   'for which numpy\'s arange gives N + 1 values (diffusers would run one more step, to t = -1)',
           'sets': {}}
    for kind in ('ddim', 'euler', 'dpmpp-2m'):
        for spacing in ('leading', 'trailing', 'linspace'):
            sums, extra, full = [], [], {}
            for n in range(1, T + 1):
                ts = diffusers_timesteps(kind, spacing, n)
                if len(ts) > n:
                    extra.append(n)
                ts = ts[:n]
                words = ts.astype(np.float32).view(np.uint32) if kind == 'euler' else ts.astype(np.int32).view(np.uint32)
                sums.append(fnv1a(words))
                if n in full_n:
                    entry = {'timesteps': [float(v) if kind == 'euler' else int(v) for v in ts]}
                    if kind != 'ddim':
                        sig = np.interp(ts.astype(np.float64), np.arange(T), train_sigmas)
                        entry['sigmas'] = [float('%.12g' % v) for v in sig]
                    full[str(n)] = entry
            out['sets'][kind + ' ' + spacing] = {'checksums': sums, 'extra': extra, 'full': full}
    with open(path, 'w') as f:
        json.dump(out, f, separators=(',', ':'))


if len(sys.argv) == 3 and sys.argv[1] == '--timesteps':
    timestep_fixture(sys.argv[2])
    sys.exit(0)

x = np.array([0.5, -1.2, 2.0, 0.1])
e = np.array([0.3, 0.7, -0.4, 1.1])
z = np.array([0.25, -0.5, 1.5, -2.0])
out = {}
out['abar_scaled_linear'] = {str(i): abar[i] for i in (0, 1, 499, 999)}
out['abar_linear'] = {str(i): abar_lin[i] for i in (0, 499, 999)}

# timesteps
out['ddim_leading_50'] = ((np.arange(0, 50) * (T // 50)).round()[::-1] + 1).tolist()
out['ddim_trailing_10'] = (np.round(np.arange(T, 0, -T / 10)) - 1).astype(int).tolist()
out['ddim_linspace_7'] = np.linspace(0, T - 1, 7).round()[::-1].astype(int).tolist()
out['dpm_leading_10'] = ((np.arange(0, 11) * (T // 11)).round()[::-1][:-1] + 1).astype(int).tolist()

# DDIM step, N = 10 leading (timesteps 901, 801, ...), step index 2: t = 701 -> prev 601
def ddim(t, prev, model, pred, eta, noise):
    a, ap = abar[t], (abar[prev] if prev >= 0 else abar[0])
    if pred == 'epsilon':
        x0 = (x - np.sqrt(1 - a) * model) / np.sqrt(a)
        eps = model
    else:  # v: v = sqrt(a) eps - sqrt(1-a) x0
        x0 = np.sqrt(a) * x - np.sqrt(1 - a) * model
        eps = np.sqrt(a) * model + np.sqrt(1 - a) * x
    sigma = eta * np.sqrt((1 - ap) / (1 - a)) * np.sqrt(1 - a / ap)
    return (np.sqrt(ap) * x0 + np.sqrt(1 - ap - sigma ** 2) * eps + sigma * noise).tolist(), x0.tolist()

out['ddim_step_eps'] = ddim(701, 601, e, 'epsilon', 0.0, z)
out['ddim_step_v'] = ddim(701, 601, e, 'v', 0.0, z)
out['ddim_step_eta'] = ddim(701, 601, e, 'epsilon', 0.5, z)
out['ddim_last_step'] = ddim(1, -99, e, 'epsilon', 0.0, z)  # prev < 0: final alpha = abar[0] (set_alpha_to_one false)
out['add_noise_t500'] = (np.sqrt(abar[500]) * x + np.sqrt(1 - abar[500]) * z).tolist()

# Euler, N = 10 leading: timesteps 901..1; sigma = sqrt((1 - abar) / abar)
ts = (np.arange(0, 10) * 100)[::-1] + 1
sig = np.sqrt((1 - abar[ts]) / abar[ts])
sig = np.append(sig, 0.0)
out['euler_sigmas_10'] = sig.tolist()
out['euler_init_sigma_leading'] = float(np.sqrt(sig.max() ** 2 + 1))
i = 3
D = x - sig[i] * e
d = (x - D) / sig[i]
out['euler_step3_eps'] = [(x + d * (sig[i + 1] - sig[i])).tolist(), D.tolist()]
Dv = e * (-sig[i] / np.sqrt(sig[i] ** 2 + 1)) + x / (sig[i] ** 2 + 1)
out['euler_step3_v'] = [(x + (x - Dv) / sig[i] * (sig[i + 1] - sig[i])).tolist(), Dv.tolist()]
out['euler_scale_input3'] = (x / np.sqrt(sig[3] ** 2 + 1)).tolist()
lts = np.linspace(0, T - 1, 4)[::-1]
out['euler_linspace_4_sigmas'] = np.interp(lts, np.arange(T), np.sqrt((1 - abar) / abar)).tolist()

# DPM-Solver++(2M), N = 10 leading, three steps then the last, model output eps_k = e * (1 + 0.1 k)
ts = out['dpm_leading_10']
al = np.sqrt(abar[ts])
sg = np.sqrt(1 - abar[ts])
lam = np.log(al / sg)
xs = x.copy()
prev_x0 = None
traj = []
for k in range(3):
    eps = e * (1 + 0.1 * k)
    x0 = (xs - sg[k] * eps) / al[k]
    h = lam[k + 1] - lam[k]
    if prev_x0 is None:
        Dk = x0
    else:
        r = (lam[k] - lam[k - 1]) / h
        Dk = (1 + 1 / (2 * r)) * x0 - 1 / (2 * r) * prev_x0
    xs = (sg[k + 1] / sg[k]) * xs - al[k + 1] * (np.exp(-h) - 1) * Dk
    prev_x0 = x0
    traj.append([xs.tolist(), x0.tolist()])
out['dpm_3_steps'] = traj
print(json.dumps(out, indent=None))
