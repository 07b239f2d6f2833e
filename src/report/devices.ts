/** `cptsim devices`: the WebGPU adapters this machine offers, as a table or JSON. */
import type { AdapterSummary } from '../engine/index.js';

export function formatDevicesJson(adapters: readonly AdapterSummary[]): string {
  return JSON.stringify(adapters, null, 2) + '\n';
}

/** Each adapter on three lines: its name, where it comes from, and the limits the GPU engine works within. */
export function formatDevicesTable(adapters: readonly AdapterSummary[]): string {
  if (adapters.length === 0) {
    return 'no WebGPU adapter found (install a Vulkan driver, e.g. mesa-vulkan-drivers); the CPU engine will be used\n';
  }
  const mib = (b: number) => `${Math.round(b / 2 ** 20).toLocaleString('en-US')} MiB`;
  return adapters
    .map(
      (a) =>
        [
          `${a.name}${a.software ? ' (software adapter)' : ''}`,
          `  backend ${a.backend}, vendor ${a.vendor || '-'}, architecture ${a.architecture || '-'}`,
          `  storage binding ${mib(a.limits.maxStorageBufferBindingSize)}, buffer ${mib(a.limits.maxBufferSize)}, ` +
            `workgroup memory ${a.limits.maxComputeWorkgroupStorageSize.toLocaleString('en-US')} B, ` +
            `${a.limits.maxComputeInvocationsPerWorkgroup} invocations per workgroup, ` +
            `${a.limits.maxComputeWorkgroupsPerDimension.toLocaleString('en-US')} workgroups per dimension`,
        ].join('\n') + '\n',
    )
    .join('');
}
