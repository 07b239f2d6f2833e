/**
 * The second pass: catalog entries and defaults filled in, the configuration chosen, each mode's
 * required inputs present and nothing given that the mode would ignore, every range checked.
 */

import { intermediatesFor, MAX_DRAFT_TOKENS, metricsFor, SLOT_DEFS, type ModelConfig, type SlotName } from '../model/index.js';
import type { Attention, Catalog, CatalogEntry, CatalogKind } from './catalog.js';
import { loadCatalog } from './catalog.js';
import { CUSTOM_MODEL_CONFIG, isCustomModel, resolveCustom, resolveSampling } from './custom.js';
import { resolveCorrelations } from './correlations.js';
import { resolveFleet } from './fleet.js';
import type { Precision } from './defaults.js';
import { CLOUD_DEFAULT_PUE, DEFAULTS, DEFAULT_ATTENTION_COMPUTE, DEFAULT_COMPUTE, PRECISIONS } from './defaults.js';
import type { Issues } from './issues.js';
import { constantOf, supportOf } from './numeric.js';
import { RANGES, checkRange } from './ranges.js';
import type { RawScenario } from './schema.js';
import { DEFAULT_SAMPLES } from './schema.js';
import { didYouMean } from '../suggest.js';
import type { Scenario, ScenarioInput } from './types.js';

export interface ScenarioOptions {
  /** Catalog to resolve `catalog:` references against (default: the package's scenarios/catalog). */
  catalog?: Catalog;
  /** Folder holding accelerators.yaml and models.yaml, when `catalog` is not given. */
  catalogDir?: string;
}

export const DEFAULT_SEED = 'cptsim';

const SLOT_PATH = new Map<SlotName, string>(SLOT_DEFS.map((d) => [d.name, d.path]));
const ACCEPTANCE_SLOTS = Array.from({ length: MAX_DRAFT_TOKENS }, (_, i) => `acceptance_p${i + 1}` as SlotName);

const ROOFLINE_ONLY_SECTIONS = [
  'model.', 'accelerator.peak_tflops', 'accelerator.hbm_', 'accelerator.attention_tflops', 'accelerator.scale_',
  'accelerator.collective_latency_us', 'workload.prefix_cache_hit_rate',
];
const INTERCONNECT_SLOTS: SlotName[] = ['scale_up_gb_per_s', 'scale_up_domain', 'scale_out_gb_per_s', 'collective_latency_us'];
const OFFLOAD_COST_SLOTS: SlotName[] = ['offload_capacity_gb', 'offload_capex_usd_per_gb'];
const MEASURED_SLOTS: SlotName[] = ['measured_output_tokens_per_s_per_gpu', 'measured_tokens_per_s_per_user', 'measured_ttft_s'];
const OWNED_SLOTS: SlotName[] = [
  'capex_usd_per_gpu', 'life_years', 'cost_of_capital', 'residual_fraction', 'maintenance_fraction_per_year',
  'opex_usd_per_gpu_year', 'colocation_usd_per_kw_month', 'facility_capex_usd_per_mw', 'facility_life_years',
  'power_price_usd_per_kwh', 'idle_power_fraction',
];

/** The slots a configuration reads, in SLOT_DEFS order. */
function usedSlots(config: ModelConfig, moe: boolean, acceptanceCount: number, multiGpu: boolean): Set<SlotName> {
  const used = new Set<SlotName>(['it_power_kw_per_gpu', 'input_tokens', 'output_tokens', 'utilization', 'pue']);
  if (config.throughput === 0) {
    used.add('peak_tflops').add('hbm_gb').add('hbm_tb_per_s');
    for (const s of ['params_total', 'params_active', 'layers', 'heads', 'head_dim', 'weight_bits', 'kv_bits'] as const) used.add(s);
    if (config.attention === 0) used.add('kv_heads');
    else used.add('kv_lora_rank').add('qk_rope_head_dim');
    if (moe) used.add('experts').add('experts_per_token');
    used.add('prefix_cache_hit_rate');
    for (const s of ['gpus_per_replica', 'batch_size', 'mfu_prefill', 'mfu_decode', 'mbu_decode', 'step_overhead_ms', 'host_overhead_us_per_seq', 'hbm_usable_fraction'] as const) used.add(s);
    if (config.speculative !== 0) used.add('draft_tokens').add('draft_cost_ratio');
    if (config.speculative === 1) used.add('acceptance_rate');
    if (config.speculative === 2) ACCEPTANCE_SLOTS.slice(0, acceptanceCount).forEach((s) => used.add(s));
    if (config.disaggregated === 1) used.add('prefill_gpus').add('disagg_mfu_prefill');
    if (config.attentionPeak === 1) used.add('attention_tflops');
    used.add('tp').add('dp_attention');
    if (moe) used.add('ep').add('expert_imbalance');
    // Collectives exist only between GPUs.
    if (multiGpu) {
      used.add('hidden').add('comm_overlap');
      INTERCONNECT_SLOTS.forEach((s) => used.add(s));
    }
    if (config.kvOffload === 1) {
      used.add('offload_hit_rate').add('offload_gb_per_s');
      if (config.pricing === 0) OFFLOAD_COST_SLOTS.forEach((s) => used.add(s));
    }
  } else {
    used.add('measured_output_tokens_per_s_per_gpu');
    if (config.measuredUserRate === 1) used.add('measured_tokens_per_s_per_user');
    if (config.measuredTtft === 1) used.add('measured_ttft_s');
  }
  if (config.sloTokensPerSPerUser === 1) used.add('slo_min_tokens_per_s_per_user');
  if (config.sloTtft === 1) used.add('slo_max_ttft_s');
  if (config.pricing === 0) {
    for (const s of ['capex_usd_per_gpu', 'life_years', 'cost_of_capital', 'residual_fraction', 'maintenance_fraction_per_year', 'opex_usd_per_gpu_year', 'power_price_usd_per_kwh', 'idle_power_fraction'] as const) used.add(s);
    if (config.facility === 1) used.add('colocation_usd_per_kw_month');
    if (config.facility === 2) used.add('facility_capex_usd_per_mw').add('facility_life_years');
  } else {
    used.add('cloud_usd_per_gpu_hour');
    if (config.billing === 1) used.add('autoscaling_efficiency');
  }
  return used;
}

/** Why a slot given in the file is not read under this configuration. */
function whyUnused(slot: SlotName, config: ModelConfig, attention: Attention): string {
  const path = SLOT_PATH.get(slot)!;
  if (MEASURED_SLOTS.includes(slot)) return 'is only used with throughput.mode: measured';
  const rooflineOnly =
    ROOFLINE_ONLY_SECTIONS.some((p) => path.startsWith(p)) ||
    (path.startsWith('serving.') && !path.startsWith('serving.slo.') && slot !== 'utilization');
  if (config.throughput === 1 && rooflineOnly) {
    return 'is not used with throughput.mode: measured (the throughput equations do not run); remove it';
  }
  if (slot === 'cloud_usd_per_gpu_hour') return 'is only used with costs.pricing: cloud';
  if (slot === 'autoscaling_efficiency') return 'is only used with costs.billing: on_demand (reserved capacity is paid for every hour)';
  if (config.pricing === 1 && OWNED_SLOTS.includes(slot)) return 'is not used with costs.pricing: cloud (the hourly price covers it); remove it';
  if (slot === 'kv_heads') return `is not used with ${attention} attention (the KV cache is the latent of kv_lora_rank + qk_rope_head_dim)`;
  if (slot === 'kv_lora_rank' || slot === 'qk_rope_head_dim') return `is only used with mla attention (this model has ${attention})`;
  if (slot === 'experts_per_token') return 'needs model.experts (a mixture-of-experts model)';
  if (slot === 'facility_life_years') return 'is only used with costs.facility_capex_usd_per_mw';
  if (slot === 'acceptance_rate' || slot === 'draft_tokens' || slot === 'draft_cost_ratio') return 'needs serving.speculative';
  if (slot.startsWith('acceptance_p')) return 'is beyond the acceptance_by_position list';
  if (slot === 'attention_tflops') return 'is only used when model.attention_compute differs from model.compute';
  if (slot === 'ep' || slot === 'expert_imbalance') return 'needs model.experts (a mixture-of-experts model)';
  if (INTERCONNECT_SLOTS.includes(slot) || slot === 'hidden' || slot === 'comm_overlap') {
    return 'is only used when a replica has more than one GPU (serving.gpus_per_replica > 1): one GPU has no collectives';
  }
  if (OFFLOAD_COST_SLOTS.includes(slot)) {
    return config.pricing === 1 ? 'is not used with costs.pricing: cloud (the hourly price covers the host memory)' : 'needs serving.kv_offload';
  }
  if (slot.startsWith('offload_')) return 'needs serving.kv_offload';
  return 'is not used by this scenario';
}

/** Why a slot is required, for the "is required" message. */
function whyRequired(slot: SlotName, config: ModelConfig): string {
  const path = SLOT_PATH.get(slot)!;
  if (path.startsWith('costs.')) return config.pricing === 0 ? 'with costs.pricing: owned' : 'with costs.pricing: cloud';
  if (path.startsWith('throughput.')) return 'with throughput.mode: measured';
  if (path.startsWith('accelerator.')) return '(give it here, or name an entry with accelerator.catalog)';
  if (path.startsWith('model.')) return 'for roofline throughput (give it here, or name an entry with model.catalog)';
  if (path.startsWith('serving.kv_offload.')) return 'with serving.kv_offload';
  return config.throughput === 0 ? 'for roofline throughput' : '';
}

/** Where a scenario names an entry of each catalog. */
const CATALOG_FIELD: Record<CatalogKind, string> = { accelerator: 'accelerator.catalog', model: 'model.catalog', engine: 'serving.engine' };
/**
 * The section whose missing fields a failed lookup excuses (they would have come from the entry):
 * an engine's fields all have defaults, so there is nothing to excuse.
 */
const EXCUSED_BY_LOOKUP: Record<CatalogKind, string | null> = { accelerator: 'accelerator', model: 'model', engine: null };

function lookup(
  kind: CatalogKind,
  id: { value: string; line: number | undefined } | undefined,
  entries: Map<string, CatalogEntry> | undefined,
  issues: Issues,
  raw: RawScenario,
): CatalogEntry | undefined {
  if (!id || !entries) return undefined;
  const entry = entries.get(id.value);
  if (entry) return entry;
  const known = [...entries.keys()];
  issues.add(CATALOG_FIELD[kind], `unknown ${kind} \`${id.value}\`${didYouMean(id.value, known)} (known: ${known.join(', ') || 'none'})`, id.line);
  const excused = EXCUSED_BY_LOOKUP[kind];
  if (excused) raw.broken.add(excused);
  return undefined;
}

/** What a scenario says about its model: the cost model's configuration, or a model of the user's own. */
type ModelParts = Pick<Scenario, 'accelerator' | 'model' | 'throughputMode' | 'pricing' | 'config' | 'inputs' | 'costModel' | 'custom'>;

export function resolveScenario(raw: RawScenario, file: string, issues: Issues, options: ScenarioOptions): Scenario | undefined {
  const str = (p: string): string | undefined => raw.strings.get(p)?.value;
  const isBroken = (p: string): boolean => [...raw.broken].some((b) => p === b || p.startsWith(`${b}.`) || p.startsWith(`${b}[`));

  const name = str('name');
  if (name === undefined && !isBroken('name')) issues.add('name', 'is required: a short title for the scenario');
  const samples = raw.samples ?? DEFAULT_SAMPLES;
  const sampling = resolveSampling(raw, isBroken('samples') ? 1 : samples, issues);
  /** The scenario of a model's own parts: the parts every scenario shares are read here, once. */
  const scenario = (model: ModelParts, builtInMetrics: readonly string[]): Scenario => ({
    file,
    name: name ?? '',
    description: str('description'),
    seed: raw.seed ?? DEFAULT_SEED,
    samples,
    ...model,
    sampling,
    probabilityBelow: resolveProbabilityBelow(raw, [...builtInMetrics, ...model.custom.metrics.map((m) => m.name)], issues),
    correlations: resolveCorrelations(raw, model.inputs, model.custom, issues),
  });
  if (isCustomModel(raw)) {
    // A model of the user's own: its inputs and metrics, and nothing of the cost model.
    if (!raw.sections.has('metrics') && !isBroken('metrics')) {
      issues.add('metrics', 'is required: a model of your own needs at least one metric expression over its inputs');
    }
    return scenario(
      {
        accelerator: { catalog: undefined, name: undefined },
        model: { catalog: undefined, name: undefined, compute: DEFAULT_COMPUTE, attention: 'gqa' },
        throughputMode: 'roofline',
        pricing: 'owned',
        config: { ...CUSTOM_MODEL_CONFIG },
        inputs: {},
        costModel: false,
        custom: resolveCustom(raw, [], issues),
      },
      [],
    );
  }
  if (!raw.sections.has('costs')) {
    if (!isBroken('costs')) {
      issues.add(
        'costs',
        'is required: how the GPUs are paid for (costs.pricing: owned or cloud, and its prices); a model of your own (inputs: and metrics:) has no other sections',
      );
    }
    return undefined;
  }
  const pricingName = str('costs.pricing');
  if (pricingName === undefined) {
    if (!isBroken('costs.pricing')) issues.add('costs.pricing', 'is required: owned or cloud', raw.sections.get('costs'));
    return undefined;
  }
  const throughputMode = (str('throughput.mode') ?? 'roofline') as 'roofline' | 'measured';
  const pricing = pricingName as 'owned' | 'cloud';

  // Catalogs are read only when the file names an entry.
  const accId = raw.strings.get('accelerator.catalog');
  const modelId = raw.strings.get('model.catalog');
  const engineId = raw.strings.get('serving.engine');
  const catalog = accId || modelId || engineId ? (options.catalog ?? loadCatalog(options.catalogDir)) : undefined;
  const accEntry = lookup('accelerator', accId, catalog?.accelerators, issues, raw);
  const modelEntry = lookup('model', modelId, catalog?.models, issues, raw);
  const engineEntry = lookup('engine', engineId, catalog?.engines, issues, raw);

  const compute = (str('model.compute') ?? DEFAULT_COMPUTE) as Precision;
  const attentionCompute = (str('model.attention_compute') ?? DEFAULT_ATTENTION_COMPUTE) as Precision;
  // Without a catalog entry saying otherwise, a model is GQA (which includes plain multi-head
  // attention, kv_heads = heads): by far the most common layout.
  const attention = (str('model.attention') ?? modelEntry?.attention ?? 'gqa') as Attention;

  // --- configuration ---
  const has = (p: string): boolean => raw.numbers.has(p) || isBroken(p);
  const speculativeGiven = raw.sections.has('serving.speculative');
  const listPath = 'serving.speculative.acceptance_by_position';
  const list = raw.lists.get(listPath);
  const rateGiven = has('serving.speculative.acceptance_rate');
  if (speculativeGiven && rateGiven && (list || isBroken(listPath))) {
    issues.add('serving.speculative', 'give either acceptance_rate or acceptance_by_position, not both', raw.sections.get('serving.speculative'));
  } else if (speculativeGiven && !rateGiven && !list && !isBroken(listPath)) {
    issues.add('serving.speculative', 'needs acceptance_rate (one rate for every position) or acceptance_by_position (a list)', raw.sections.get('serving.speculative'));
  }
  const colocation = has('costs.colocation_usd_per_kw_month');
  const facilityCapex = has('costs.facility_capex_usd_per_mw');
  if (colocation && facilityCapex) {
    issues.add('costs', 'give either colocation_usd_per_kw_month (rented space) or facility_capex_usd_per_mw (an owned facility), not both', raw.sections.get('costs'));
  }
  const sloGiven = raw.sections.has('serving.slo');
  const sloRate = has('serving.slo.min_tokens_per_s_per_user');
  const sloTtft = has('serving.slo.max_ttft_s');
  if (sloGiven && !sloRate && !sloTtft) issues.add('serving.slo', 'needs min_tokens_per_s_per_user or max_ttft_s', raw.sections.get('serving.slo'));

  const measured = throughputMode === 'measured';
  const config: ModelConfig = {
    throughput: measured ? 1 : 0,
    pricing: pricing === 'owned' ? 0 : 1,
    attention: attention === 'gqa' ? 0 : 1,
    facility: colocation ? 1 : facilityCapex ? 2 : 0,
    speculative: !speculativeGiven ? 0 : list ? 2 : 1,
    disaggregated: raw.sections.has('serving.disaggregated') ? 1 : 0,
    sloTokensPerSPerUser: sloRate ? 1 : 0,
    sloTtft: sloTtft ? 1 : 0,
    measuredUserRate: measured && has('throughput.tokens_per_s_per_user') ? 1 : 0,
    measuredTtft: measured && has('throughput.ttft_s') ? 1 : 0,
    attentionPeak: !measured && attentionCompute !== compute ? 1 : 0,
    kvOffload: !measured && raw.sections.has('serving.kv_offload') ? 1 : 0,
    // Billing is a choice of cloud pricing only; owned GPUs are paid for every hour (0).
    billing: pricing === 'cloud' && str('costs.billing') === 'on_demand' ? 1 : 0,
  };
  if (pricing === 'owned' && raw.strings.has('costs.billing')) {
    issues.add('costs.billing', 'is only used with costs.pricing: cloud (owned GPUs are paid for every hour)', raw.strings.get('costs.billing')!.line);
  }
  if (measured) {
    if (sloRate && !config.measuredUserRate) {
      issues.add('serving.slo.min_tokens_per_s_per_user', 'in measured mode this check needs throughput.tokens_per_s_per_user (the measured per-user rate)');
    }
    if (sloTtft && !config.measuredTtft) issues.add('serving.slo.max_ttft_s', 'in measured mode this check needs throughput.ttft_s (the measured time to first token)');
    for (const p of ['model.compute', 'model.attention', 'model.attention_compute', 'serving.engine']) {
      const s = raw.strings.get(p);
      if (s) issues.add(p, 'is not used with throughput.mode: measured (the throughput equations do not run); remove it', s.line);
    }
  }

  // --- where each slot's value comes from ---
  const filePathOf = (slot: SlotName): string =>
    slot === 'peak_tflops'
      ? `accelerator.peak_tflops.${compute}`
      : slot === 'attention_tflops' && !raw.numbers.has('accelerator.attention_tflops')
        ? `accelerator.peak_tflops.${attentionCompute}`
        : SLOT_PATH.get(slot)!;
  const fromCatalog = (slot: SlotName): ScenarioInput | undefined => {
    const path = SLOT_PATH.get(slot)!;
    let entry: CatalogEntry | undefined;
    let key: string | undefined;
    if (slot === 'peak_tflops') [entry, key] = [accEntry, `peak_tflops.${compute}`];
    else if (slot === 'attention_tflops') [entry, key] = [accEntry, `peak_tflops.${attentionCompute}`];
    else if (slot === 'capex_usd_per_gpu') [entry, key] = [accEntry, 'capex_usd_per_gpu'];
    else if (path.startsWith('accelerator.')) [entry, key] = [accEntry, path.slice('accelerator.'.length)];
    else if (path.startsWith('model.')) [entry, key] = [modelEntry, path.slice('model.'.length)];
    else if (path.startsWith('serving.')) [entry, key] = [engineEntry, path.slice('serving.'.length)];
    const v = entry && key ? entry.numbers.get(key) : undefined;
    return v && entry && key ? { value: v, source: 'catalog', origin: `${entry.id}.${key}`, order: null } : undefined;
  };
  const fromFile = (slot: SlotName): ScenarioInput | undefined => {
    const p = filePathOf(slot);
    const n = raw.numbers.get(p);
    return n ? { value: n.value, source: 'scenario', origin: p, order: n.order } : undefined;
  };
  const constant = (value: number, origin: string, source: 'scenario' | 'default'): ScenarioInput => ({
    value: { spec: { kind: 'dist', dist: { kind: 'const', value } }, where: origin, line: undefined },
    source,
    origin,
    order: null,
  });

  const moe = (fromFile('experts') ?? fromCatalog('experts')) !== undefined;
  const acceptanceCount = list?.length ?? 0;
  const gpusGiven = fromFile('gpus_per_replica');
  const multiGpu = gpusGiven === undefined || possibleValues(gpusGiven.value.spec).some((g) => g > 1);
  const used = usedSlots(config, moe, acceptanceCount, multiGpu);

  // Given in the file but not read under this configuration: an error, never silence.
  const slotByFilePath = new Map<string, SlotName>(SLOT_DEFS.map((d) => [filePathOf(d.name), d.name]));
  for (const [path, { value }] of raw.numbers) {
    const slot = slotByFilePath.get(path);
    if (slot && !used.has(slot)) issues.add(path, whyUnused(slot, config, attention), value.line);
    if (slot === undefined && path.startsWith('accelerator.peak_tflops.')) {
      if (measured) issues.add(path, whyUnused('peak_tflops', config, attention), value.line);
      else if (value.spec.kind === 'sweep') issues.add(path, `a sweep here does nothing: the model computes in ${compute} (model.compute) and attention in ${attentionCompute} (model.attention_compute)`, value.line);
      else checkRange(path, value, RANGES.peak_tflops, issues);
    }
    if (path === 'accelerator.tdp_w') checkRange(path, value, RANGES.tdp_w, issues);
  }

  const inputs: Partial<Record<SlotName, ScenarioInput>> = {};
  for (const { name: slot } of SLOT_DEFS) {
    if (!used.has(slot)) continue;
    const path = filePathOf(slot);
    let input: ScenarioInput | undefined;
    if (slot === 'draft_tokens' && config.speculative === 2) {
      // With a per-position list the number of draft tokens is the list's length.
      const given = fromFile('draft_tokens');
      if (given && constantOf(given.value.spec) !== acceptanceCount) {
        issues.add(path, `must equal the length of acceptance_by_position (${acceptanceCount}) when that list is given; leave it out`, given.value.line);
      }
      input = constant(acceptanceCount, listPath, 'scenario');
    } else if (slot.startsWith('acceptance_p')) {
      input = fromFile(slot);
    } else {
      input = fromFile(slot) ?? fromCatalog(slot);
    }
    if (!input && slot === 'kv_bits') {
      const wb = inputs.weight_bits;
      const bits = wb ? constantOf(wb.value.spec) : undefined;
      if (bits !== undefined) input = constant(bits, path, 'default');
      else if (wb) issues.add(path, 'is required when model.weight_bits is not a plain number (it otherwise defaults to the weight bits)');
    }
    if (!input && slot === 'pue' && config.pricing === 1) input = constant(CLOUD_DEFAULT_PUE, path, 'default');
    if (!input && (slot === 'tp' || slot === 'ep' || slot === 'dp_attention')) {
      input = constant(layoutDefault(slot, inputs.gpus_per_replica, fromFile('tp') !== undefined, fromFile('dp_attention') !== undefined, config.attention), path, 'default');
    }
    if (!input && DEFAULTS[slot] !== undefined) input = constant(DEFAULTS[slot], path, 'default');
    if (!input) {
      if (slot === 'peak_tflops' && accEntry && !isBroken(path)) {
        const have = PRECISIONS.filter((p) => accEntry.numbers.has(`peak_tflops.${p}`) || raw.numbers.has(`accelerator.peak_tflops.${p}`));
        issues.add('model.compute', `${accEntry.id} has no ${compute} peak in the catalog; use ${have.join(' or ') || 'another precision'}, or give accelerator.peak_tflops.${compute}`, raw.strings.get('model.compute')?.line);
      } else if (slot !== 'kv_bits' && !isBroken(path) && !(slot.startsWith('acceptance_p') && isBroken(listPath))) {
        issues.add(path, `is required ${whyRequired(slot, config)}`.trimEnd());
      }
      continue;
    }
    if (input.source === 'scenario') checkRange(path, input.value, RANGES[slot], issues);
    inputs[slot] = input;
  }

  crossChecks(inputs, issues);
  if (config.throughput === 0) checkLayout(inputs, issues);
  // Expressions may read the inputs this configuration uses, its metrics and its intermediates.
  const known = [...Object.keys(inputs), ...metricsFor(config), ...intermediatesFor(config)];
  const own = resolveCustom(raw, known, issues);
  // Fleet sizing adds inputs and metrics of its own after the scenario's (src/scenario/fleet.ts).
  const fleet = resolveFleet(raw, config, known, new Set([...raw.customInputs.keys(), ...raw.customMetrics.keys()]), issues);
  const custom = { inputs: [...own.inputs, ...fleet.inputs], metrics: [...own.metrics, ...fleet.metrics] };

  return scenario(
    {
      accelerator: { catalog: accEntry?.id, name: str('accelerator.name') ?? accEntry?.name },
      model: { catalog: modelEntry?.id, name: str('model.name') ?? modelEntry?.name, compute, attention },
      throughputMode,
      pricing,
      config,
      inputs,
      costModel: true,
      custom,
    },
    metricsFor(config),
  );
}

/** `probability_below:`: each key one of the scenario's metrics. */
function resolveProbabilityBelow(raw: RawScenario, metrics: readonly string[], issues: Issues): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [name, { values, line }] of raw.probabilityBelow) {
    if (!metrics.includes(name)) {
      issues.add(`probability_below.${name}`, `unknown metric${didYouMean(name, metrics)} (this scenario's metrics: ${metrics.join(', ')})`, line);
    } else out[name] = [...values];
  }
  return out;
}

/** Relations between fields that every draw must satisfy. */
function crossChecks(inputs: Partial<Record<SlotName, ScenarioInput>>, issues: Issues): void {
  const sup = (s: SlotName) => {
    const i = inputs[s];
    return i ? supportOf(i.value.spec) : undefined;
  };
  const where = (s: SlotName): string => inputs[s]!.origin;
  const total = sup('params_total');
  const active = sup('params_active');
  if (total && active && active.hi > total.lo) {
    issues.add(where('params_active'), `every draw must be at most params_total (${total.lo}), got up to ${active.hi}`, inputs.params_active!.value.line);
  }
  const hitRate = sup('prefix_cache_hit_rate');
  const offloadHit = sup('offload_hit_rate');
  if (hitRate && offloadHit && hitRate.hi + offloadHit.hi > 1) {
    issues.add(where('offload_hit_rate'), `with workload.prefix_cache_hit_rate up to ${hitRate.hi}, at most ${1 - hitRate.hi} of a prompt can be found in the offload tier, got up to ${offloadHit.hi}`, inputs.offload_hit_rate!.value.line);
  }
  const experts = sup('experts');
  const perToken = sup('experts_per_token');
  if (experts && perToken && experts.hi > 1) {
    if (perToken.hi >= experts.lo) {
      issues.add(where('experts_per_token'), `must be below model.experts (${experts.lo}), got up to ${perToken.hi}`, inputs.experts_per_token!.value.line);
    } else if (total && active && total.lo === total.hi && active.lo === active.hi && experts.lo === experts.hi && perToken.lo === perToken.hi) {
      // shared_params = (E*active - k*total)/(E - k) (docs/model.md "Memory") must not be negative.
      if (experts.lo * active.lo < perToken.lo * total.lo) {
        issues.add(where('params_active'), `with ${experts.lo} experts and ${perToken.lo} per token, params_active must be at least ${perToken.lo}/${experts.lo} of params_total (${(perToken.lo / experts.lo) * total.lo}), else the shared parameters come out negative`, inputs.params_active!.value.line);
      }
    }
  }
}

/** Every value a numeric spec can take when that is a finite list (a constant or a sweep); [] otherwise. */
function possibleValues(spec: ScenarioInput['value']['spec']): number[] {
  if (spec.kind === 'sweep') return [...spec.values];
  const c = constantOf(spec);
  return c === undefined ? [] : [c];
}

/**
 * The engines' default layout (docs/model.md "Parallelism") written as plain numbers when the
 * replica size is one; 0 (decided per sample by the model) when it is swept or uncertain.
 */
function layoutDefault(
  slot: 'tp' | 'ep' | 'dp_attention',
  gpusInput: ScenarioInput | undefined,
  tpGiven: boolean,
  dpGiven: boolean,
  attention: 0 | 1,
): number {
  const g = gpusInput ? constantOf(gpusInput.value.spec) : undefined;
  if (g === undefined || tpGiven || dpGiven) return 0;
  if (slot === 'ep') return g;
  if (slot === 'tp') return attention === 0 ? g : 1;
  return attention === 0 ? 1 : g;
}

/** The layout must divide the replica: tp * dp_attention = gpus_per_replica, ep divides it. */
function checkLayout(inputs: Partial<Record<SlotName, ScenarioInput>>, issues: Issues): void {
  const g = inputs.gpus_per_replica;
  if (!g) return;
  const gValues = possibleValues(g.value.spec);
  for (const slot of ['tp', 'ep', 'dp_attention'] as const) {
    const input = inputs[slot];
    if (!input || input.source !== 'scenario') continue;
    const values = possibleValues(input.value.spec);
    if (values.length === 0) {
      issues.add(input.origin, 'expected a plain number or a sweep of whole numbers (a layout is not drawn at random)', input.value.line);
      continue;
    }
    for (const v of values) {
      if (!Number.isInteger(v)) {
        issues.add(input.origin, `expected a whole number of GPUs, got ${v}`, input.value.line);
        break;
      }
      const bad = gValues.find((gv) => gv % v !== 0);
      if (bad !== undefined) {
        issues.add(input.origin, `${v} does not divide serving.gpus_per_replica (${bad}): a replica's GPUs split into ${slot === 'ep' ? 'expert-parallel groups' : slot === 'tp' ? 'tensor-parallel groups' : 'data-parallel attention ranks'} of equal size`, input.value.line);
        break;
      }
    }
  }
  const tp = inputs.tp?.source === 'scenario' ? constantOf(inputs.tp.value.spec) : undefined;
  const dp = inputs.dp_attention?.source === 'scenario' ? constantOf(inputs.dp_attention.value.spec) : undefined;
  const gc = constantOf(g.value.spec);
  if (tp !== undefined && dp !== undefined && gc !== undefined && tp * dp !== gc) {
    issues.add(inputs.dp_attention!.origin, `tp (${tp}) times dp_attention (${dp}) must equal serving.gpus_per_replica (${gc}); give one of them`, inputs.dp_attention!.value.line);
  }
}
