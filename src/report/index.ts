export { fmt, pct, table, csvField } from './format.js';
export { formatRunTable, formatRunJson, formatRunCsv, runHeader, type TableOptions } from './run.js';
export { formatExplainTable, formatExplainJson } from './explain.js';
export { formatSensitivityJson, formatTornadoTable, formatSobolTable, formatRankTable } from './sensitivity.js';
export { formatSweepMatrix } from './matrix.js';
export { formatValidation } from './validate.js';
export { formatFidelityTable, formatFidelityJson } from './fidelity.js';
export { formatCompareJson, formatCompareTable } from './compare.js';
export { formatBreakevenJson, formatBreakevenText } from './breakeven.js';
