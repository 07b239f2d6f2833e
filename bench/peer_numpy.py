#!/usr/bin/env python3
"""A third, independent implementation of cptsim's cost model, vectorized with NumPy in float32.

Usage: python3 bench/peer_numpy.py PLAN.json SAMPLES

PLAN.json is a cptsim Plan (src/plan/types.ts) serialized as JSON. Every input is drawn with
NumPy's own generator (Philox) and samplers, so the random streams differ from cptsim's: only the
distributions, not the draws, are shared. The model (docs/model.md, as read by both cptsim engines) is
evaluated for the plan's FIRST sweep cell, in chunks so that memory stays flat, and one JSON line
is printed:

  {"samples", "elapsed_s", "samples_per_s", "infeasible_fraction", "slo_miss_fraction",
   "quantiles": {metric: {"p10", "p50", "p90"}}, "mean": {metric: ...}, "quantile_samples",
   "quantiles_from"}

Means are over every feasible sample (float64 sums of float32 values). Quantiles come from
np.quantile over the feasible values of the first `quantile_samples` samples: all of them when
they fit in QUANTILE_VALUE_BUDGET values, otherwise a prefix (said in "quantiles_from").
The timer covers sampling, the model and aggregation, not the imports or reading the plan.
"""

import json
import math
import sys
import time

import numpy as np

CHUNK = 1 << 20
# float32 values kept for quantiles across all metrics (256 MiB), and at most 2^24 samples.
QUANTILE_VALUE_BUDGET = 1 << 26
QUANTILE_SAMPLE_CAP = 1 << 24
MAX_DRAFT_TOKENS = 8
HOURS_PER_YEAR = 8760.0
ACTIVATION_BYTES = 2.0  # bf16 activations in collectives
MAX_QUEUE_LOAD = 1.0 - 2.0 ** -20

F32 = np.float32

# Peter J. Acklam's rational approximation of the inverse normal CDF (relative error below
# 1.15e-9), coefficients as published in "An algorithm for computing the inverse normal
# cumulative distribution function" (2003).
_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
      1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
      6.680131188771972e01, -1.328068155288572e01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
      -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
      3.754408661907416e00)
_P_LOW = 0.02425


def _poly(coefficients, t):
    acc = np.zeros_like(t)
    for c in coefficients:
        acc = acc * t + c
    return acc


def normal_ppf(p):
    """Inverse standard normal CDF of float64 probabilities in (0, 1), vectorized."""
    p = np.asarray(p, dtype=np.float64)
    x = np.empty_like(p)
    low = p < _P_LOW
    high = p > 1 - _P_LOW
    mid = ~(low | high)
    q = p[mid] - 0.5
    r = q * q
    x[mid] = _poly(_A, r) * q / (_poly(_B, r) * r + 1)
    for mask, sign, tail in ((low, 1.0, p[low]), (high, -1.0, 1 - p[high])):
        t = np.sqrt(-2 * np.log(tail))
        x[mask] = sign * _poly(_C, t) / (_poly(_D, t) * t + 1)
    return x


def normal_cdf(z):
    return 0.5 * math.erfc(-z / math.sqrt(2)) if math.isfinite(z) else (1.0 if z > 0 else 0.0)


def draw(rng, dist, n):
    """n draws of a plan Dist (src/sampling/dist.ts) as float32, or a float32 scalar for a constant."""
    kind = dist["kind"]
    if kind == "const":
        return F32(dist["value"])
    if kind == "uniform":
        values = rng.uniform(dist["min"], dist["max"], n)
    elif kind == "normal":
        mean, sd = dist["mean"], dist["sd"]
        # JSON has no infinities: JSON.stringify writes an unbounded side as null.
        lo = -math.inf if dist.get("min") is None else float(dist["min"])
        hi = math.inf if dist.get("max") is None else float(dist["max"])
        if lo == -math.inf and hi == math.inf:
            values = rng.normal(mean, sd, n)
        else:
            # Truncation by inverse CDF: a uniform between the bounds' probabilities.
            p_lo, p_hi = normal_cdf((lo - mean) / sd), normal_cdf((hi - mean) / sd)
            u = rng.uniform(p_lo, p_hi, n)
            u = np.clip(u, np.nextafter(0.0, 1.0), np.nextafter(1.0, 0.0))
            values = np.clip(mean + sd * normal_ppf(u), lo, hi)
    elif kind == "lognormal":
        values = rng.lognormal(dist["mu"], dist["sigma"], n)
    elif kind == "triangular":
        lo, mode, hi = dist["min"], dist["mode"], dist["max"]
        if hi <= lo:
            return F32(lo)
        values = rng.triangular(lo, mode, hi, n)
    elif kind in ("pert", "beta"):
        lo, hi = dist["min"], dist["max"]
        if hi <= lo:
            return F32(lo)
        if kind == "pert":
            # Beta-PERT with shape weight 4 (src/sampling/dist.ts).
            a = 1 + 4 * (dist["mode"] - lo) / (hi - lo)
            b = 1 + 4 * (hi - dist["mode"]) / (hi - lo)
        else:
            a, b = dist["alpha"], dist["beta"]
        values = lo + (hi - lo) * rng.beta(a, b, n)
    elif kind == "discrete":
        weights = np.asarray(dist["weights"], dtype=np.float64)
        values = rng.choice(np.asarray(dist["values"], dtype=np.float64), size=n, p=weights / weights.sum())
    else:
        raise ValueError(f"unknown distribution kind {kind!r}")
    return values.astype(np.float32)


def crf(rate, years):
    """Capital recovery factor; 1/n where r is (numerically) zero."""
    safe = np.where(rate < F32(1e-6), F32(1), rate)
    return np.where(rate < F32(1e-6), F32(1) / years, safe / (F32(1) - np.power(F32(1) + safe, -years)))


def model(v, cfg, n):
    """The cost model on float32 arrays (or scalars) by input name; returns metrics, feasible, slo_miss."""
    u = v["utilization"]
    it_kw = v["it_power_kw_per_gpu"]
    pue = v["pue"]
    zero = F32(0)

    if cfg["pricing"] == 0:
        rate, life = v["cost_of_capital"], v["life_years"]
        capex = v["capex_usd_per_gpu"]
        if cfg["kvOffload"] == 1:
            capex = capex + v["offload_capacity_gb"] * v["offload_capex_usd_per_gb"]
        capital = capex * (F32(1) - v["residual_fraction"] * np.power(F32(1) + rate, -life)) * crf(rate, life) / F32(HOURS_PER_YEAR)
        maintenance = v["maintenance_fraction_per_year"] * capex / F32(HOURS_PER_YEAR)
        opex = v["opex_usd_per_gpu_year"] / F32(HOURS_PER_YEAR)
        idle = v["idle_power_fraction"]
        energy = it_kw * (idle + (F32(1) - idle) * u) * pue * v["power_price_usd_per_kwh"]
        if cfg["facility"] == 1:
            facility = it_kw * v["colocation_usd_per_kw_month"] * F32(12) / F32(HOURS_PER_YEAR)
        elif cfg["facility"] == 2:
            facility = it_kw * pue / F32(1000) * v["facility_capex_usd_per_mw"] * crf(rate, v["facility_life_years"]) / F32(HOURS_PER_YEAR)
        else:
            facility = zero
        cost = capital + maintenance + opex + energy + facility
        opex_share = maintenance + opex
    else:
        cost = v["cloud_usd_per_gpu_hour"]
        capital = energy = facility = zero
        opex_share = cost

    I, O = v["input_tokens"], v["output_tokens"]
    feasible = np.ones(n, dtype=bool)
    tpot = user_rate = ttft = batch = zero
    has_user_rate = has_ttft = True

    if cfg["throughput"] == 1:
        tokens_per_s = v["measured_output_tokens_per_s_per_gpu"]
        has_user_rate = cfg["measuredUserRate"] == 1
        has_ttft = cfg["measuredTtft"] == 1
        if has_user_rate:
            user_rate = v["measured_tokens_per_s_per_user"]
            tpot = F32(1000) / user_rate
        if has_ttft:
            ttft = v["measured_ttft_s"]
    else:
        one = F32(1)
        g = v["gpus_per_replica"]
        layers, heads, head_dim = v["layers"], v["heads"], v["head_dim"]
        p_total, p_active = v["params_total"], v["params_active"]
        bw = v["weight_bits"] / F32(8)
        bk = v["kv_bits"] / F32(8)
        experts, k_e = v["experts"], v["experts_per_token"]
        moe = experts > one

        # Parallel layout; 0 takes the engines' default.
        tp_given, dp_given, ep_given = v["tp"], v["dp_attention"], v["ep"]
        tp_default = g if cfg["attention"] == 0 else one
        tp = np.where(tp_given > 0, tp_given, np.where(dp_given > 0, g / np.where(dp_given > 0, dp_given, one), tp_default))
        dp = g / tp
        ep = np.where(moe, np.where(ep_given > 0, ep_given, g), one)

        if cfg["attention"] == 0:
            kv_heads = v["kv_heads"]
            kv_bytes = F32(2) * layers * kv_heads * head_dim * bk
            replication = np.maximum(one, tp / kv_heads)
            attn_flops_per_ctx = F32(4) * layers * heads * head_dim
        else:
            kv_bytes = layers * (v["kv_lora_rank"] + v["qk_rope_head_dim"]) * bk
            replication = tp
            attn_flops_per_ctx = F32(2) * layers * heads * (F32(2) * v["kv_lora_rank"] + v["qk_rope_head_dim"])

        safe_experts = np.where(moe, experts, F32(2))
        safe_k = np.where(moe, k_e, one)
        shared = np.where(moe, (safe_experts * p_active - safe_k * p_total) / (safe_experts - safe_k), p_total)
        per_expert = np.where(moe, (p_total - shared) / safe_experts, zero)
        log_keep = np.log1p(-safe_k / safe_experts)
        imbalance = np.where(moe, v["expert_imbalance"], one)

        # Memory per GPU.
        weight_gpu = bw * (shared / tp + (p_total - shared) / g)
        usable = v["hbm_gb"] * F32(1e9) * v["hbm_usable_fraction"]
        kv_token_gpu = kv_bytes * replication / tp
        batch_max = dp * np.floor((usable - weight_gpu) / ((I + O) * kv_token_gpu))
        feasible = np.broadcast_to(batch_max >= one, (n,))
        batch = np.minimum(v["batch_size"], np.where(batch_max >= one, batch_max, one))

        peak = v["peak_tflops"] * F32(1e12)
        attn_peak = v["attention_tflops"] * F32(1e12) if cfg["attentionPeak"] == 1 else peak
        ctx = I + O / F32(2)
        kv_read = (batch / dp) * ctx * kv_token_gpu
        bytes_per_s = v["hbm_tb_per_s"] * F32(1e12) * v["mbu_decode"]
        mfu_d = v["mfu_decode"]
        compute_per_token = (F32(2) * (shared + per_expert * safe_k * imbalance) / (g * peak * mfu_d)
                             + attn_flops_per_ctx * ctx / (g * attn_peak * mfu_d))
        overhead = v["step_overhead_ms"] / F32(1000) + v["host_overhead_us_per_seq"] * F32(1e-6) * batch / dp
        exposed = one - v["comm_overlap"]

        # Communication per step: fixed latencies plus seconds per token in flight.
        domain = v["scale_up_domain"]
        up = v["scale_up_gb_per_s"] * F32(1e9)
        out = v["scale_out_gb_per_s"] * F32(1e9)
        lat = v["collective_latency_us"] * F32(1e-6)
        act = v["hidden"] * F32(ACTIVATION_BYTES)
        with np.errstate(divide="ignore", invalid="ignore"):
            def ar_per_byte(r):
                link = np.where(r <= domain, up, out)
                return np.where(r > one, F32(2) * (r - one) / r / link, zero)

            tp_fixed = np.where(tp > one, lat, zero)
            tp_per_token = ar_per_byte(tp) * act / dp
            sl = g / ep
            inside = (np.minimum(ep, domain) - one) / ep
            outside = np.maximum(zero, ep - domain) / ep
            a2a = inside / up + np.where(outside > 0, outside / out, zero)
            moe_fixed = np.where(ep > one, F32(2) * lat, zero) + np.where(sl > one, lat, zero)
            moe_per_token = (np.where(ep > one, F32(2) * safe_k * act * imbalance * a2a / g, zero)
                             + ar_per_byte(sl) * act / ep)
        comm_fixed = layers * (tp_fixed + np.where(moe, moe_fixed, tp_fixed))
        comm_per_token = layers * (tp_per_token + np.where(moe, moe_per_token, tp_per_token))

        def step(tokens):
            touched = np.where(moe, safe_experts * (one - np.exp(tokens * log_keep)), zero)
            busiest = np.minimum(touched * imbalance, safe_experts)
            memory_s = (bw * shared / tp + bw * per_expert / g * busiest + kv_read) / bytes_per_s
            compute_s = compute_per_token * tokens
            return np.maximum(memory_s, compute_s) + exposed * (comm_fixed + comm_per_token * tokens) + overhead

        step_s = step(batch)
        cycle = step_s
        spec = one
        if cfg["speculative"] != 0:
            k = np.clip(np.floor(v["draft_tokens"]), 0, MAX_DRAFT_TOKENS)
            spec = np.ones(np.broadcast(k, step_s).shape, dtype=np.float32)
            p_all = np.ones_like(spec)
            for i in range(MAX_DRAFT_TOKENS):
                a = v["acceptance_rate"] if cfg["speculative"] == 1 else v[f"acceptance_p{i + 1}"]
                active = k > i
                p_all = np.where(active, p_all * a, p_all)
                spec = np.where(active, spec + p_all, spec)
            cycle = np.where(k > 0, step(batch * (k + one)) + k * v["draft_cost_ratio"] * step_s, step_s)

        # Prefill: prompt tokens neither in the GPU prefix cache nor in the offload tier.
        offload_hit = v["offload_hit_rate"] if cfg["kvOffload"] == 1 else zero
        computed = one - v["prefix_cache_hit_rate"] - offload_hit
        prefill_matrix = computed * F32(2) * p_active * I
        prefill_attention = computed * F32(2) * I * I * layers * heads * head_dim
        prefill_comm = exposed * (comm_fixed + comm_per_token * computed * I)
        offload_load = (offload_hit * I * kv_token_gpu / (v["offload_gb_per_s"] * F32(1e9))) if cfg["kvOffload"] == 1 else zero
        decode_s = O * cycle / (batch * spec)
        decode_token = cycle / spec
        if cfg["disaggregated"] == 1:
            pg = v["prefill_gpus"]
            mfu = v["disagg_mfu_prefill"]
            prefill = prefill_matrix / (pg * peak * mfu) + prefill_attention / (pg * attn_peak * mfu) + prefill_comm
            tokens_per_s = O / (pg * prefill + g * decode_s)
            load = u
            itl = decode_token
        else:
            mfu = v["mfu_prefill"]
            prefill = prefill_matrix / (g * peak * mfu) + prefill_attention / (g * attn_peak * mfu) + prefill_comm
            tokens_per_s = O / ((prefill + decode_s) * g)
            load = u * prefill / (prefill + decode_s)
            itl = decode_token + (batch - one) * prefill / O
        rho = np.minimum(load, F32(MAX_QUEUE_LOAD))
        ttft = prefill + offload_load + rho * prefill / (F32(2) * (one - rho))
        tpot = F32(1000) * itl
        user_rate = one / itl

    # Paid GPU-hours that deliver tokens: all of them at utilization u, or only the busy ones on demand.
    busy = v["autoscaling_efficiency"] if cfg["pricing"] == 1 and cfg.get("billing", 0) == 1 else u
    to_per_mtok = F32(1e6) / (tokens_per_s * busy * F32(3600))
    per_mtok = cost * to_per_mtok
    facility_kw = it_kw * pue
    metrics = {
        "cost_per_mtok_output": per_mtok,
        "cost_per_mtok_total": per_mtok * O / (I + O),
        "cost_per_mtok_capital": capital * to_per_mtok,
        "cost_per_mtok_energy": energy * to_per_mtok,
        "cost_per_mtok_facility": facility * to_per_mtok,
        "cost_per_mtok_opex": opex_share * to_per_mtok,
        "output_tokens_per_s_per_gpu": tokens_per_s,
        "output_tokens_per_s_per_mw": tokens_per_s * F32(1000) / facility_kw,
        "joules_per_output_token": facility_kw * F32(1000) / tokens_per_s,
        "cost_usd_per_gpu_hour": cost,
        "tpot_ms": tpot,
        "tokens_per_s_per_user": user_rate,
        "ttft_s": ttft,
        "batch_effective": batch,
    }
    miss = np.zeros(n, dtype=bool)
    if cfg["sloTokensPerSPerUser"] == 1 and has_user_rate:
        miss = miss | (user_rate < v["slo_min_tokens_per_s_per_user"])
    if cfg["sloTtft"] == 1 and has_ttft:
        miss = miss | (ttft > v["slo_max_ttft_s"])
    return metrics, feasible, np.broadcast_to(miss, (n,)) & feasible


def copula_of(plan, dists):
    """The plan's rank correlations (docs/model.md "Correlated inputs") among its random inputs of
    the first cell: their slots and a factor L of the normal correlation matrix (rho_n =
    2 sin(pi rho_s / 6)), or None."""
    random = {path: slot for slot, (path, dist) in dists.items() if dist["kind"] != "const"}
    pairs = [c for c in plan.get("correlations") or [] if c["between"][0] in random and c["between"][1] in random]
    if not pairs:
        return None
    slots = sorted({random[p] for c in pairs for p in c["between"]})
    index = {slot: k for k, slot in enumerate(slots)}
    r = np.eye(len(slots))
    for c in pairs:
        a, b = index[random[c["between"][0]]], index[random[c["between"][1]]]
        rank = c["rank"]
        r[a, b] = r[b, a] = rank if abs(rank) == 1 else 2 * math.sin(math.pi * rank / 6)
    # A factor that also serves a singular (rank 1) matrix: V sqrt(W) of its eigendecomposition.
    w, v = np.linalg.eigh(r)
    return slots, v * np.sqrt(np.clip(w, 0, None))


def apply_copula(rng, copula, values, names, n):
    """Reorders each correlated input's independent draws by the ranks of correlated normal scores
    Z = N L^T: the i-th smallest draw goes where the i-th smallest score is, which gives the
    Gaussian copula's joint law with the draws' own marginals (the engines instead transform
    Phi(Z) by the inverse CDFs; the law is the same, the draws differ)."""
    slots, factor = copula
    z = rng.standard_normal((n, len(slots))) @ factor.T
    for k, slot in enumerate(slots):
        column = np.broadcast_to(values[names[slot]], (n,))
        order = np.argsort(z[:, k], kind="stable")
        placed = np.empty_like(column)
        placed[order] = np.sort(column)
        values[names[slot]] = placed


def first_cell_dists(plan):
    """Each input's distribution in the first sweep cell: swept inputs at their first value."""
    dists = {}
    for inp in plan["inputs"]:
        axis = inp.get("sweepAxis")
        dist = inp["dist"] if axis is None else {"kind": "const", "value": plan["axes"][axis]["values"][0]}
        dists[inp["slot"]] = (inp["path"], dist)
    return dists


def slot_names(plan):
    """Model input names by slot. The plan carries paths; names follow src/model/slots.ts."""
    by_path = {
        "accelerator.peak_tflops": "peak_tflops", "accelerator.hbm_gb": "hbm_gb",
        "accelerator.hbm_tb_per_s": "hbm_tb_per_s", "accelerator.it_power_kw_per_gpu": "it_power_kw_per_gpu",
        "serving.disaggregated.prefill_gpus": "prefill_gpus",
        "serving.disaggregated.mfu_prefill": "disagg_mfu_prefill",
        "serving.slo.min_tokens_per_s_per_user": "slo_min_tokens_per_s_per_user",
        "serving.slo.max_ttft_s": "slo_max_ttft_s",
        "throughput.output_tokens_per_s_per_gpu": "measured_output_tokens_per_s_per_gpu",
        "throughput.tokens_per_s_per_user": "measured_tokens_per_s_per_user",
        "throughput.ttft_s": "measured_ttft_s",
        "serving.kv_offload.hit_rate": "offload_hit_rate",
        "serving.kv_offload.bandwidth_gb_per_s": "offload_gb_per_s",
        "serving.kv_offload.capacity_gb": "offload_capacity_gb",
        "serving.kv_offload.capex_usd_per_gb": "offload_capex_usd_per_gb",
    }
    names = {}
    for inp in plan["inputs"]:
        path = inp["path"]
        if path in by_path:
            names[inp["slot"]] = by_path[path]
        elif path.startswith("serving.speculative.acceptance_by_position["):
            names[inp["slot"]] = f"acceptance_p{int(path.split('[')[1].rstrip(']')) + 1}"
        else:
            names[inp["slot"]] = path.rsplit(".", 1)[1]
    return names


def main(argv):
    if len(argv) != 3:
        print("usage: python3 bench/peer_numpy.py PLAN.json SAMPLES", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        plan = json.load(f)
    total = int(float(argv[2]))
    cfg = plan["config"]
    metric_names = plan["metrics"]
    names = slot_names(plan)
    dists = first_cell_dists(plan)
    key = plan.get("key", [0, 0])
    rng = np.random.Generator(np.random.Philox(int(key[0]) + (int(key[1]) << 32)))
    copula = copula_of(plan, dists)

    quantile_samples = min(total, QUANTILE_SAMPLE_CAP, QUANTILE_VALUE_BUDGET // max(1, len(metric_names)))

    start = time.perf_counter()
    sums = {m: 0.0 for m in metric_names}
    kept = {m: [] for m in metric_names}
    feasible_count = 0
    miss_count = 0
    done = 0
    while done < total:
        n = min(CHUNK, total - done)
        values = {names[slot]: draw(rng, dist, n) for slot, (_, dist) in sorted(dists.items())}
        if copula is not None:
            apply_copula(rng, copula, values, names, n)
        metrics, feasible, miss = model(values, cfg, n)
        feasible_count += int(np.count_nonzero(feasible))
        miss_count += int(np.count_nonzero(miss))
        keep = max(0, min(n, quantile_samples - done))
        for m in metric_names:
            column = np.broadcast_to(np.asarray(metrics[m], dtype=np.float32), (n,))[feasible]
            sums[m] += float(column.sum(dtype=np.float64))
            if keep > 0:
                kept[m].append(np.broadcast_to(np.asarray(metrics[m], dtype=np.float32), (n,))[:keep][feasible[:keep]])
        done += n

    quantiles = {}
    for m in metric_names:
        values = np.concatenate(kept[m]) if kept[m] else np.empty(0, dtype=np.float32)
        if values.size:
            p10, p50, p90 = np.quantile(values, [0.1, 0.5, 0.9])
            quantiles[m] = {"p10": float(p10), "p50": float(p50), "p90": float(p90)}
        else:
            quantiles[m] = {"p10": None, "p50": None, "p90": None}
    mean = {m: (sums[m] / feasible_count if feasible_count else None) for m in metric_names}
    elapsed = time.perf_counter() - start

    print(json.dumps({
        "samples": total,
        "elapsed_s": elapsed,
        "samples_per_s": total / elapsed if elapsed > 0 else None,
        "infeasible_fraction": (total - feasible_count) / total if total else 0.0,
        "slo_miss_fraction": miss_count / total if total else 0.0,
        "quantiles": quantiles,
        "mean": mean,
        "quantile_samples": quantile_samples,
        "quantiles_from": "all samples" if quantile_samples == total else f"the first {quantile_samples} samples",
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
