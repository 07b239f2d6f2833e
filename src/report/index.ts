export { fmt, pct, table, csvField } from './format.js';
export { formatRunTable, formatRunJson, formatRunCsv, nonFiniteWarnings, runHeader, type TableOptions } from './run.js';
export { formatExplainTable, formatExplainJson } from './explain.js';
export { formatSensitivityJson, formatTornadoTable, formatSobolTable, formatRankTable } from './sensitivity.js';
export { formatSweepMatrix } from './matrix.js';
export { formatValidation } from './validate.js';
export { formatDevicesTable, formatDevicesJson } from './devices.js';
export { formatFidelityTable, formatFidelityJson } from './fidelity.js';
export { formatCompareJson, formatCompareTable } from './compare.js';
export { formatBreakevenJson, formatBreakevenText } from './breakeven.js';
export { formatCdfCsv, formatHistCsv, formatDistributionJson } from './distribution.js';
export { metricUnit, unitSymbol, shortName, DOLLAR_FORMAT, type Unit } from './units.js';
export { formatReportHtml, describeDist, escapeHtml, type ReportSource } from './html.js';
export {
  renderSvg,
  distributionSpec,
  costBreakdownSpec,
  tornadoSpec,
  sobolSpec,
  rankSpec,
  heatmapSpec,
  frontierSpec,
  sweepSpec,
  runChartSpec,
  compareSpec,
  hasCostBreakdown,
  hasFrontier,
  batchAxis,
  cellLabel,
} from './charts.js';
export { Progress, formatDuration, type ProgressStream, type ProgressOptions, type ProgressTask, type TaskOptions } from './progress.js';
export { formatConvergence, convergenceSummary } from './converge.js';
