#!/usr/bin/env node
/**
 * Runs the pods of deploy/kubernetes/shards.yaml and merge.yaml as local processes: every index of the Indexed Job
 * (at most `parallelism` at a time), then the merge Job, each with its container's exact command
 * line and environment, JOB_COMPLETION_INDEX set as Kubernetes sets it, and `cptsim` on PATH
 * meaning this checkout's dist/src/cli.js. Environment values can be overridden, so that the
 * volumes' paths point at local folders:
 *   node deploy/kubernetes/run-local.mjs [--job FILE]... --env CPTSIM_DATA=out --env CPTSIM_SCENARIO=s.yaml ...
 * Exit status: 0 when every pod succeeded, else 1 (2 for bad usage).
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

function usage(message) {
  process.stderr.write(`run-local: ${message}\nusage: node deploy/kubernetes/run-local.mjs [--job FILE]... [--env NAME=VALUE]...\n`);
  process.exit(2);
}

let jobFiles = [];
const overrides = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--job' && argv[i + 1]) jobFiles.push(argv[++i]);
  else if (argv[i] === '--env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[i + 1] ?? '')) {
    const [name, ...rest] = argv[++i].split('=');
    overrides[name] = rest.join('=');
  } else usage(`unexpected argument "${argv[i]}"`);
}

if (jobFiles.length === 0) jobFiles = [join(here, 'shards.yaml'), join(here, 'merge.yaml')];
const docs = [];
for (const file of jobFiles) {
  try {
    docs.push(...parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS()));
  } catch (e) {
    usage(`cannot read ${file}: ${e.message}`);
  }
}
const jobs = docs.filter((d) => d?.kind === 'Job');
const indexed = jobs.find((j) => j.spec?.completionMode === 'Indexed');
const merge = jobs.find((j) => j !== indexed);
if (!indexed || !merge) usage(`${jobFiles.join(', ')}: expected an Indexed Job and a merge Job`);

// `cptsim` on PATH: this checkout's build.
const bin = mkdtempSync(join(tmpdir(), 'cptsim-k8s-bin-'));
writeFileSync(join(bin, 'cptsim'), `#!/bin/sh\nexec "${process.execPath}" "${join(root, 'dist', 'src', 'cli.js')}" "$@"\n`);
chmodSync(join(bin, 'cptsim'), 0o755);

function runPod(job, index) {
  const c = job.spec.template.spec.containers[0];
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  for (const e of c.env ?? []) env[e.name] = String(e.value);
  Object.assign(env, overrides);
  if (index !== undefined) env.JOB_COMPLETION_INDEX = String(index);
  const [cmd, ...args] = [...(c.command ?? []), ...(c.args ?? [])];
  const name = `${job.metadata.name}${index !== undefined ? `-${index}` : ''}`;
  return new Promise((done) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'inherit', 'pipe'] });
    p.stderr.on('data', (d) => process.stderr.write(`[${name}] ${d}`));
    p.on('error', (e) => done({ name, code: 1, error: e.message }));
    p.on('exit', (code) => done({ name, code }));
  });
}

let failed = [];
try {
  const n = indexed.spec.completions;
  const parallel = Math.max(1, indexed.spec.parallelism ?? 1);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const r = await runPod(indexed, next++);
      if (r.code !== 0) failed.push(r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
  if (failed.length === 0) {
    const r = await runPod(merge);
    if (r.code !== 0) failed.push(r);
  }
} finally {
  rmSync(bin, { recursive: true, force: true });
}
for (const f of failed) process.stderr.write(`run-local: pod ${f.name} failed (exit ${f.code}${f.error ? `: ${f.error}` : ''})\n`);
process.exit(failed.length ? 1 : 0);
