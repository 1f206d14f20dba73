/**
 * The thread-per-thread baseline: what a runtime without coroutines does. Every guest thread is
 * its own worker_thread (an OS thread) running an instance of the unmodified module on the shared
 * memory; futex_wait blocks the worker in Atomics.wait, futex_wake is Atomics.notify. Only the
 * imports the bench programs use are real (args, clock, fd_write to a collected stdout, futexes,
 * thread-spawn, exits); sched_yield has no JS counterpart and returns at once. Not a LibOS: no
 * isolation, no fds, no limits. For bench/threads/run.ts only.
 *
 *   runThreadPerThread(wasmBytes, argv) => Promise<{ code, stdout }>
 *   node bench/threads/tpt-runner.ts <module.wasm> <argv0> [args...]   (prints the guest's stdout, exits with its code)
 *
 * run.ts uses the command form: a child process per run, so the 200 worker isolates' start-up and
 * teardown (and what they leave to the process: GC, freed code) never share a process, or a
 * moment, with the other configurations' timed runs.
 */
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { readImports } from "../../src/libos/loader/wasm-info.ts";

interface Data {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctl: SharedArrayBuffer;
  tid: number;
  arg: number;
  main: boolean;
  argv: string[];
}

type Msg = { spawn: true; tid: number; arg: number } | { exit: number } | { out: string };

const self = fileURLToPath(import.meta.url);

export function runThreadPerThread(bytes: Uint8Array, argv: string[]): Promise<{ code: number; stdout: string }> {
  const module = new WebAssembly.Module(bytes);
  const imp = readImports(bytes).find((i) => i.kind === "memory");
  if (!imp || imp.kind !== "memory") throw new Error("the module imports no memory");
  const memory = new WebAssembly.Memory({ initial: imp.initial, maximum: imp.maximum ?? 65536, shared: true });
  const ctl = new SharedArrayBuffer(8);
  new Int32Array(ctl)[0] = 2; // next tid; the main thread is 1
  const workers = new Set<Worker>();
  let stdout = "";
  return new Promise((resolve, reject) => {
    let finished = false;
    // Resolves once every worker has exited: a run that returned while 200 isolates were still
    // being torn down left that work on the 2 cores during the next configuration's timed run.
    const finish = (code: number): void => {
      if (finished) return;
      finished = true;
      const exits = [...workers].map((w) => new Promise((r) => w.once("exit", r)).then(() => undefined));
      for (const w of workers) void w.terminate();
      void Promise.all(exits).then(() => resolve({ code, stdout }));
    };
    const spawn = (tid: number, arg: number, main: boolean): void => {
      if (finished) return;
      const data: Data = { module, memory, ctl, tid, arg, main, argv };
      const w = new Worker(self, { workerData: data, stdout: false, resourceLimits: { stackSizeMb: 4 } });
      workers.add(w);
      w.on("message", (m: Msg) => {
        if ("spawn" in m) spawn(m.tid, m.arg, false);
        else if ("exit" in m) finish(m.exit);
        else stdout += m.out;
      });
      w.on("error", (e) => {
        if (!finished) reject(e);
        finish(134);
      });
      w.on("exit", () => workers.delete(w));
    };
    spawn(1, 0, true);
  });
}

class Exit extends Error {}

function workerMain(d: Data): void {
  const post = (m: Msg): void => parentPort!.postMessage(m);
  const mem = d.memory;
  const dv = (): DataView => new DataView(mem.buffer);
  const i32 = (): Int32Array => new Int32Array(mem.buffer);
  const ctl = new Int32Array(d.ctl);
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const argBytes = d.argv.map((a) => enc.encode(a + "\0"));
  const exit = (code: number): never => {
    post({ exit: code });
    throw new Exit();
  };
  const wasi: Record<string, (...a: never[]) => unknown> = {
    args_sizes_get: (argc: number, size: number) => {
      dv().setUint32(argc, argBytes.length, true);
      dv().setUint32(size, argBytes.reduce((n, b) => n + b.length, 0), true);
      return 0;
    },
    args_get: (argv: number, buf: number) => {
      const u8 = new Uint8Array(mem.buffer);
      let p = buf;
      argBytes.forEach((b, k) => {
        dv().setUint32(argv + 4 * k, p, true);
        u8.set(b, p);
        p += b.length;
      });
      return 0;
    },
    environ_sizes_get: (n: number, size: number) => (dv().setUint32(n, 0, true), dv().setUint32(size, 0, true), 0),
    environ_get: () => 0,
    clock_time_get: (id: number, _p: bigint, out: number) => {
      dv().setBigUint64(out, id === 0 ? BigInt(Date.now()) * 1_000_000n : process.hrtime.bigint(), true);
      return 0;
    },
    fd_write: (_fd: number, iovs: number, n: number, out: number) => {
      let s = "";
      let total = 0;
      for (let k = 0; k < n; k++) {
        const ptr = dv().getUint32(iovs + 8 * k, true);
        const len = dv().getUint32(iovs + 8 * k + 4, true);
        s += dec.decode(new Uint8Array(mem.buffer).slice(ptr, ptr + len));
        total += len;
      }
      post({ out: s });
      dv().setUint32(out, total, true);
      return 0;
    },
    fd_fdstat_get: (_fd: number, out: number) => {
      new Uint8Array(mem.buffer).fill(0, out, out + 24);
      dv().setUint8(out, 2); // character device
      return 0;
    },
    fd_close: () => 0,
    fd_seek: () => 70, // ESPIPE
    sched_yield: () => 0,
    proc_exit: (code: number) => exit(code),
  };
  const wasix: Record<string, (...a: never[]) => unknown> = {
    futex_wait: (ptr: number, expected: number, to: number, out: number) => {
      const some = dv().getUint8(to) !== 0;
      const ms = some ? Number(dv().getBigUint64(to + 8, true)) / 1e6 : Infinity;
      const r = Atomics.wait(i32(), ptr >> 2, expected | 0, ms);
      dv().setUint8(out, r === "timed-out" ? 0 : 1);
      return 0;
    },
    futex_wake: (ptr: number, out: number) => (dv().setUint8(out, Atomics.notify(i32(), ptr >> 2, 1) > 0 ? 1 : 0), 0),
    futex_wake_all: (ptr: number, out: number) => (dv().setUint8(out, Atomics.notify(i32(), ptr >> 2) > 0 ? 1 : 0), 0),
    thread_exit: () => {
      throw new Exit();
    },
    thread_id: (out: number) => (dv().setUint32(out, d.tid, true), 0),
    // sysbench.c's timed mode: main sleeps through the run (an OS thread's sleep: its worker blocks).
    thread_sleep: (ns: bigint) => (Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(ns) / 1e6), 0),
    proc_exit2: (code: number) => exit(code),
    proc_signals_sizes_get: (out: number) => (dv().setUint32(out, 0, true), 0),
    proc_signals_get: () => 0,
    callback_signal: () => 0,
    thread_signal: () => 0,
  };
  const imports: Record<string, Record<string, unknown>> = {};
  for (const i of WebAssembly.Module.imports(d.module)) {
    const ns = (imports[i.module] ??= {});
    if (i.kind === "memory") ns[i.name] = mem;
    else if (i.kind !== "function") continue;
    else if (i.module === "wasi" && i.name === "thread-spawn") {
      ns[i.name] = (arg: number) => {
        const tid = Atomics.add(ctl, 0, 1);
        post({ spawn: true, tid, arg });
        return tid;
      };
    } else ns[i.name] = (i.module === "wasi_snapshot_preview1" ? wasi[i.name] : wasix[i.name]) ?? (() => 52);
  }
  const inst = new WebAssembly.Instance(d.module, imports as WebAssembly.Imports);
  try {
    if (d.main) {
      (inst.exports._start as () => void)();
      exit(0);
    } else {
      (inst.exports.wasi_thread_start as (tid: number, arg: number) => void)(d.tid, d.arg);
    }
  } catch (e) {
    if (e instanceof Exit) return;
    post({ exit: 134 });
  }
}

if (!isMainThread && workerData && (workerData as Data).module) workerMain(workerData as Data);
else if (isMainThread && process.argv[1] === self) {
  const { readFile } = await import("node:fs/promises");
  const [wasmPath, ...argv] = process.argv.slice(2);
  const r = await runThreadPerThread(await readFile(wasmPath!), argv);
  process.stdout.write(r.stdout);
  process.exitCode = r.code;
}
