/**
 * Where a sysbench op goes (issue 6): the same guest as run.ts (sysbench.c: N threads doing
 * events of 100 iterations of lock(m) / sched_yield / unlock, each event on one of 4 mutexes),
 * run through the LibOS in this process, with counters per op beside the guest-timed ns/op (best
 * of the runs): futex parks (and among them re-waits that kept their place at the head of the
 * queue: sched/futex.ts park's `again`) and wakes, coroutine switches, bytes allocated and GCs
 * (count and pause time). The counters do not depend on other
 * jobs' load, wall time does. bench/threads/jspi-floor.ts gives V8's own cost per switch for
 * the same number of coroutines.
 *
 * Counters are measured as a difference between a run of Y and of 2Y iterations per thread
 * (thread creation, instantiation and teardown cancel out), so they are per op of the loop only.
 * "cpu ns/op" is the same difference of the kernel thread's CPU time (process.threadCpuUsage: time
 * the OS gave other jobs is not in it; helper threads' GC work is not either).
 * "winGC%" is the share of the timed window (run.ts's Y, guest t0..t1) that the kernel thread spent
 * in GC pauses, "majors" the mark-compacts among them: at 200-1024 threads the pauses that
 * promote what thread creation left in the young generation (~15-25 KB per thread) and the
 * mark-compact the creation's heap growth starts fall inside the window.
 * This machine's VM has no hardware counters for perf; `perf record --perf-basic-prof` works.
 *
 * --locks=L: sysbench's lock count (default 4, as run.ts); 0 runs bare sched_yield loops, the
 * switch alone (a round robin over N threads through the LibOS), beside jspi-floor.ts's V8 floor.
 * --events=E: iterations per event (sysbench's --thread-yields; default 100, as run.ts); 0: each
 * iteration takes the next lock, as sysbench.c did before 2026-12-05.
 *
 *   node bench/threads/profile.ts [N...] [--yields=Y] [--reps=R] [--locks=L] [--events=E]     (default N = 2 64 1024)
 */
import v8 from "node:v8";
import { PerformanceObserver, constants } from "node:perf_hooks";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildGuest } from "../../test/support/guest.ts";
import { makeInstance, run } from "../../test/libos/helpers.ts";
import { executor } from "../../src/libos/sched/executor.ts";
import { futexStats } from "../../src/libos/sched/futex.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const opt = (name: string, d: number): number => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split("=")[1]) : d;
};
const ns = process.argv.slice(2).filter((a) => /^\d+$/.test(a)).map(Number);
const NS = ns.length > 0 ? ns : [2, 64, 1024];
const REPS = opt("reps", 3);
const LOCKS = opt("locks", 4);
const EVENTS = opt("events", 100);
// At least 4 events per thread: a thread's first event starts with the barrier's rush.
const yieldsFor = (n: number): number => opt("yields", Math.max(400, Math.ceil(100000 / n)));

let gcs = 0;
let gcMs = 0;
/** GC pauses on the monotonic clock (ms), to find those inside a run's timed window. */
const pauses: { start: number; ms: number; major: boolean }[] = [];
// performance's time line (from timeOrigin) onto CLOCK_MONOTONIC, which the guest's t0/t1 are on.
const monoOffsetMs = Number(process.hrtime.bigint()) / 1e6 - performance.now();
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcs++;
    gcMs += e.duration;
    const kind = (e as { detail?: { kind?: number } }).detail?.kind;
    pauses.push({ start: e.startTime + monoOffsetMs, ms: e.duration, major: kind === constants.NODE_PERFORMANCE_GC_MAJOR });
  }
}).observe({ entryTypes: ["gc"] });

const wasm = await buildGuest(path.join(here, "sysbench.c"), { mode: "posix", flags: ["-pthread"] });
const inst = await makeInstance({ programs: { "/bin/sysbench": wasm } });

interface Sample { nsPerOp: number; ops: number; cpuNs: number; parks: number; again: number; wakes: number; switches: number; bytes: number; gcs: number; gcMs: number; windowMs: number; windowGcMs: number; windowMajor: number }

async function once(n: number, yields: number): Promise<Sample> {
  // Let pending GC entries arrive before the snapshot.
  await new Promise((r) => setImmediate(r));
  const c0 = process.threadCpuUsage();
  const s0 = { parks: futexStats.parks, again: futexStats.again, wakes: futexStats.wakes, sw: executor.switches, bytes: v8.getHeapStatistics().total_allocated_bytes, gcs, gcMs };
  const r = await run(inst, "/bin/sysbench", { args: [String(n), String(yields), String(LOCKS), "0", String(EVENTS)] });
  if (r.code !== 0) throw new Error(`sysbench ${n}: exit ${r.code} ${r.stderr}`);
  const c1 = process.threadCpuUsage(c0);
  await new Promise((r) => setImmediate(r));
  const m = /ns=(\d+) ops=(\d+) t0=(\d+) t1=(\d+)/.exec(r.stdout);
  if (!m) throw new Error(`unexpected output ${r.stdout}`);
  const ops = Number(m[2]);
  const w0 = Number(m[3]) / 1e6, w1 = Number(m[4]) / 1e6;
  const inWindow = pauses.filter((g) => g.start < w1 && g.start + g.ms > w0);
  return {
    nsPerOp: Number(m[1]) / ops, ops, cpuNs: (c1.user + c1.system) * 1000,
    parks: futexStats.parks - s0.parks, again: futexStats.again - s0.again, wakes: futexStats.wakes - s0.wakes, switches: executor.switches - s0.sw,
    bytes: v8.getHeapStatistics().total_allocated_bytes - s0.bytes, gcs: gcs - s0.gcs, gcMs: gcMs - s0.gcMs,
    windowMs: w1 - w0, windowGcMs: inWindow.reduce((t, g) => t + g.ms, 0), windowMajor: inWindow.filter((g) => g.major).length,
  };
}

const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log("N   min ns/op  cpu ns/op  parks/op again/op wakes/op switch/op  B/op   GC/kop  GCms/kop  winGC%  majors   (counters: 2Y run - Y run; winGC%: GC pauses inside the Y runs' timed windows, median; majors: mark-compacts there, total)");
for (const n of NS) {
  const y = yieldsFor(n);
  await once(n, y); // warm-up
  const rows: { a: Sample; b: Sample }[] = [];
  for (let i = 0; i < REPS; i++) rows.push({ a: await once(n, y), b: await once(n, 2 * y) });
  const per = (f: (s: Sample) => number): number => med(rows.map(({ a, b }) => (f(b) - f(a)) / (b.ops - a.ops)));
  // The best of the runs: other jobs on a shared machine only add.
  const ns = Math.min(...rows.flatMap(({ a, b }) => [a.nsPerOp, b.nsPerOp]));
  console.log(
    `${String(n).padEnd(5)} ${ns.toFixed(0).padStart(9)} ${per((s) => s.cpuNs).toFixed(0).padStart(10)} ${per((s) => s.parks).toFixed(3).padStart(9)} ${per((s) => s.again).toFixed(3).padStart(8)} ${per((s) => s.wakes).toFixed(3).padStart(8)}` +
      ` ${per((s) => s.switches).toFixed(3).padStart(9)} ${per((s) => s.bytes).toFixed(0).padStart(6)} ${(per((s) => s.gcs) * 1000).toFixed(2).padStart(8)}` +
      ` ${(per((s) => s.gcMs) * 1000).toFixed(2).padStart(9)}` +
      ` ${(med(rows.map(({ a }) => (100 * a.windowGcMs) / a.windowMs))).toFixed(1).padStart(7)} ${String(rows.reduce((t, { a }) => t + a.windowMajor, 0)).padStart(7)}`,
  );
}
await inst.cleanup();
