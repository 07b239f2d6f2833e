export { fmt, pct, table, csvField } from './format.js';
export { formatRunTable, formatRunJson, formatRunCsv, nonFiniteWarnings, runHeader, type TableOptions } from './run.js';
export { formatExplainTable, formatExplainJson } from './explain.js';
export { formatSensitivityJson, formatTornadoTable, formatSobolTable, formatRankTable } from './sensitivity.js';
export { formatSweepMatrix } from './matrix.js';
