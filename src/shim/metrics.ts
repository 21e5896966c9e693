/**
 * Stats as containerd wants them from a shim: the cgroups library's
 * Metrics message (io.containerd.cgroups.v1.Metrics on a v1 host, v2 on a
 * unified one), built from the runc-shaped stats the library returns.
 */
import { existsSync } from 'node:fs';
import type { ContainerStats } from '../index.js';
import { toAny, type Any } from './codec.js';

export function metricsAny(s: ContainerStats): Any {
  return existsSync('/sys/fs/cgroup/cgroup.controllers') ? toAny('io.containerd.cgroups.v2.Metrics', v2(s)) : toAny('io.containerd.cgroups.v1.Metrics', v1(s));
}

function v1({ stats: st }: ContainerStats) {
  const raw = st.memory.raw ?? {};
  const entry = (e: { limit: number; usage?: number; max?: number; failcnt: number }) => ({ limit: e.limit, usage: e.usage ?? 0, max: e.max ?? 0, failcnt: e.failcnt });
  const blk = (l?: Array<{ major?: number; minor?: number; op?: string; value?: number }>) => (l ?? []).map((e) => ({ op: e.op ?? '', major: e.major ?? 0, minor: e.minor ?? 0, value: e.value ?? 0 }));
  return {
    pids: { current: st.pids.current ?? 0, limit: st.pids.limit ?? 0 },
    cpu: {
      usage: { total: st.cpu.usage.total ?? 0, kernel: st.cpu.usage.kernel, user: st.cpu.usage.user, perCpu: st.cpu.usage.percpu ?? [] },
      throttling: { periods: st.cpu.throttling.periods ?? 0, throttledPeriods: st.cpu.throttling.throttledPeriods ?? 0, throttledTime: st.cpu.throttling.throttledTime ?? 0 },
    },
    memory: {
      cache: raw.cache ?? st.memory.cache ?? 0,
      rss: raw.rss ?? 0,
      rssHuge: raw.rss_huge ?? 0,
      mappedFile: raw.mapped_file ?? 0,
      dirty: raw.dirty ?? 0,
      writeback: raw.writeback ?? 0,
      pgPgIn: raw.pgpgin ?? 0,
      pgPgOut: raw.pgpgout ?? 0,
      pgFault: raw.pgfault ?? 0,
      pgMajFault: raw.pgmajfault ?? 0,
      inactiveAnon: raw.inactive_anon ?? 0,
      activeAnon: raw.active_anon ?? 0,
      inactiveFile: raw.inactive_file ?? 0,
      activeFile: raw.active_file ?? 0,
      unevictable: raw.unevictable ?? 0,
      hierarchicalMemoryLimit: raw.hierarchical_memory_limit ?? 0,
      hierarchicalSwapLimit: raw.hierarchical_memsw_limit ?? 0,
      totalCache: raw.total_cache ?? 0,
      totalRss: raw.total_rss ?? 0,
      totalRssHuge: raw.total_rss_huge ?? 0,
      totalMappedFile: raw.total_mapped_file ?? 0,
      totalDirty: raw.total_dirty ?? 0,
      totalWriteback: raw.total_writeback ?? 0,
      totalPgPgIn: raw.total_pgpgin ?? 0,
      totalPgPgOut: raw.total_pgpgout ?? 0,
      totalPgFault: raw.total_pgfault ?? 0,
      totalPgMajFault: raw.total_pgmajfault ?? 0,
      totalInactiveAnon: raw.total_inactive_anon ?? 0,
      totalActiveAnon: raw.total_active_anon ?? 0,
      totalInactiveFile: raw.total_inactive_file ?? 0,
      totalActiveFile: raw.total_active_file ?? 0,
      totalUnevictable: raw.total_unevictable ?? 0,
      usage: entry(st.memory.usage),
      swap: entry(st.memory.swap),
      kernel: entry(st.memory.kernel),
      kernelTcp: entry(st.memory.kernelTCP),
    },
    blkio: {
      ioServiceBytesRecursive: blk(st.blkio.ioServiceBytesRecursive),
      ioServicedRecursive: blk(st.blkio.ioServicedRecursive),
      ioQueuedRecursive: blk(st.blkio.ioQueueRecursive),
      ioServiceTimeRecursive: blk(st.blkio.ioServiceTimeRecursive),
      ioWaitTimeRecursive: blk(st.blkio.ioWaitTimeRecursive),
      ioMergedRecursive: blk(st.blkio.ioMergedRecursive),
      ioTimeRecursive: blk(st.blkio.ioTimeRecursive),
      sectorsRecursive: blk(st.blkio.sectorsRecursive),
    },
    hugetlb: Object.entries(st.hugetlb).map(([pagesize, h]) => ({ pagesize, usage: h.usage ?? 0, max: h.max ?? 0, failcnt: h.failcnt })),
  };
}

function v2({ stats: st, oomKills }: ContainerStats) {
  const raw = st.memory.raw ?? {};
  return {
    pids: { current: st.pids.current ?? 0, limit: st.pids.limit ?? 0 },
    cpu: {
      usageUsec: Math.floor((st.cpu.usage.total ?? 0) / 1000),
      userUsec: Math.floor(st.cpu.usage.user / 1000),
      systemUsec: Math.floor(st.cpu.usage.kernel / 1000),
      nrPeriods: st.cpu.throttling.periods ?? 0,
      nrThrottled: st.cpu.throttling.throttledPeriods ?? 0,
      throttledUsec: Math.floor((st.cpu.throttling.throttledTime ?? 0) / 1000),
    },
    memory: {
      usage: st.memory.usage.usage ?? 0,
      usageLimit: st.memory.usage.limit,
      swapUsage: st.memory.swap.usage ?? 0,
      swapLimit: st.memory.swap.limit,
      anon: raw.anon ?? 0,
      file: raw.file ?? 0,
      kernelStack: raw.kernel_stack ?? 0,
      slab: raw.slab ?? 0,
      sock: raw.sock ?? 0,
      shmem: raw.shmem ?? 0,
      fileMapped: raw.file_mapped ?? 0,
      fileDirty: raw.file_dirty ?? 0,
      pgfault: raw.pgfault ?? 0,
      pgmajfault: raw.pgmajfault ?? 0,
    },
    memoryEvents: { oomKill: oomKills },
  };
}
