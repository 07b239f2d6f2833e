/**
 * Hostile scenario files, flags and output paths through the CLI: each bad one exits 2 (1 for the
 * environment) with a message naming the file, the field or the path the user gave, with no stack
 * trace, within a few seconds, and leaves nothing behind in its folder.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { caseDir, cli as cliPath, expectRefused, removeDir, root, runCli, type CliResult } from './harness.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/** A fresh folder holding `files`; removed after the file's tests. */
function folder(files: Record<string, string> = {}): string {
  const dir = caseDir(files);
  dirs.push(dir);
  return dir;
}

/** `cptsim ...args` in `dir`. */
function cli(dir: string, args: string[]): CliResult {
  return runCli(args, { cwd: dir, timeoutS: 60 });
}

/** A small model of its own that runs in well under a second on the CPU engine. */
const SMALL = 'name: small\nsamples: 1000\ninputs:\n  x: { uniform: [0, 1] }\nmetrics:\n  m: "x * 2"\n';

/** Nine lists of nine, each made of the one before: 9^9 (387 million) values once expanded. */
function aliasBomb(levels = 9): string {
  const names = 'abcdefghijklmnop';
  const lines = [`${names[0]}: &${names[0]} [${Array(9).fill('"lol"').join(', ')}]`];
  for (let i = 1; i < levels; i++) lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(', ')}]`);
  return `name: bomb\n${lines.join('\n')}\n`;
}

// [case, file name, text, what stderr must say]
const YAML_REFUSED: [string, string, string, RegExp][] = [
  ['an alias bomb (billion laughs)', 'case.yaml', aliasBomb(), /case\.yaml:\d+: aliases \(\*name\) expand to more than 100,000 values/],
  ['an alias bomb in a field the schema knows', 'case.yaml', `name: bomb\ninputs:\n  x: &x { discrete: { values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] } }\n  y: &y [${Array(100).fill('*x').join(', ')}]\n  z: [${Array(2000).fill('*y').join(', ')}]\nmetrics: { m: x }\n`, /case\.yaml:5: aliases \(\*name\) expand to more than 100,000 values/],
  ['a self-referencing alias in a list', 'case.yaml', 'a: &a [*a]\n', /case\.yaml:1: the alias \*a refers to a value that contains it/],
  ['a self-referencing alias in a mapping', 'case.yaml', 'name: x\ncosts: &c { pricing: cloud, more: *c }\n', /case\.yaml:2: the alias \*c refers to a value that contains it/],
  ['an alias with no anchor', 'case.yaml', 'name: x\ncosts: *nowhere\n', /case\.yaml:2: the alias \*nowhere names no anchor/],
  ['flow lists nested 10,000 deep', 'case.yaml', `name: x\ncosts: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`, /case\.yaml:2: values are nested more than 64 levels deep/],
  ['flow lists nested 70 deep', 'case.yaml', `name: x\ncosts: ${'['.repeat(70)}${']'.repeat(70)}\n`, /case\.yaml:2: values are nested more than 64 levels deep/],
  ['block mappings nested 100 deep', 'case.yaml', `name: x\n${Array.from({ length: 100 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} 1\n`, /case\.yaml:\d+: values are nested more than 64 levels deep/],
  ['JSON objects nested 5,000 deep', 'case.json', `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`, /case\.json:1: values are nested more than 64 levels deep/],
  ['two YAML documents', 'case.yaml', `${SMALL}---\n${SMALL}`, /case\.yaml:7: the file holds more than one YAML document .*split it into files or remove the `---`/],
  ['a merge key with a number', 'case.yaml', 'name: x\ninputs:\n  x: { <<: 5 }\nmetrics: { m: x }\n', /case\.yaml:3: a merge key \(<<\) takes a mapping or a list of mappings/],
  ['a list as a mapping key', 'case.yaml', 'name: x\n? [a, b]\n: 1\n', /case\.yaml:2: expected a plain key/],
];

describe('YAML limits: aliases, cycles, depth and documents are refused with exit 2 within seconds', () => {
  it.each(YAML_REFUSED)('%s', (_, file, text, message) => {
    const dir = folder({ [file]: text });
    // Node's start-up alone takes most of a second on a busy machine; the reading itself well under.
    expectRefused(cli(dir, ['validate', file]), { message, maxSeconds: 4, dir, before: [file] });
  });

  it('reads merge keys (<<): the keys written beside them win, earlier merges over later ones', () => {
    const text = [
      'name: merge keys',
      'samples: 1000',
      'inputs:',
      '  a: { normal: &base { mean: 10, sd: 1 } }',
      '  b: { normal: { <<: *base, sd: 2 } }',
      '  c: { normal: { <<: [{ mean: 30 }, *base] } }',
      'metrics:',
      '  m: "a + b + c"',
      '',
    ].join('\n');
    const dir = folder({ 'case.yaml': text });
    expect(cli(dir, ['validate', 'case.yaml']).code).toBe(0);
    const r = cli(dir, ['explain', 'case.yaml', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const inputs = JSON.parse(r.stdout).cells[0].inputs;
    expect([inputs.a.value, inputs.b.value, inputs.c.value]).toEqual([10, 10, 30]);
  });
});

/** A valid cloud scenario in measured mode, with `extra` lines added to the end of the costs section. */
function measured(costsExtra = '', servingExtra = ''): string {
  return [
    'name: prototype keys',
    'samples: 1000',
    'accelerator: { it_power_kw_per_gpu: 1.2 }',
    'workload: { input_tokens: 1000, output_tokens: 200 }',
    `serving: { utilization: 0.6${servingExtra} }`,
    'throughput: { mode: measured, output_tokens_per_s_per_gpu: 1500 }',
    'costs:',
    '  pricing: cloud',
    '  cloud_usd_per_gpu_hour: 2.5',
    costsExtra,
  ].join('\n');
}

// Names of Object.prototype's members, where a plain object lookup once found them and took the
// key as known (silently ignored).
const PROTOTYPE_KEYS: [string, string, string, RegExp][] = [
  ['`constructor` at the top level', 'case.yaml', `${measured()}\nconstructor: 1\n`, /case\.yaml:11: constructor: unknown key \(expected one of name, /],
  ['`toString` in a section', 'case.yaml', measured('  toString: 3'), /case\.yaml:10: costs\.toString: unknown key \(expected one of capex_usd_per_gpu, /],
  ['`hasOwnProperty` in a section', 'case.yaml', measured('  hasOwnProperty: { uniform: [0, 1] }'), /case\.yaml:10: costs\.hasOwnProperty: unknown key/],
  ['`__proto__` in a section', 'case.yaml', measured('  __proto__: { pricing: owned }'), /case\.yaml:10: costs\.__proto__: unknown key/],
  ['`valueOf` in a flow section', 'case.yaml', measured('', ', valueOf: 2'), /case\.yaml:5: serving\.valueOf: unknown key/],
  ['`constructor` as a distribution', 'case.yaml', measured('', ', mbu_decode: { constructor: [0, 1] }'), /case\.yaml:5: serving\.mbu_decode: unknown distribution `constructor`/],
  ['`toString` inside a distribution', 'case.yaml', measured('  pue: { normal: { mean: 1.2, sd: 0.1, toString: 1 } }'), /case\.yaml:10: costs\.pue\.normal\.toString: unknown key/],
  ['`__proto__` inside a sweep', 'case.yaml', measured('  pue: { sweep: { from: 1, to: 2, steps: 3, __proto__: 1 } }'), /case\.yaml:10: costs\.pue\.sweep\.__proto__: unknown key/],
  ['`constructor` in peak_tflops', 'case.yaml', `${measured()}\nmodel: { peak_tflops: { constructor: 5 } }\n`, /case\.yaml:11: model\.peak_tflops: unknown key/],
  ['`constructor` as a catalog id', 'case.yaml', measured().replace('accelerator: { it_power_kw_per_gpu: 1.2 }', 'accelerator: { catalog: constructor }'), /case\.yaml:3: accelerator\.catalog: unknown accelerator `constructor`/],
  ['`__proto__` at the top of a JSON file', 'case.json', '{"name": "x", "__proto__": {"samples": 5}, "inputs": {"x": 1}, "metrics": {"m": "x"}}', /case\.json:1: __proto__: unknown key/],
  ['`hasOwnProperty` in a JSON section', 'case.json', '{"name": "x", "costs": {"pricing": "cloud", "hasOwnProperty": 1}}', /case\.json:1: costs\.hasOwnProperty: unknown key/],
];

describe('keys named like Object.prototype members are unknown keys, never silently taken', () => {
  it.each(PROTOTYPE_KEYS)('%s', (_, file, text, message) => {
    const dir = folder({ [file]: text });
    expectRefused(cli(dir, ['validate', file]), { message, maxSeconds: 4, dir, before: [file] });
  });

  it('the measured scenario these cases extend is valid', () => {
    const dir = folder({ 'case.yaml': measured() });
    const r = cli(dir, ['validate', 'case.yaml']);
    expect(r.code, r.stderr).toBe(0);
  });
});

/** Runs the CLI without blocking this process (a socket or a FIFO read here needs the event loop). */
function runCliAsync(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const RUN = ['run', 's.yaml', '--backend', 'cpu', '--format', 'json'];

describe('--out: checked before the run, and the path the user gave is the one named', () => {
  // [case, extra setup, --out value, message]; every folder starts with s.yaml (SMALL).
  const REFUSED: [string, (dir: string) => void, string, RegExp][] = [
    ['the scenario file itself', () => {}, 's.yaml', /--out: s\.yaml: is the scenario file s\.yaml this command reads/],
    ['a symbolic link to the scenario file', (d) => symlinkSync('s.yaml', join(d, 'link.yaml')), 'link.yaml', /--out: link\.yaml: is the scenario file s\.yaml/],
    ['the scenario file by another spelling', (d) => mkdirSync(join(d, 'sub')), 'sub/../s.yaml', /--out: sub\/\.\.\/s\.yaml: is the scenario file/],
    ['a folder', (d) => mkdirSync(join(d, 'results')), 'results', /--out: results: is a folder; give the name of a file in it/],
    ['a file in a folder that does not exist', () => {}, 'missing/result.json', /--out: missing\/result\.json: the folder missing does not exist/],
    ['a file under a file', () => {}, 's.yaml/result.json', /--out: s\.yaml\/result\.json: cannot be written \(a part of the path is not a folder\)/],
    ['a loop of symbolic links', (d) => (symlinkSync('b', join(d, 'a')), symlinkSync('a', join(d, 'b'))), 'a', /--out: a: too many symbolic links/],
    ['an empty name', () => {}, '', /--out: "": expected a file name/],
    ['a read-only folder of the system', () => {}, '/proc/sys/result.json', /--out: \/proc\/sys\/result\.json: cannot create a file in \/proc\/sys/],
  ];

  it.each(REFUSED)('%s: exit 2 before the run', (_, setup, out, message) => {
    const dir = folder({ 's.yaml': SMALL });
    setup(dir);
    const before = readdirSync(dir);
    // 10^10 samples would run for minutes: a refusal within seconds shows the check came first.
    expectRefused(cli(dir, ['run', 's.yaml', '--backend', 'cpu', '--samples', '1e10', '--out', out]), { message, maxSeconds: 4, dir, before });
    expect(readFileSync(join(dir, 's.yaml'), 'utf8')).toBe(SMALL);
  });

  it.each([
    ['explain', ['explain', 's.yaml']],
    ['sensitivity', ['sensitivity', 's.yaml', '--backend', 'cpu', '--samples', '1000']],
  ])('%s refuses the scenario file as --out too', (_, args) => {
    const dir = folder({ 's.yaml': SMALL });
    expectRefused(cli(dir, [...args, '--out', 's.yaml']), { message: /--out: s\.yaml: is the scenario file/, dir, before: ['s.yaml'] });
    expect(readFileSync(join(dir, 's.yaml'), 'utf8')).toBe(SMALL);
  });

  it('a write that fails names the path given, not a temporary file, and exits 1', () => {
    const dir = folder({ 's.yaml': SMALL });
    const r = cli(dir, [...RUN, '--out', '/dev/full']);
    expectRefused(r, { code: 1, message: /^cptsim: cannot write \/dev\/full: no space left on the device$/m, dir, before: ['s.yaml'] });
    expect(r.stderr).not.toMatch(/\.tmp/);
  });
});

describe('--out: what it writes into', () => {
  it('replaces a regular file whole, keeping its mode, and leaves no temporary file', () => {
    const dir = folder({ 's.yaml': SMALL, 'r.json': 'old' });
    chmodSync(join(dir, 'r.json'), 0o640);
    const r = cli(dir, [...RUN, '--out', 'r.json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')).scenario).toBe('small');
    expect(statSync(join(dir, 'r.json')).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir).sort()).toEqual(['r.json', 's.yaml']);
  });

  it('writes through a symbolic link: the link stays, its target gets the result', () => {
    const dir = folder({ 's.yaml': SMALL, 'target.json': 'old' });
    symlinkSync('target.json', join(dir, 'r.json'));
    expect(cli(dir, [...RUN, '--out', 'r.json']).code).toBe(0);
    expect(lstatSync(join(dir, 'r.json')).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'target.json'), 'utf8')).scenario).toBe('small');
    expect(readdirSync(dir).sort()).toEqual(['r.json', 's.yaml', 'target.json']);
  });

  it('writes through a link whose target does not exist yet', () => {
    const dir = folder({ 's.yaml': SMALL });
    symlinkSync('new.json', join(dir, 'r.json'));
    expect(cli(dir, [...RUN, '--out', 'r.json']).code).toBe(0);
    expect(lstatSync(join(dir, 'r.json')).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'new.json'), 'utf8')).scenario).toBe('small');
  });

  it('writes into a FIFO, which stays a FIFO', async () => {
    const dir = folder({ 's.yaml': SMALL });
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    const reader = spawn('sh', ['-c', 'cat pipe > got.json'], { cwd: dir });
    const closed = new Promise((done) => reader.on('close', done));
    const r = await runCliAsync([...RUN, '--out', 'pipe'], dir);
    await closed;
    expect(r.code, r.stderr).toBe(0);
    expect(lstatSync(join(dir, 'pipe')).isFIFO()).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'got.json'), 'utf8')).scenario).toBe('small');
  });

  it('writes into a Unix socket', async () => {
    const dir = folder({ 's.yaml': SMALL });
    let got = '';
    const received = new Promise<void>((done) => {
      const server = createServer((c) => {
        c.on('data', (d: Buffer) => (got += d.toString()));
        c.on('end', () => server.close(() => done()));
      });
      server.listen(join(dir, 'sock'));
    });
    const r = await runCliAsync([...RUN, '--out', 'sock'], dir);
    await received;
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(got).scenario).toBe('small');
  });

  it("writes into a shell's process substitution (/dev/fd/N)", () => {
    const dir = folder({ 's.yaml': SMALL });
    // bash does not wait for a >(...) reader: the sleep gives it time to finish.
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${cliPath}" ${RUN.join(' ')} --out >(cat > got.json); sleep 1`], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'got.json'), 'utf8')).scenario).toBe('small');
  });

  it('writes to /dev/stdout and /dev/null (character devices), which stay what they are', () => {
    const dir = folder({ 's.yaml': SMALL });
    const r = cli(dir, [...RUN, '--out', '/dev/stdout']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).scenario).toBe('small');
    const n = cli(dir, [...RUN, '--out', '/dev/null']);
    expect(n.code, n.stderr).toBe(0);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
    expect(readdirSync(dir)).toEqual(['s.yaml']);
  });
});

describe('validate lists the defaults that are zero', () => {
  const OWNED = [
    'name: owned, stating only what it must',
    'samples: 1000',
    'accelerator: { catalog: h100-sxm }',
    'model: { catalog: llama-3.1-70b, weight_bits: 8 }',
    'workload: { input_tokens: 2000, output_tokens: 500 }',
    'serving: { gpus_per_replica: 8, batch_size: 32, utilization: 0.6 }',
    'costs: { pricing: owned, capex_usd_per_gpu: 30000, life_years: 5, cost_of_capital: 0.1, pue: 1.3, power_price_usd_per_kwh: 0.08 }',
    '',
  ].join('\n');

  it('names each zero default the scenario relies on (maintenance, opex, idle power, residual value, prefix cache, host time per sequence)', () => {
    const dir = folder({ 'case.yaml': OWNED });
    const r = cli(dir, ['validate', 'case.yaml']);
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('  defaults of zero'));
    expect(line).toBeDefined();
    const named = [...line!.matchAll(/([a-z_.]+) = 0/g)].map((m) => m[1]);
    expect(named.sort()).toEqual(
      [
        'workload.prefix_cache_hit_rate',
        'costs.residual_fraction',
        'costs.maintenance_fraction_per_year',
        'costs.opex_usd_per_gpu_year',
        'costs.idle_power_fraction',
        'serving.host_overhead_us_per_seq',
      ].sort(),
    );
  });

  it('a named serving engine sets the host time per sequence: no longer a default of zero', () => {
    const dir = folder({ 'case.yaml': OWNED.replace('serving: { gpus_per_replica: 8,', 'serving: { engine: tensorrt-llm, gpus_per_replica: 8,') });
    const r = cli(dir, ['validate', 'case.yaml']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/defaults of zero .*costs\.idle_power_fraction = 0/);
    expect(r.stdout).not.toMatch(/host_overhead_us_per_seq/);
  });

  it('does not list a zero the file states, nor the fields its configuration does not read', () => {
    const stated = OWNED.replace('power_price_usd_per_kwh: 0.08 }', 'power_price_usd_per_kwh: 0.08, maintenance_fraction_per_year: 0, opex_usd_per_gpu_year: 500 }');
    const dir = folder({ 'case.yaml': stated });
    const r = cli(dir, ['validate', 'case.yaml']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/defaults of zero .*costs\.idle_power_fraction = 0/);
    expect(r.stdout).not.toMatch(/maintenance_fraction_per_year|opex_usd_per_gpu_year|cloud_usd_per_gpu_hour|speculative|kv_offload/);
  });
});

/** Two sweep axes whose computed steps carry float noise (0.1 + 2 * 0.1 = 0.30000000000000004). */
const SWEEP = [
  'name: sweep noise',
  'samples: 1000',
  'inputs:',
  '  x: { uniform: [0, 1] }',
  '  a: { sweep: { from: 0.1, to: 0.5, steps: 5 } }',
  '  b: { sweep: { from: 1, to: 1000, steps: 4, scale: log } }',
  'metrics:',
  '  m: "x * a * b"',
  '',
].join('\n');

describe('flags: refused with a message, or warned about', () => {
  // [case, scenario files, args, message]
  const REFUSED: [string, Record<string, string>, string[], RegExp][] = [
    ['--matrix with --format json', { 's.yaml': SWEEP }, ['run', 's.yaml', '--backend', 'cpu', '--matrix', 'p50', '--format', 'json'], /--matrix: is a table; it cannot be written as --format json/],
    ['--matrix with --format csv', { 's.yaml': SWEEP }, ['run', 's.yaml', '--backend', 'cpu', '--matrix', 'p50', '--format', 'csv'], /--matrix: is a table; it cannot be written as --format csv/],
    ['--matrix of an unknown statistic', { 's.yaml': SWEEP }, ['run', 's.yaml', '--backend', 'cpu', '--matrix', 'p42'], /option '--matrix <statistic>' argument 'p42' is invalid/],
    ['--bootstrap 0', { 's.yaml': SMALL }, ['sensitivity', 's.yaml', '--backend', 'cpu', '--method', 'sobol', '--bootstrap', '0'], /--bootstrap <n>' argument '0' is invalid\. expected a whole number of resamples from 10/],
    ['--bootstrap 9', { 's.yaml': SMALL }, ['sensitivity', 's.yaml', '--backend', 'cpu', '--method', 'sobol', '--bootstrap', '9'], /--bootstrap <n>' argument '9' is invalid/],
    ['rank with --samples 1', { 's.yaml': SMALL }, ['sensitivity', 's.yaml', '--backend', 'cpu', '--method', 'rank', '--samples', '1'], /--samples: rank correlations need at least 100 samples, got 1/],
    ['rank of a file with 10 samples', { 's.yaml': SMALL.replace('samples: 1000', 'samples: 10') }, ['sensitivity', 's.yaml', '--backend', 'cpu', '--method', 'rank'], /--samples: rank correlations need at least 100 samples; the scenario has 10/],
    ['--samples 0', { 's.yaml': SMALL }, ['run', 's.yaml', '--backend', 'cpu', '--samples', '0'], /--samples <n>' argument '0' is invalid/],
    ['--threads 0', { 's.yaml': SMALL }, ['run', 's.yaml', '--backend', 'cpu', '--threads', '0'], /--threads <n>' argument '0' is invalid/],
    ['a scenario that is a folder', {}, ['validate', '.'], /^cptsim: \.: cannot read the scenario: is a folder, not a file$/m],
    ['a scenario that does not exist', {}, ['run', 'nope.yaml', '--backend', 'cpu'], /nope\.yaml: cannot read the scenario: no such file/],
    ['a binary file as a scenario', { 'bin.yaml': '\u0000\u0001\u0002\u00ff\u00fe' }, ['validate', 'bin.yaml'], /bin\.yaml:1: /],
  ];

  it.each(REFUSED)('%s', (_, files, args, message) => {
    const dir = folder(files);
    const before = readdirSync(dir);
    expectRefused(cli(dir, args), { message, maxSeconds: 6, dir, before });
  });

  it('--threads above the core count runs, with a warning on stderr', () => {
    const dir = folder({ 's.yaml': SMALL });
    const threads = availableParallelism() + 1;
    const r = cli(dir, ['run', 's.yaml', '--backend', 'cpu', '--threads', String(threads), '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`warning: --threads ${threads} is more than the ${availableParallelism()} cores`));
    expect(JSON.parse(r.stdout).samples).toBe(1000);
  });

  it('sensitivity --help says what --samples is there (the base count of the analysis), as the README does', () => {
    const r = cli(root, ['sensitivity', '--help']);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).not.toMatch(/samples per sweep cell/);
    expect(help).toMatch(/--samples <n> base sample count: per run for tornado .* and rank .* N of the N \(d \+ 2\) evaluations for sobol \(default 2\^14\)/);
    const readme = readFileSync(join(root, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    expect(readme).toMatch(/`--samples` is its base sample count: per run for tornado and rank, N of the N \(d \+ 2\) evaluations for Sobol, default 2\^14/);
  });
});

describe('sweep points print without float noise', () => {
  it('JSON, CSV and the matrix show 0.3, not 0.30000000000000004, and log steps 10 and 100', () => {
    const dir = folder({ 's.yaml': SWEEP });
    const json = cli(dir, ['run', 's.yaml', '--backend', 'cpu', '--format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    const points = (JSON.parse(json.stdout).cells as { point: Record<string, number> }[]).map((c) => c.point);
    expect([...new Set(points.map((p) => p['inputs.a']))]).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
    expect([...new Set(points.map((p) => p['inputs.b']))]).toEqual([1, 10, 100, 1000]);
    const csv = cli(dir, ['run', 's.yaml', '--backend', 'cpu', '--format', 'csv']);
    expect(csv.stdout).not.toMatch(/0000000000|9999999999/);
    expect(csv.stdout).toMatch(/^8,0\.3,1,m,/m);
    const matrix = cli(dir, ['run', 's.yaml', '--backend', 'cpu', '--matrix', 'p50']);
    expect(matrix.code, matrix.stderr).toBe(0);
    expect(matrix.stdout).toMatch(/^0\.3 /m);
  });
});

describe('a reader that stops early', () => {
  it('`run ... | head -1` ends quietly: no EPIPE stack trace, the first line delivered', () => {
    const sweep = join(root, 'scenarios', 'h100-llama70b-sweep.yaml');
    const r = spawnSync(
      'sh',
      ['-c', `"${process.execPath}" "${cliPath}" run "${sweep}" --samples 2000 --backend cpu --format csv | head -1`],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stdout.startsWith('cell,')).toBe(true);
    expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /);
  });
});

/** Two correlated normals, a fixed input and a sweep axis; `correlations:` is appended per case. */
const CORRELATED = [
  'name: correlated',
  'samples: 1000',
  'inputs:',
  '  a: { normal: { mean: 0, sd: 1 } }',
  '  b: { normal: { mean: 10, sd: 2 } }',
  '  c: { uniform: [0, 1] }',
  '  d: 5',
  '  e: { sweep: [1, 2] }',
  'metrics:',
  '  s: "a + b + c + d + e"',
  'correlations:',
  '',
].join('\n');
const correlated = (items: string): string => CORRELATED + items;

// [case, file text, what stderr must say]; the correlation is on line 12.
const CORRELATIONS_REFUSED: [string, string, RegExp][] = [
  ['an unknown input path', correlated('  - { between: [inputs.aa, inputs.b], rank: 0.5 }\n'), /case\.yaml:12: correlations\[0\]\.between: `inputs\.aa` is not an input of this scenario; did you mean `inputs\.a`\?/],
  ['a path that is no input at all', correlated('  - { between: [costs.pue, inputs.b], rank: 0.5 }\n'), /case\.yaml:12: correlations\[0\]\.between: `costs\.pue` is not an input of this scenario \(its uncertain inputs: inputs\.a, inputs\.b, inputs\.c\)/],
  ['a fixed value', correlated('  - { between: [inputs.a, inputs.d], rank: 0.5 }\n'), /case\.yaml:12: correlations\[0\]\.between: `inputs\.d` is a fixed value \(5\), not an uncertain input/],
  ['a sweep axis', correlated('  - { between: [inputs.e, inputs.a], rank: 0.5 }\n'), /case\.yaml:12: correlations\[0\]\.between: `inputs\.e` is a sweep axis/],
  ['a rank above 1', correlated('  - { between: [inputs.a, inputs.b], rank: 1.5 }\n'), /case\.yaml:12: correlations\[0\]\.rank: expected a Spearman rank correlation from -1 to 1, got 1\.5/],
  ['a rank that is text', correlated('  - { between: [inputs.a, inputs.b], rank: high }\n'), /case\.yaml:12: correlations\[0\]\.rank: expected a Spearman rank correlation from -1 to 1, got "high"/],
  ['a pair given twice, the other way round', correlated('  - { between: [inputs.a, inputs.b], rank: 0.5 }\n  - { between: [inputs.b, inputs.a], rank: 0.2 }\n'), /case\.yaml:13: correlations\[1\]\.between: the pair `inputs\.b`, `inputs\.a` is already given at correlations\[0\]/],
  ['an input with itself', correlated('  - { between: [inputs.a, inputs.a], rank: 0.5 }\n'), /case\.yaml:12: correlations\[0\]\.between: names `inputs\.a` twice/],
  ['one path', correlated('  - { between: [inputs.a], rank: 0.5 }\n'), /case\.yaml:12: correlations\[0\]\.between: expected a list of two input paths, .* got a list of 1/],
  ['a misspelt key', correlated('  - { between: [inputs.a, inputs.b], rnak: 0.5 }\n'), /case\.yaml:12: correlations\[0\]\.rnak: unknown key; did you mean `rank`\?/],
  ['no rank', correlated('  - { between: [inputs.a, inputs.b] }\n'), /case\.yaml:12: correlations\[0\]: needs rank/],
  ['a mapping instead of a list', correlated('  between: [inputs.a, inputs.b]\n'), /case\.yaml:11: correlations: expected a list of \{ between: \[input path, input path\], rank: r \}/],
  [
    'correlations that cannot hold together',
    correlated('  - { between: [inputs.a, inputs.b], rank: 0.9 }\n  - { between: [inputs.b, inputs.c], rank: 0.9 }\n  - { between: [inputs.a, inputs.c], rank: -0.9 }\n'),
    /case\.yaml:12: correlations: the rank correlations among inputs\.a, inputs\.b, inputs\.c cannot hold together: their normal correlation matrix .* is not positive semidefinite: inputs\.a ~ inputs\.b 0\.9 .*inputs\.a ~ inputs\.c -0\.9 \(normal -0\.908, correlations\[2\]\); weaken one of them/,
  ],
];

describe('correlations: bad items are refused with their field path', () => {
  it.each(CORRELATIONS_REFUSED)('%s', (_, text, message) => {
    const dir = folder({ 'case.yaml': text });
    expectRefused(cli(dir, ['validate', 'case.yaml']), { message, maxSeconds: 4, dir, before: ['case.yaml'] });
  });

  it('an input fixed by a file that extends the one with the correlation: the error is at the inherited line', () => {
    const dir = folder({ 'base.yaml': correlated('  - { between: [inputs.a, inputs.b], rank: 0.5 }\n'), 'child.yaml': 'extends: base.yaml\ninputs:\n  b: 3\n' });
    expectRefused(cli(dir, ['validate', 'child.yaml']), { message: /base\.yaml:12: correlations\[0\]\.between: `inputs\.b` is a fixed value \(3\)/, maxSeconds: 4 });
  });

  it('sensitivity --method sobol is refused (Sobol indices assume independent inputs); rank runs', () => {
    const dir = folder({ 's.yaml': correlated('  - { between: [inputs.a, inputs.b], rank: 0.5 }\n') });
    expectRefused(cli(dir, ['sensitivity', 's.yaml', '--backend', 'cpu', '--method', 'sobol', '--samples', '64']), { message: /Sobol indices assume independent inputs/, maxSeconds: 6 });
    const rank = cli(dir, ['sensitivity', 's.yaml', '--backend', 'cpu', '--method', 'rank', '--cell', '0']);
    expect(rank.code, rank.stderr).toBe(0);
  });

  it('validate lists the correlations', () => {
    const dir = folder({ 's.yaml': correlated('  - { between: [inputs.a, inputs.b], rank: 0.5 }\n') });
    const r = cli(dir, ['validate', 's.yaml']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}rank correlations: inputs\.a ~ inputs\.b 0\.5$/m);
  });
});
