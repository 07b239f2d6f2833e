/**
 * Loaded with `node --import` into a run the benchmark times as a whole process: at exit it
 * writes the process's peak resident memory (every thread's, in KiB) as one line on stderr.
 */
import { writeSync } from 'node:fs';

process.on('exit', () => {
  writeSync(2, `cptsim-bench-peak-rss-kib ${process.resourceUsage().maxRSS}\n`);
});
