/**
 * Where the fuel check's cost goes on call-heavy code (issue 6): hand-assembled variants of the
 * recursive fib that clang -O2 emits for `n < 2 ? n : fib(n - 1) + fib(n - 2)` (one call turned
 * into a loop: `acc = 0; if (n >= 2) do { t = n; n -= 2; acc += fib(t - 1); } while (t > 3);
 * return n + acc`), each with a different per-call check. ~1 ns of work per call (V8 inlines
 * the recursion 4 levels deep), so every instruction added to a call shows.
 *
 *   ./node_modules/.bin/node bench/instrument/fib-checks.ts [--procs 6] [--reps 13] [--n 32]
 *
 * Each variant runs in each of `procs` fresh processes (V8's tiering and code layout differ
 * between processes: the uninstrumented fib runs at ~3.5 or ~5.3 ms in different processes),
 * interleaved with the others, best of `reps`; the table gives the median over processes of
 * (variant / plain - 1). Variants marked unsound are not usable designs: they show what a part
 * of a check costs. Results: bench/results/instrument-fib-checks.json.
 */

import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { I, ModuleBuilder, T, Wasm } from "../../src/libos/loader/instrument/test-asm.ts";

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};

interface Variant { name: string; sound: boolean; what: string }
const VARIANTS: Variant[] = [
  { name: "plain", sound: true, what: "uninstrumented (the baseline)" },
  { name: "global", sound: true, what: "charge the fuel global at entry (load, sub, store, test)" },
  { name: "param", sound: true, what: "fuel in a parameter/result, charge + test at entry (fuel-pass.ts)" },
  { name: "param-hint", sound: true, what: "param, the test's slow path hinted unlikely (metadata.code.branch_hint)" },
  { name: "param-callsite", sound: true, what: "param, charge + test in the caller before each call" },
  { name: "param-nocheck", sound: false, what: "fuel passed through, never charged" },
  { name: "param-deconly", sound: false, what: "fuel charged at entry, never tested" },
  { name: "param-sunk", sound: false, what: "charge at entry, test after the leaf exit (a loop of leaf calls never tests)" },
  { name: "param-sunk-looptest", sound: true, what: "param-sunk + a test of the fuel at the top of the loop" },
  { name: "param-sunk-counter", sound: true, what: "param-sunk + a per-invocation loop counter checked per iteration" },
  { name: "param-sunk-leaftest", sound: true, what: "param-sunk + a test on the leaf exit (every call tests once)" },
  { name: "flag-global", sound: false, what: "load-only test of a global (nothing can set it while wasm runs)" },
  { name: "flag-shared", sound: true, what: "load-only test of a word in an imported shared memory (a watchdog thread sets it)" },
  { name: "flag-shared-atomic", sound: true, what: "flag-shared with i32.atomic.load" },
];

const uleb = (v: number): number[] => {
  const o: number[] = [];
  do { let x = v & 0x7f; v >>>= 7; if (v) x |= 0x80; o.push(x); } while (v);
  return o;
};

/** The module for one variant: exports fib(n). */
function fibModule(kind: string): Uint8Array {
  const m = new ModuleBuilder();
  const param = kind.startsWith("param");
  const ti = m.type(param ? [T.i32, T.i32] : [T.i32], param ? [T.i32, T.i32] : [T.i32]);
  const t1 = m.type([T.i32], [T.i32]);
  const tv = m.type([], []);
  const y = m.importFunc("occlum", "yield_check", tv);
  if (kind.startsWith("flag-shared")) m.importMemory("occlum", "flag", 1, 1, true); // memory 0
  m.memory(1);
  const G = m.global(T.i32, true, [I.i32Const(1 << 30)]);
  // Locals: n, [fuel], acc, t, c (loop counter).
  const F = 1, acc = param ? 2 : 1, t = acc + 1, c = t + 1;
  const fib = y + 1;
  const slow = [I.localGet(F), I.globalSet(G), I.call(y), I.globalGet(G), I.localSet(F)];
  const test = [I.localGet(F), I.i32Const(0), I.i32LtS, I.if(), ...slow, I.end];
  const charge = [I.localGet(F), I.i32Const(1), I.i32Sub, I.localSet(F)];
  const chargeTest = [I.localGet(F), I.i32Const(1), I.i32Sub, I.localTee(F), I.i32Const(0), I.i32LtS, I.if(), ...slow, I.end];
  const sunk = kind.startsWith("param-sunk");
  let entry: number[][] = [];
  switch (kind) {
    case "global": {
      entry = [I.globalGet(G), I.i32Const(1), I.i32Sub, I.localTee(t), I.globalSet(G), I.localGet(t), I.i32Const(0),
        I.i32LtS, I.if(), I.call(y), I.end];
      break;
    }
    case "param": case "param-hint": entry = chargeTest; break;
    case "param-deconly": entry = charge; break;
    case "flag-global": entry = [I.globalGet(G), I.i32Eqz, I.if(), I.call(y), I.end]; break;
    case "flag-shared": entry = [I.i32Const(16), [0x28, 0x42, 0x00, 0x00], I.if(), I.call(y), I.end]; break;
    case "flag-shared-atomic": entry = [I.i32Const(16), [0xfe, 0x10, 0x42, 0x00, 0x00], I.if(), I.call(y), I.end]; break;
    default: if (sunk) entry = charge;
  }
  const call = kind === "param-callsite" ? [...chargeTest, I.localGet(F), I.call(fib), I.localSet(F)]
    : param ? [I.localGet(F), I.call(fib), I.localSet(F)] : [I.call(fib)];
  const counter = kind === "param-sunk-counter";
  const leafTest = kind === "param-sunk-leaftest";
  const body = [
    ...entry,
    ...(counter ? [I.i32Const(4096), I.localSet(c)] : []),
    I.i32Const(0), I.localSet(acc),
    ...(leafTest ? [I.block()] : []), // leaf exit: block $leaf; ... br $done; end $leaf; test
    I.block(),
    I.localGet(0), I.i32Const(2), I.i32LtS, I.brIf(0),
    ...(sunk ? test : []),
    I.loop(),
    ...(kind === "param-sunk-looptest" ? test : []),
    ...(counter ? [I.localGet(c), I.i32Const(1), I.i32Sub, I.localTee(c), I.i32Const(0), I.i32LtS, I.if(),
      ...chargeTest, I.i32Const(4096), I.localSet(c), I.end] : []),
    I.localGet(0), I.localTee(t), I.i32Const(-2), I.i32Add, I.localSet(0),
    I.localGet(t), I.i32Const(-1), I.i32Add, ...call,
    I.localGet(acc), I.i32Add, I.localSet(acc),
    I.localGet(t), I.i32Const(3), [0x4b], I.brIf(0), // i32.gt_u
    I.end, ...(leafTest ? [I.br(1)] : []), I.end,
    ...(leafTest ? [...test, I.end] : []),
    I.localGet(0), I.localGet(acc), I.i32Add, ...(param ? [I.localGet(F)] : []),
  ];
  const f = m.func(ti, body, [[3, T.i32]]);
  if (kind === "param-hint") {
    // Offset of the entry test's `if` from the start of the body (the locals vector: 3 bytes).
    const at = 3 + entry.flat().indexOf(0x04);
    m.custom("metadata.code.branch_hint", [1, ...uleb(f), 1, ...uleb(at), 1, 0], true);
  }
  m.export("fib", "func", m.func(t1, param
    ? [I.localGet(0), I.globalGet(G), I.call(f), I.globalSet(G)]
    : [I.localGet(0), I.call(f)]));
  return m.build();
}

/** One process: every variant interleaved, best of `reps`; prints JSON {name: bestMs}. */
function child(reps: number, n: number): void {
  const flag = new (Wasm as unknown as { Memory: new (d: object) => object }).Memory({ initial: 1, maximum: 1, shared: true });
  const fns = VARIANTS.map((v) => {
    const inst = new Wasm.Instance(new Wasm.Module(fibModule(v.name)), { occlum: { yield_check: () => {}, flag } });
    return inst.exports.fib as (n: number) => number;
  });
  const expect = fns[0]!(n);
  fns.forEach((f, i) => {
    for (let k = 0; k < 3; k++) if (f(n) !== expect) throw new Error(`${VARIANTS[i]!.name}: fib(${n}) = ${f(n)}, expected ${expect}`);
  });
  const best = VARIANTS.map(() => Infinity);
  for (let r = 0; r < reps; r++) {
    const order = [...VARIANTS.keys()];
    if (r % 2) order.reverse();
    for (const i of order) {
      const t0 = performance.now();
      fns[i]!(n);
      best[i] = Math.min(best[i]!, performance.now() - t0);
    }
  }
  console.log(JSON.stringify(Object.fromEntries(VARIANTS.map((v, i) => [v.name, best[i]]))));
}

const here = path.dirname(fileURLToPath(import.meta.url));
if (process.argv.includes("--child")) {
  child(arg("reps", 13), arg("n", 32));
} else {
  const procs = arg("procs", 6);
  const perProc: Record<string, number>[] = [];
  for (let p = 0; p < procs; p++) {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--child", "--reps", String(arg("reps", 13)),
      "--n", String(arg("n", 32))], { encoding: "utf8" });
    perProc.push(JSON.parse(out.trim().split("\n").pop()!) as Record<string, number>);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const rows = VARIANTS.map((v) => {
    const ratios = perProc.map((r) => (r[v.name]! / r.plain! - 1) * 100);
    return {
      variant: v.name, sound: v.sound, "median overhead %": +median(ratios).toFixed(1),
      "per process %": ratios.map((x) => x.toFixed(1)).join(" "), what: v.what,
    };
  });
  const result = { date: new Date().toISOString(), node: process.version, procs, reps: arg("reps", 13), n: arg("n", 32), perProcessMs: perProc, rows };
  mkdirSync(path.join(here, "..", "results"), { recursive: true });
  writeFileSync(path.join(here, "..", "results", "instrument-fib-checks.json"), JSON.stringify(result, null, 2) + "\n");
  console.table(rows.map(({ what: _w, ...r }) => r));
}
