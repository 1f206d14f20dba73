/**
 * Thread scheduling bench (issue 6): the same C programs in three configurations, in one run.
 *
 * - occlum-ts: the LibOS with its default vCPUs (one per core; affine placement keeps these
 *   programs' threads next to main on the kernel thread); guest threads are JSPI coroutines,
 *   futexes are kernel wait queues, sched_yield is a run-queue switch; through runInstance.
 * - thread-per-thread: every guest thread its own worker_thread, futex waits in Atomics.wait
 *   (tpt-runner.ts: what a runtime without coroutines does), in a child process per run. Its
 *   sched_yield returns at once (JS has no yield of an OS thread), which favours it on the
 *   sysbench loop.
 * - native: gcc -O2 -pthread build of the same C on this Linux, a child process per run.
 *
 * Workloads: pingpong.c (2 threads hand a mutex+condvar turn back and forth; op = one hand-over)
 * and sysbench.c (`sysbench threads --thread-yields=100 --thread-locks=4 --time`: N threads doing
 * events of 100 iterations of lock(m) / sched_yield / unlock, each event on the next of L mutexes
 * by a process-wide count, for SYSBENCH_MS; op = one iteration), timed inside the guest from a barrier every
 * thread has passed (thread creation excluded) to the end of the last thread's loop (thread
 * exits and joins excluded: sysbench.c's header). Median of ROUNDS runs.
 * JSON → bench/results/threads.json; a table on stdout.
 *
 *   node bench/threads/run.ts [--quick]      BENCH_TPT_MAX=N: largest N for thread-per-thread (200)
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { buildGuest } from "../../test/support/guest.ts";
import { makeInstance, run } from "../../test/libos/helpers.ts";

const exec = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes("--quick");
const ROUNDS = quick ? 1 : 3;
const PING_ROUNDS = quick ? 2000 : 50000; // ≥ 40k hand-overs, as sysbench: 10k measured the JIT warming up (2-3x the steady state)
/**
 * sysbench runs for a fixed time, the same for every configuration and N (before 2026-12-04
 * 10:40 UTC: a fixed 40k ops, at least 100 per thread, timed to the last join, so at 1024 threads
 * the window held 1024 thread exits and joins against 100 ops each, and occlum-ts's ~0.15 s
 * window the garbage collection of what creating 1024 threads left behind).
 */
const SYSBENCH_MS = quick ? 200 : 1000;
/** sysbench's --thread-yields (unused by sysbench.c's timed mode; in the JSON for the record). */
const YIELDS = 100;
const LOCKS = 4;
const NS = quick ? [2, 8, 64] : [2, 8, 64, 200, 1024];
const TPT_MAX = Number(process.env.BENCH_TPT_MAX ?? 200);

type Config = "occlum-ts" | "thread-per-thread" | "native";

interface Row {
  workload: string;
  threads: number;
  config: Config;
  nsPerOp: number | null;
  /** sysbench: the fewest ops a thread did ÷ the mean (sysbench's "threads fairness"; 1 = even), in the median run. */
  fairness?: number;
  note?: string;
}

interface Run { nsPerOp: number; fairness?: number }

function parse(out: string, threads: number): Run {
  const m = /ns=(\d+) ops=(\d+)/.exec(out);
  if (!m) throw new Error(`unexpected output: ${JSON.stringify(out)}`);
  const ops = Number(m[2]);
  const min = /min_ops=(\d+)/.exec(out);
  return { nsPerOp: Number(m[1]) / ops, ...(min ? { fairness: Number(min[1]) / (ops / threads) } : {}) };
}

function median(xs: Run[]): Run {
  const s = [...xs].sort((a, b) => a.nsPerOp - b.nsPerOp);
  return s[Math.floor(s.length / 2)]!;
}

const sources = { pingpong: path.join(here, "pingpong.c"), sysbench: path.join(here, "sysbench.c") };
const wasm = {
  pingpong: await buildGuest(sources.pingpong, { mode: "posix", flags: ["-pthread"] }),
  sysbench: await buildGuest(sources.sysbench, { mode: "posix", flags: ["-pthread"] }),
};
const tmp = await mkdtemp(path.join(os.tmpdir(), "occlum-bench-threads-"));
const native = { pingpong: path.join(tmp, "pingpong"), sysbench: path.join(tmp, "sysbench") };
let nativeOk = true;
try {
  for (const k of ["pingpong", "sysbench"] as const) await exec("gcc", ["-O2", "-pthread", "-o", native[k], sources[k]]);
} catch (e) {
  nativeOk = false;
  console.error(`native build failed (${(e as Error).message.split("\n")[0]}): native rows skipped`);
}
const inst = await makeInstance({ programs: { "/bin/pingpong": wasm.pingpong, "/bin/sysbench": wasm.sysbench } });

async function once(config: Config, prog: "pingpong" | "sysbench", args: string[], threads: number): Promise<Run> {
  let out: string;
  if (config === "occlum-ts") {
    const r = await run(inst, `/bin/${prog}`, { args });
    if (r.code !== 0) throw new Error(`occlum-ts ${prog} ${args.join(" ")}: exit ${r.code} ${r.stderr}`);
    out = r.stdout;
  } else if (config === "thread-per-thread") {
    // Its own process (tpt-runner.ts), waited for to the end: see tpt-runner.ts's header.
    out = (await exec(process.execPath, [...process.execArgv, path.join(here, "tpt-runner.ts"), wasm[prog], prog, ...args], { maxBuffer: 1 << 20 })).stdout;
  } else {
    out = (await exec(native[prog], args)).stdout;
  }
  return parse(out, threads);
}

async function measure(workload: string, threads: number, config: Config, prog: "pingpong" | "sysbench", args: string[]): Promise<Row> {
  if (config === "native" && !nativeOk) return { workload, threads, config, nsPerOp: null, note: "no gcc" };
  if (config === "thread-per-thread" && threads > TPT_MAX) {
    return { workload, threads, config, nsPerOp: null, note: `skipped: ${threads} workers (BENCH_TPT_MAX=${TPT_MAX})` };
  }
  const xs: Run[] = [];
  await once(config, prog, args, threads); // warm-up (JIT tiers, compile cache), not counted
  for (let i = 0; i < ROUNDS; i++) xs.push(await once(config, prog, args, threads));
  const m = median(xs);
  return { workload, threads, config, nsPerOp: m.nsPerOp, ...(prog === "sysbench" && m.fairness !== undefined ? { fairness: m.fairness } : {}) };
}

const configs: Config[] = ["occlum-ts", "thread-per-thread", "native"];
const rows: Row[] = [];
for (const c of configs) rows.push(await measure("pingpong", 2, c, "pingpong", [String(PING_ROUNDS)]));
for (const n of NS) for (const c of configs) rows.push(await measure("sysbench", n, c, "sysbench", [String(n), String(YIELDS), String(LOCKS), String(SYSBENCH_MS)]));
await inst.cleanup();
await rm(tmp, { recursive: true, force: true });

const ours = (w: string, n: number): number | null => rows.find((r) => r.workload === w && r.threads === n && r.config === "occlum-ts")?.nsPerOp ?? null;
const table = rows.map((r) => {
  const base = ours(r.workload, r.threads);
  const speedup = r.nsPerOp !== null && base ? r.nsPerOp / base : null;
  return { ...r, occlumSpeedup: speedup };
});
const result = {
  bench: "threads", date: new Date().toISOString(), node: process.version, cpus: os.cpus().length,
  params: { rounds: ROUNDS, pingRounds: PING_ROUNDS, sysbenchMs: SYSBENCH_MS, events: 100, window: "barrier after thread creation .. last thread's loop end (exits and joins excluded)", locks: LOCKS },
  baseline: "each row's ns/op; occlumSpeedup = that row's ns/op / occlum-ts ns/op (>1: occlum-ts faster)",
  rows: table,
};
const resultsDir = path.join(here, "..", "results");
await mkdir(resultsDir, { recursive: true });
await writeFile(path.join(resultsDir, "threads.json"), JSON.stringify(result, null, 2) + "\n");

console.log(`thread scheduling, ns per op (median of ${ROUNDS}); x = config's ns/op ÷ occlum-ts ns/op`);
console.log("workload   N     occlum-ts    thread-per-thread       native");
const keys = [...new Set(rows.map((r) => `${r.workload}:${r.threads}`))];
for (const k of keys) {
  const [w, n] = k.split(":");
  const cell = (c: Config): string => {
    const r = table.find((x) => x.workload === w && x.threads === Number(n) && x.config === c)!;
    if (r.nsPerOp === null) return "—".padStart(20);
    const v = r.nsPerOp.toFixed(0);
    return (c === "occlum-ts" ? v : `${v} (${r.occlumSpeedup!.toFixed(2)}x)`).padStart(c === "occlum-ts" ? 12 : 20);
  };
  console.log(`${w!.padEnd(9)} ${n!.padStart(4)} ${cell("occlum-ts")} ${cell("thread-per-thread")} ${cell("native")}`);
}
console.log("\nsysbench fairness: the fewest ops a thread did ÷ the mean (1 = every thread did as much; sysbench's \"threads fairness\")");
console.log("   N   occlum-ts  thread-per-thread   native");
for (const n of NS) {
  const f = (c: Config): string => {
    const r = rows.find((x) => x.workload === "sysbench" && x.threads === n && x.config === c);
    return (r?.fairness === undefined ? "—" : r.fairness.toFixed(3)).padStart(c === "thread-per-thread" ? 18 : 10);
  };
  console.log(`${String(n).padStart(4)}  ${f("occlum-ts")} ${f("thread-per-thread")} ${f("native")}`);
}
