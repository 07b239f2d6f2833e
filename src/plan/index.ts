export type { Plan, PlanCustom, PlanInput, SweepAxis } from './types.js';
export { cellCount, cellIndices, cellPoint, cellDists } from './cells.js';
export type { PlanOverrides } from './build.js';
export { buildPlan } from './build.js';
export { planCopula } from './copula.js';
export { customLayout, builtInMetricIds, type CustomLayout } from './custom.js';
export { selectMetrics } from './metrics.js';
