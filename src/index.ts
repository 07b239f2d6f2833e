/**
 * cptsim as a library: load a scenario, build its plan, run it on an engine, report.
 *
 *   const plan = buildPlan(await loadScenario('scenarios/h100-llama70b-fp8-owned.yaml'));
 *   const engine = await createEngine({ backend: 'auto' });
 *   const { result } = await simulate(plan, engine);
 *   await engine.dispose();
 */
export * from './errors.js';
export * from './scenario/index.js';
export * from './plan/index.js';
export * from './sampling/index.js';
export * from './model/index.js';
export * from './engine/index.js';
export * from './aggregate/index.js';
export * from './analysis/index.js';
export * from './report/index.js';
export { packageRoot, packageVersion, flagshipScenario } from './paths.js';
