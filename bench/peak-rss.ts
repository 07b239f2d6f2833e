/**
 * Preloaded into a process (`node --import ./dist/bench/peak-rss.js ...`) by bench/memory.ts:
 * when the process exits, writes its peak resident set size to the file named by
 * CPTSIM_PEAK_RSS_FILE, as JSON `{ "vm_hwm_kib": ..., "max_rss_kib": ... }`. VmHWM is the kernel's
 * high-water mark of the resident set (/proc/self/status, Linux); maxRSS is getrusage's, the same
 * figure on Linux and the one other systems have. Read at exit, so nothing after the peak is missed
 * and the process measures itself: no sampling from outside.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env['CPTSIM_PEAK_RSS_FILE'];
if (file) {
  process.on('exit', () => {
    let vmHwmKib: number | null = null;
    try {
      const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
      if (m) vmHwmKib = Number(m[1]);
    } catch {
      // Not Linux: maxRSS alone.
    }
    writeFileSync(file, JSON.stringify({ vm_hwm_kib: vmHwmKib, max_rss_kib: process.resourceUsage().maxRSS }));
  });
}
