/**
 * Every example's report in a real browser: `cptsim report` writes the page, headless Chromium
 * (Debian's `chromium`, driven by playwright-core) opens it from disk. No console errors, no
 * network request, every chart visible with a non-zero size; a screenshot of each page goes to
 * test-artifacts/reports/. Without Chromium the test is skipped with a warning; under CI=true
 * (as .ci/run sets, after installing it) a missing Chromium fails.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'src', 'cli.js');
const artifacts = join(root, 'test-artifacts', 'reports');
const CHROMIUM = process.env.CPTSIM_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const chromiumRequired = process.env.CI === 'true';
if (!haveChromium && !chromiumRequired) console.warn(`report-browser: ${CHROMIUM} not found (apt-get install chromium); skipping the browser test of the reports`);

/** A report with a compare view: the owned flagship (A) against renting the same GPUs (B). */
const COMPARED = 'h100-llama70b-fp8-owned.yaml+decisions/h100-llama70b-rent.yaml';

const examples = [
  ...readdirSync(join(root, 'scenarios'))
    .filter((f) => f.endsWith('.yaml'))
    .sort(),
  COMPARED,
];

/** Runs the CLI without blocking, so that reports render while the browser checks others. */
function cptsim(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** The report of an example, small: 2^10 samples (a power of two, for the Sobol-sampled one). */
function render(file: string): Promise<{ code: number | null; stderr: string; html: string }> {
  const [a, b] = file.split('+') as [string, string | undefined];
  const html = join(artifacts, `${a.replace(/\.yaml$/, '')}${b ? '-compare' : ''}.html`);
  const compare = b ? ['--compare', join('scenarios', b)] : [];
  return cptsim(['report', join('scenarios', a), ...compare, '--samples', '1024', '--backend', 'cpu', '--threads', '1', '--out', html]).then((r) => ({ ...r, html }));
}

describe.runIf(chromiumRequired)('Chromium under CI', () => {
  it(`finds ${CHROMIUM} (CI=true requires it: .ci/run installs Debian's chromium)`, () => {
    expect(haveChromium).toBe(true);
  });
});

describe.skipIf(!haveChromium)('reports in headless Chromium', () => {
  let browser: Browser;
  // Two reports render at a time while Chromium checks the ones done.
  const pending = new Map<string, Promise<{ code: number | null; stderr: string; html: string }>>();
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    let next = 0;
    const slots: Promise<unknown>[] = [];
    const start = () => {
      if (next >= examples.length) return;
      const file = examples[next++]!;
      const job = render(file);
      pending.set(file, job);
      slots.push(job.then(start));
    };
    start();
    start();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it.each(examples)('%s: renders with no console error, no request, every chart visible', async (file) => {
    // Later examples wait their turn to render: `pending` fills as earlier ones finish.
    while (!pending.has(file)) await new Promise((r) => setTimeout(r, 50));
    const r = await pending.get(file)!;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);

    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    const url = pathToFileURL(r.html).href;
    page.on('request', (req) => {
      if (req.url() !== url) requests.push(req.url());
    });
    await page.goto(url, { waitUntil: 'load' });

    const charts = await page.$$eval('figure.chart', (figs) =>
      figs.map((f) => {
        // This function runs in the page, where getComputedStyle exists (the test's tsconfig has no DOM lib).
        const computed = (globalThis as unknown as { getComputedStyle(e: object): { display: string; visibility: string } }).getComputedStyle;
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        const style = svg ? computed(svg) : null;
        return {
          name: f.getAttribute('data-chart'),
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          visible: style !== null && style.display !== 'none' && style.visibility !== 'hidden',
          marks: svg?.querySelectorAll('.role-mark > *').length ?? 0,
        };
      }),
    );
    expect(charts.length).toBeGreaterThanOrEqual(2);
    if (file === COMPARED) expect(charts.map((c) => c.name)).toContain('compare');
    for (const c of charts) {
      expect(c.visible, `${c.name} visible`).toBe(true);
      expect(c.width, `${c.name} width`).toBeGreaterThan(100);
      expect(c.height, `${c.name} height`).toBeGreaterThan(50);
      expect(c.marks, `${c.name} draws marks`).toBeGreaterThan(0);
    }
    expect(await page.locator('h1').textContent()).not.toBe('');
    await page.screenshot({ path: r.html.replace(/\.html$/, '.png'), fullPage: true });
    await page.close();
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(existsSync(r.html.replace(/\.html$/, '.png'))).toBe(true);
  }, 120_000);
});
