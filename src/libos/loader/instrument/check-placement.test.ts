/**
 * Where the instrumenter puts its preemption checks (instrument.ts, point 2): entry charges,
 * covered loops, loop refills, indirect calls by type class, and JSPI suspension at yield_check.
 * The rewrite itself (atomics, renumbering, encodings) is tested in instrument.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FUEL_EXPORT, instrument, type InstrumentOptions } from "./instrument.ts";
import { I, instantiateFueled, loopsAndRecursion, ModuleBuilder, T, Wasm, type WasmGlobal } from "./test-asm.ts";
import { lebEnd, readU32 } from "./bytes.ts";
import { EventList, type ScanContext, scanExpr } from "./code-scan.ts";
import { readModuleInfo, SectionId } from "./module-info.ts";
import { skipValType } from "./opcodes.ts";

const both: InstrumentOptions = { rewriteAtomics: true, preemption: true };

/** Instantiate with a counting yield_check that refills `fuel` units each time. */
function run(bytes: Uint8Array, env: Record<string, unknown> = {}, fuel = 1000, occlum: Record<string, unknown> = {}) {
  return instantiateFueled(bytes, fuel, Infinity, { env, occlum });
}

test("entry charges go only to recursive functions and heads of long loop-free call chains", () => {
  // a -> b -> c, no loops, no recursion: nothing to instrument at all.
  const plain = new ModuleBuilder();
  const vi = plain.type([], [T.i32]);
  const c = plain.func(vi, [I.i32Const(1)]);
  const bf = plain.func(vi, [I.call(c), I.call(c), I.i32Add]);
  plain.export("a", "func", plain.func(vi, [I.call(bf), I.i32Const(1), I.i32Add]));
  assert.equal(instrument(plain.build(), both).changed, false);

  // Mutual recursion through the table: even -> (call_indirect) odd -> even.
  const m = new ModuleBuilder();
  const ii = m.type([T.i32], [T.i32]);
  m.table(1);
  const even = m.func(ii, [
    I.localGet(0), I.i32Eqz, I.if(T.i32), I.i32Const(1), I.else,
    I.localGet(0), I.i32Const(1), I.i32Sub, I.i32Const(0), I.callIndirect(ii), I.end,
  ]);
  const odd = m.func(ii, [
    I.localGet(0), I.i32Eqz, I.if(T.i32), I.i32Const(0), I.else,
    I.localGet(0), I.i32Const(1), I.i32Sub, I.call(even), I.end,
  ]);
  const helper = m.func(ii, [I.localGet(0), I.call(even)]); // calls into the cycle, not part of it
  m.elem([0x00, ...I.i32Const(0), 0x0b, 1, odd]);
  m.export("even", "func", even);
  m.export("helper", "func", helper);
  const r = instrument(m.build(), { ...both, initialFuel: 5 });
  assert.equal(r.stats.entryChecks, 2);
  const st = run(r.bytes, {}, 5);
  const e = st.exports as Record<string, (x: number) => number>;
  assert.equal(e.even!(1001), 0);
  assert.equal(e.helper!(1000), 1);
  assert.ok(st.yields >= 300, `${st.yields} yields`);

  // f_k calls f_{k+1} twice: 2^(30-k) calls from f_k, no loops, no recursion.
  const fan = new ModuleBuilder();
  const fvi = fan.type([], [T.i32]);
  const levels = 30;
  for (let k = 0; k < levels; k++) {
    fan.func(fvi, k === levels - 1 ? [I.i32Const(1)] : [I.call(k + 1), I.call(k + 1), I.i32Add]);
  }
  fan.export("f0", "func", 0);
  fan.export("f24", "func", 24);
  const fr = instrument(fan.build(), both);
  assert.ok(fr.stats.entryChecks >= 1 && fr.stats.entryChecks <= 5, `${fr.stats.entryChecks} charged`);
  assert.equal((run(fr.bytes).exports.f24 as () => number)(), 32);
});

/** Instantiate, run `fn` (which never returns by itself) and expect yield_check to stop it. */
function preemptedAfter(bytes: Uint8Array, fn: string, env: Record<string, unknown> = {}): number {
  const st = instantiateFueled(bytes, 50, 20, { env });
  assert.throws(() => (st.exports[fn] as () => void)(), /preempted/);
  return st.yields;
}

/** Loop instructions per defined function body (code-scan's count), in function order. */
function loopHeaders(bytes: Uint8Array): number[] {
  const info = readModuleInfo(bytes);
  const code = info.sections.find((s) => s.id === SectionId.Code)!;
  const ctx: ScanContext = {
    events: new EventList(), funcRefMin: Infinity, loops: false, wrapLoops: false, typeParams: info.typeParams,
    atomics: null, sawCall: false, sawIndirect: false, loopCount: 0,
  };
  const counts: number[] = [];
  let n = readU32(bytes, code.start);
  let p = lebEnd[0]!;
  for (; n > 0; n--) {
    const size = readU32(bytes, p);
    const start = lebEnd[0]!;
    let entries = readU32(bytes, start);
    let q = lebEnd[0]!;
    for (; entries > 0; entries--) { readU32(bytes, q); q = skipValType(bytes, lebEnd[0]!); }
    scanExpr(bytes, q, start + size, ctx);
    counts.push(ctx.loopCount);
    p = start + size;
  }
  return counts;
}

test("a loop whose every iteration starts by calling an entry-charged function gets no check of its own", () => {
  for (const checkStyle of ["local-counter", "global"] as const) {
    const m = new ModuleBuilder();
    const ii = m.type([T.i32], [T.i32]);
    const v = m.type([], []);
    const tick = m.importFunc("env", "tick", v);
    // depth(n): recursive, so charged at entry.
    const depth = m.func(ii, [
      I.localGet(0), I.i32Eqz, I.if(T.i32), I.i32Const(0), I.else,
      I.localGet(0), I.i32Const(1), I.i32Sub, I.call(1), I.i32Const(1), I.i32Add, I.end,
    ]);
    const leaf = m.func(ii, [I.localGet(0), I.i32Const(3), I.i32Mul]);
    // Covered: plain instructions, then the call, on every path through the body.
    m.export("covered", "func", m.func(v, [I.loop(), I.i32Const(1), I.i32Const(2), I.i32Add, I.call(depth), I.drop, I.br(0), I.end]));
    // Not covered: the call is conditional (inside an if), so a path skips it.
    m.export("conditional", "func", m.func(v, [
      I.loop(), I.localGet(0), I.if(), I.i32Const(1), I.call(depth), I.drop, I.end, I.br(0), I.end,
    ], [[1, T.i32]]));
    // Not covered: a back-edge (br_if 0) before the call.
    m.export("branchFirst", "func", m.func(v, [
      I.loop(), I.i32Const(1), I.brIf(0), I.i32Const(1), I.call(depth), I.drop, I.br(0), I.end,
    ]));
    // Not covered: the first call goes to an uncharged leaf, or to an import.
    m.export("leafFirst", "func", m.func(v, [I.loop(), I.i32Const(1), I.call(leaf), I.drop, I.br(0), I.end]));
    m.export("importFirst", "func", m.func(v, [I.loop(), I.call(tick), I.i32Const(1), I.call(depth), I.drop, I.br(0), I.end]));
    const input = m.build();
    const r = instrument(input, { ...both, checkStyle, initialFuel: 50, loopBudget: 64 });
    assert.equal(r.stats.coveredLoops, 1, checkStyle);
    assert.equal(r.stats.loopChecks, 4, checkStyle);
    // Every one of these loops calls something, so none is wrapped (only call-free loops are:
    // code-scan.ts): the checks sit inline, and no loop gains a refill loop ($outer).
    const before = loopHeaders(input);
    const after = loopHeaders(r.bytes);
    assert.deepEqual(after.slice(0, before.length), before, checkStyle);
    // Each would spin forever without a check; each is still switched out.
    for (const fn of ["covered", "conditional", "branchFirst", "leafFirst", "importFirst"]) {
      assert.equal(preemptedAfter(r.bytes, fn, { tick: () => {} }), 20, `${fn} (${checkStyle})`);
    }
  }
  // A covered loop nested in a counted one, in a function that still counts: both stay bounded
  // and the results are unchanged.
  const m = new ModuleBuilder();
  const ii = m.type([T.i32], [T.i32]);
  const rec = m.func(ii, [
    I.localGet(0), I.i32Const(2), I.i32LtS, I.if(T.i32), I.localGet(0), I.else,
    I.localGet(0), I.i32Const(1), I.i32Sub, I.call(0), I.localGet(0), I.i32Const(2), I.i32Sub, I.call(0), I.i32Add, I.end,
  ]);
  // sumfib(n) = sum over i < n, j < 4 of fib(j + 5) + i; the call comes first in the inner loop.
  m.export("sumfib", "func", m.func(ii, [
    I.block(), I.loop(), I.localGet(1), I.localGet(0), I.i32GeU, I.brIf(1),
    I.i32Const(0), I.localSet(3),
    I.loop(),
    I.localGet(3), I.i32Const(5), I.i32Add, I.call(rec), I.localGet(2), I.i32Add, I.localGet(1), I.i32Add, I.localSet(2),
    I.localGet(3), I.i32Const(1), I.i32Add, I.localTee(3), I.i32Const(4), I.i32LtU, I.brIf(0), I.end,
    I.localGet(1), I.i32Const(1), I.i32Add, I.localSet(1), I.br(0), I.end, I.end, I.localGet(2),
  ], [[3, T.i32]]));
  const bytes = m.build();
  const r = instrument(bytes, { ...both, initialFuel: 10, loopBudget: 10 });
  assert.deepEqual([r.stats.coveredLoops, r.stats.loopChecks], [1, 1]);
  const plain = run(bytes).exports.sumfib as (n: number) => number;
  const st = run(r.bytes, {}, 10);
  assert.equal(plain(300), 300 * (5 + 8 + 13 + 21) + 4 * (300 * 299) / 2);
  assert.equal((st.exports.sumfib as (n: number) => number)(300), plain(300));
  assert.ok(st.yields > 100, `${st.yields} yields`);
});

test("under JSPI a suspending yield_check lets the event loop run while a guest loop spins", async () => {
  const r = instrument(loopsAndRecursion(), { ...both, loopBudget: 1000, initialFuel: 10 });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  let yields = 0;
  const state: { fuel?: WasmGlobal } = {};
  const inst = new Wasm.Instance(new Wasm.Module(r.bytes), {
    occlum: {
      // The host's real yield_check suspends only when the slice is over; here, every time.
      yield_check: new Wasm.Suspending(() => {
        yields++;
        state.fuel!.value = 10;
        return new Promise((resolve) => setTimeout(resolve, 1));
      }),
    },
  });
  state.fuel = inst.exports[FUEL_EXPORT] as WasmGlobal;
  const sum = Wasm.promising(inst.exports.sum);
  const fib = Wasm.promising(inst.exports.fib);
  try {
    assert.equal(await sum(200_000), 19_999_900_000 | 0); // i32 wrap-around
    assert.equal(await fib(12), 144);
  } finally {
    clearInterval(timer);
  }
  assert.ok(yields >= 5, `${yields} yields`);
  assert.ok(ticks >= 3, `the event loop ran ${ticks} timer ticks during the guest's loops`);
});

test("a function that loops, called over and over, pays for its iterations as a loop refill does", () => {
  // work(n) loops n times; spin calls work(n) then tick() forever (its loop is covered by work's
  // entry charge). An entry charges 1 call and gives the invocation loopBudget / C iterations;
  // past them it refills (C calls for loopBudget). So iterations between yields stay within
  // 2 x loopBudget per unit of fuel however short each call is (a counter that started at
  // loopBudget per call would allow C times that: 64 x 17 x 256 iterations here).
  const loopBudget = 256;
  const C = 64;
  const units = 16;
  for (const n of [3, 200, 1000]) {
    const m = new ModuleBuilder();
    const ii = m.type([T.i32], [T.i32]);
    const v = m.type([], []);
    const tick = m.importFunc("env", "tick", v);
    const work = m.func(ii, [
      I.block(), I.loop(), I.localGet(0), I.i32Eqz, I.brIf(1),
      I.localGet(0), I.i32Const(1), I.i32Sub, I.localSet(0),
      I.localGet(1), I.i32Const(3), I.i32Add, I.localSet(1), I.br(0), I.end, I.end, I.localGet(1),
    ], [[1, T.i32]]);
    m.export("spin", "func", m.func(v, [I.loop(), I.i32Const(n), I.call(work), I.drop, I.call(tick), I.br(0), I.end]));
    const r = instrument(m.build(), { ...both, loopBudget, callsPerUnit: C, initialFuel: units * C });
    assert.equal(r.stats.coveredLoops, 1);
    let ticks = 0;
    let last = 0;
    let most = 0;
    const st = run(r.bytes, { tick: () => { ticks++; } }, units * C, {
      yield_check: () => {
        most = Math.max(most, ticks - last);
        last = ticks;
        if (++st.yields === 20) throw new Error("preempted");
        (st.exports[FUEL_EXPORT] as WasmGlobal).value = units * C;
      },
    });
    assert.throws(() => (st.exports.spin as () => void)(), /preempted/);
    assert.ok(most > 0, `n=${n}: calls between yields ${most}`);
    assert.ok(most * n <= 2 * (units + 1) * loopBudget, `n=${n}: ${most} calls x ${n} iterations between yields`);
  }
});

test("an indirect call reaches only functions of its type: a comparator wrapper is not charged, real cycles still are", () => {
  // libc qsort's shape: wrap(a, b, i) calls the comparator through the table with another type.
  const build = (gcTypes: boolean) => {
    const m = new ModuleBuilder();
    const tA = m.type([T.i32, T.i32, T.i32], [T.i32]);
    const tB = m.type([T.i32, T.i32], [T.i32]);
    const tB2 = m.type([T.i32, T.i32], [T.i32]); // the same type declared twice
    const tR1 = m.rawType([0x60, 1, 0x70, 1, 0x7f]); // (funcref) -> i32
    const tR2 = m.rawType([0x60, 1, 0x63, 0x70, 1, 0x7f]); // ((ref null func)) -> i32: the same type
    // A rec group makes the types undecided here: every indirect call may reach every function.
    if (gcTypes) m.rawType([0x4e, 1, 0x60, 0, 0]);
    m.table(5);
    const cmp = m.func(tB, [I.localGet(0), I.localGet(1), I.i32LtS]);
    const wrap = m.func(tA, [I.localGet(0), I.localGet(1), I.localGet(2), I.callIndirect(tB)]);
    // Look-alikes that do recurse through the table, for ever: declared with an equivalent type.
    const selfB = m.func(tB2, [I.localGet(0), I.localGet(1), I.localGet(1), I.callIndirect(tB)]);
    const selfR = m.func(tR1, [I.localGet(0), I.i32Const(3), I.callIndirect(tR2)]);
    const wrapSelf = m.func(tA, [I.localGet(0), I.localGet(1), I.i32Const(4), I.i32Const(4), I.callIndirect(tA)]);
    m.elem([0x00, ...I.i32Const(0), 0x0b, 5, cmp, wrap, selfB, selfR, wrapSelf]);
    m.export("wrap", "func", wrap);
    m.export("selfB", "func", selfB);
    m.export("selfR", "func", selfR);
    m.export("wrapSelf", "func", wrapSelf);
    return m.build();
  };
  for (const gcTypes of [false, true]) {
    const r = instrument(build(gcTypes), { ...both, initialFuel: 50 });
    // selfB, selfR, wrapSelf; wrap too when the types are not classified.
    assert.equal(r.stats.entryChecks, gcTypes ? 4 : 3, `gcTypes ${gcTypes}`);
    const st = run(r.bytes);
    assert.equal((st.exports.wrap as (a: number, b: number, i: number) => number)(1, 2, 0), 1);
    for (const [fn, args] of [["selfB", [0, 2]], ["selfR", [null]], ["wrapSelf", [0, 0, 4]]] as const) {
      let yields = 0;
      const s2 = run(r.bytes, {}, 50, {
        yield_check: () => {
          if (++yields === 20) throw new Error("preempted");
          (s2.exports[FUEL_EXPORT] as WasmGlobal).value = 50;
        },
      });
      assert.throws(() => (s2.exports[fn] as (...a: unknown[]) => unknown)(...args), /preempted/, `${fn}, gcTypes ${gcTypes}`);
    }
  }
});

test("every slow-path branch of the checks is hinted unlikely, in a section before the code", () => {
  // A call-free loop (wrapped: br_if $slow), a loop that calls (the check inline: if), a
  // recursive function (a fuel-passing clone: if), and a futex wake followed by its test.
  const m = new ModuleBuilder();
  const ii = m.type([T.i32], [T.i32]);
  const v = m.type([], []);
  const rec = m.func(ii, [
    I.localGet(0), I.i32Const(2), I.i32LtS, I.if(T.i32), I.localGet(0), I.else,
    I.localGet(0), I.i32Const(1), I.i32Sub, I.call(0), I.localGet(0), I.i32Const(2), I.i32Sub, I.call(0), I.i32Add, I.end,
  ]);
  m.export("rec", "func", rec);
  m.export("spin", "func", m.func(v, [I.loop(), I.br(0), I.end]));
  m.export("calls", "func", m.func(v, [I.loop(), I.localGet(0), I.call(rec), I.localSet(0), I.br(0), I.end], [[1, T.i32]]));
  const r = instrument(m.build(), { ...both, initialFuel: 50, loopBudget: 64 });
  const info = readModuleInfo(r.bytes);
  const order = info.sections.map((s) => (s.id === SectionId.Custom ? s.name : s.id));
  const hintAt = order.indexOf("metadata.code.branch_hint");
  assert.ok(hintAt >= 0 && hintAt < order.indexOf(SectionId.Code), `sections ${order.join(", ")}`);
  // Body starts by function index.
  const code = info.sections.find((s) => s.id === SectionId.Code)!;
  const bodies: number[] = [];
  let n = readU32(r.bytes, code.start);
  let p = lebEnd[0]!;
  for (; n > 0; n--) {
    const size = readU32(r.bytes, p);
    bodies.push(lebEnd[0]!);
    p = lebEnd[0]! + size;
  }
  const s = info.sections[hintAt]!;
  p = s.contentStart!;
  const funcs = readU32(r.bytes, p);
  p = lebEnd[0]!;
  let hinted = 0;
  let lastFunc = -1;
  for (let f = 0; f < funcs; f++) {
    const func = readU32(r.bytes, p);
    assert.ok(func > lastFunc, "functions in increasing order");
    lastFunc = func;
    let k = readU32(r.bytes, lebEnd[0]!);
    p = lebEnd[0]!;
    let lastOff = -1;
    for (; k > 0; k--) {
      const off = readU32(r.bytes, p);
      const size = readU32(r.bytes, lebEnd[0]!);
      p = lebEnd[0]!;
      assert.deepEqual([size, r.bytes[p]], [1, 0], "one byte: unlikely");
      p++;
      assert.ok(off > lastOff, "offsets in increasing order");
      lastOff = off;
      const op = r.bytes[bodies[func - info.importedFuncs]! + off];
      assert.ok(op === 0x04 || op === 0x0d, `function ${func} offset ${off}: opcode ${op}`);
      hinted++;
    }
  }
  assert.equal(p, s.end);
  // spin's br_if $slow, calls' inline if, rec's clone entry if, and each refill's own if.
  assert.ok(hinted >= 4, `${hinted} hints`);
  // Still runs, and still yields.
  assert.equal(preemptedAfter(r.bytes, "spin", {}), 20);
  assert.equal(preemptedAfter(r.bytes, "calls", {}), 20);
});
