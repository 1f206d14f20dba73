import assert from "node:assert/strict";
import { test } from "node:test";
import { instrument, type InstrumentOptions } from "./instrument.ts";
import { functionNames, I, ModuleBuilder, nameSection, T, instantiateFueled, tailAndTwoResults, Wasm, type WasmGlobal } from "./test-asm.ts";

type Fn = (...a: unknown[]) => unknown;

const instantiate = instantiateFueled;

const i64Add = [0x7c];
const i64ExtendI32U = [0xad];
const i32ShrU = [0x76];

/** Recursive shapes: direct, mutual, through the table, with loops, returns, i64, void, locals. */
function recursiveModule(): Uint8Array {
  const m = new ModuleBuilder();
  const ii = m.type([T.i32], [T.i32]);
  const il = m.type([T.i32, T.i64], [T.i64]);
  const iv = m.type([T.i32], []);
  m.table(1);
  const count = m.global(T.i32, true, [I.i32Const(0)]);
  const F = { fib: 0, even: 1, odd: 2, sumto: 3, walk: 4, ind: 5, countdown: 6, loopy: 7, mix: 8 };
  m.func(ii, [ // fib
    I.localGet(0), I.i32Const(2), I.i32LtS, I.if(T.i32), I.localGet(0), I.else,
    I.localGet(0), I.i32Const(1), I.i32Sub, I.call(F.fib),
    I.localGet(0), I.i32Const(2), I.i32Sub, I.call(F.fib), I.i32Add, I.end,
  ]);
  m.func(ii, [ // even
    I.localGet(0), I.i32Eqz, I.if(T.i32), I.i32Const(1), I.else,
    I.localGet(0), I.i32Const(1), I.i32Sub, I.call(F.odd), I.end,
  ]);
  m.func(ii, [ // odd
    I.localGet(0), I.i32Eqz, I.if(T.i32), I.i32Const(0), I.else,
    I.localGet(0), I.i32Const(1), I.i32Sub, I.call(F.even), I.end,
  ]);
  m.func(il, [ // sumto(n, acc): a `return` inside an if, a declared local past the parameters
    I.localGet(0), I.i32Eqz, I.if(), I.localGet(1), I.return, I.end,
    I.localGet(0), I.i32Const(1), I.i32Sub, I.localSet(2),
    I.localGet(2), I.localGet(1), I.localGet(0), i64ExtendI32U, i64Add, I.call(F.sumto),
  ], [[1, T.i32]]);
  m.func(ii, [ // walk(n): 1 if n < 2, else 3 x walk(n >> 1) with a loop
    I.localGet(0), I.i32Const(2), I.i32LtU, I.if(), I.i32Const(1), I.return, I.end,
    I.block(), I.loop(),
    I.localGet(1), I.i32Const(3), I.i32GeU, I.brIf(1),
    I.localGet(2), I.localGet(0), I.i32Const(1), i32ShrU, I.call(F.walk), I.i32Add, I.localSet(2),
    I.localGet(1), I.i32Const(1), I.i32Add, I.localSet(1), I.br(0), I.end, I.end,
    I.localGet(2),
  ], [[2, T.i32]]);
  m.func(ii, [ // ind(n): recursion through call_indirect
    I.localGet(0), I.i32Eqz, I.if(T.i32), I.i32Const(0), I.else,
    I.localGet(0), I.i32Const(1), I.i32Sub, I.i32Const(0), I.callIndirect(ii), I.i32Const(1), I.i32Add, I.end,
  ]);
  m.func(iv, [ // countdown(n): void, counts its calls in a global
    I.globalGet(count), I.i32Const(1), I.i32Add, I.globalSet(count),
    I.localGet(0), I.if(), I.localGet(0), I.i32Const(1), I.i32Sub, I.call(F.countdown), I.end,
  ]);
  m.func(ii, [ // loopy(n): a loop, not recursive (charged at entry, not cloned)
    I.block(), I.loop(), I.localGet(0), I.i32Eqz, I.brIf(1),
    I.localGet(0), I.i32Const(1), I.i32Sub, I.localSet(0),
    I.localGet(1), I.i32Const(2), I.i32Add, I.localSet(1), I.br(0), I.end, I.end, I.localGet(1),
  ], [[1, T.i32]]);
  m.func(ii, [ // mix(n): recursion that calls a charged function outside the cycle
    I.localGet(0), I.i32Eqz, I.if(T.i32), I.i32Const(10), I.call(F.loopy), I.else,
    I.localGet(0), I.i32Const(1), I.i32Sub, I.call(F.mix), I.localGet(0), I.call(F.loopy), I.i32Add, I.end,
  ]);
  m.elem([0x00, ...I.i32Const(0), 0x0b, 1, F.ind]);
  for (const [name, idx] of Object.entries(F)) m.export(name, "func", idx);
  m.export("count", "global", count);
  return m.build();
}

const calls: [string, unknown[]][] = [
  ["fib", [18]], ["even", [501]], ["odd", [500]], ["sumto", [300, 5n]], ["walk", [1000]], ["ind", [700]],
  ["countdown", [400]], ["mix", [60]],
];

test("recursive functions pass their fuel and yield where the global-fuel version yields (at least as often in a loop that calls)", () => {
  const bytes = recursiveModule();
  const plain = instantiate(bytes, 0).exports;
  // The clone's fuel is the global's value, charged the same amounts (1 per entry, C per loop
  // refill), so for every callsPerUnit they yield at the same charges.
  for (const C of [1, 4, 64]) {
    const opts: InstrumentOptions = { rewriteAtomics: true, preemption: true, initialFuel: 7, loopBudget: 5, callsPerUnit: C };
    const on = instrument(bytes, opts);
    const off = instrument(bytes, { ...opts, passFuel: false });
    // Every function in a cycle of direct calls (loopy is charged, not recursive; ind recurses
    // through the table, so it keeps its global charge).
    assert.equal(on.stats.fuelPassing, 7);
    assert.equal(off.stats.fuelPassing, undefined);
    assert.deepEqual([on.stats.entryChecks, on.stats.loopChecks], [off.stats.entryChecks, off.stats.loopChecks]);
    for (const [fn, args] of calls) {
      const a = instantiate(on.bytes, 7);
      const b = instantiate(off.bytes, 7);
      const expect = (plain[fn] as Fn)(...args);
      assert.equal((a.exports[fn] as Fn)(...args), expect, fn);
      assert.equal((b.exports[fn] as Fn)(...args), expect, fn);
      if (fn === "countdown") {
        assert.equal((a.exports.count as WasmGlobal).value, 401);
      }
      assert.ok(a.yields > 10, `${fn}, ${C}: ${a.yields} yields`);
      // walk's loop calls walk: in the clone each iteration charges ceil(C / loopBudget) calls of
      // the fuel it holds (emit-body.ts), where the global version's loop counter charges C per
      // loopBudget iterations, so the clone yields at least as often; every other shape alike.
      if (fn === "walk") assert.ok(a.yields >= b.yields, `${fn}, ${C}: ${a.yields} < ${b.yields}`);
      else assert.equal(a.yields, b.yields, `${fn}, ${C}`);
    }
  }
});

test("the fuel counts calls: a clone's call takes 1 of it, whatever callsPerUnit is", () => {
  const bytes = recursiveModule();
  const plain = instantiate(bytes, 0).exports;
  // fib(18): 8361 calls, all in the clone (not inlined into itself: inline-recursion.test.ts). Given F, it yields below zero and gets F again: one
  // yield per F + 1 calls. The host gives C x 7 (7 units).
  for (const C of [1, 4, 64]) {
    const F = 7 * C;
    const r = instrument(bytes, { rewriteAtomics: true, preemption: true, initialFuel: F, loopBudget: 5, callsPerUnit: C, inlineRecursion: false });
    for (const [fn, args] of calls) {
      const st = instantiate(r.bytes, F);
      assert.equal((st.exports[fn] as Fn)(...args), (plain[fn] as Fn)(...args), `${fn}, ${C}`);
      if (fn === "fib") assert.equal(st.yields, Math.floor(8361 / (F + 1)), `${fn}, ${C}`);
    }
  }
  for (const C of [0, 8192, 1.5]) {
    assert.throws(() => instrument(bytes, { rewriteAtomics: true, preemption: true, callsPerUnit: C }), /callsPerUnit/);
  }
  // Written back to the global around a call that may charge it, the clone's charges are kept:
  // spin(n)'s loop is covered by its call of spin(0) (one call's charge), then calls touch(),
  // which may charge the global. Each iteration costs 1, so it yields every fuel + 1
  // iterations; a sync that lost the clone's charge (or reloaded a stale value) would never yield.
  const m = new ModuleBuilder();
  const ii = m.type([T.i32], [T.i32]);
  const v = m.type([], []);
  const tick = m.importFunc("env", "tick", v);
  const leaf = m.func(v, [I.call(tick)]);
  const touch = m.func(v, [I.call(leaf)]);
  const spin = m.func(ii, [
    I.localGet(0), I.i32Eqz, I.if(), I.i32Const(0), I.return, I.end,
    I.loop(), I.i32Const(0), I.call(3), I.drop, I.call(touch), I.br(0), I.end, I.unreachable,
  ]);
  assert.equal(spin, 3);
  m.export("spin", "func", spin);
  const r = instrument(m.build(), { rewriteAtomics: true, preemption: true, initialFuel: 5, inlineRecursion: false });
  assert.equal(r.stats.fuelPassing, 1);
  assert.equal(r.stats.coveredLoops, 1);
  let ticks = 0;
  const st = { yields: 0, exports: {} as Record<string, unknown> };
  const inst = new (Wasm as unknown as { Instance: new (m: object, i: object) => { exports: Record<string, unknown> } }).Instance(
    new Wasm.Module(r.bytes), {
      env: { tick: () => { ticks++; } },
      occlum: { yield_check: () => { if (++st.yields >= 20) throw new Error("preempted"); (st.exports.__occlum_fuel as WasmGlobal).value = 5; } },
    });
  st.exports = inst.exports;
  assert.throws(() => (st.exports.spin as Fn)(1), /preempted/);
  // 5 iterations before the first yield (fuel 5 - spin(1)'s own entry + 1), 6 per yield after
  // it, and the 20th yield throws before its iteration's touch().
  assert.equal(ticks, 5 + 6 * 18 + 5, "one yield per fuel + 1 iterations");
});

test("a recursion that never ends, and a loop calling a cloned function forever, are preempted", () => {
  const m = new ModuleBuilder();
  const ii = m.type([T.i32], [T.i32]);
  const v = m.type([], []);
  // rec(n): n == 0 ? 0 : rec(n - 1) + rec(n - 1), bounded depth, exponential time.
  const rec = m.func(ii, [
    I.localGet(0), I.i32Eqz, I.if(T.i32), I.i32Const(0), I.else,
    I.localGet(0), I.i32Const(1), I.i32Sub, I.call(0), I.localGet(0), I.i32Const(1), I.i32Sub, I.call(0), I.i32Add, I.end,
  ]);
  m.export("deep", "func", m.func(v, [I.i32Const(60), I.call(rec), I.drop]));
  // spin: a loop whose first instruction calls rec (covered by rec's charge), forever.
  m.export("spin", "func", m.func(v, [I.loop(), I.i32Const(1), I.call(rec), I.drop, I.br(0), I.end]));
  // inner(n): recursive, then spins in a loop of its own.
  m.export("inner", "func", m.func(ii, [
    I.localGet(0), I.if(), I.localGet(0), I.i32Const(1), I.i32Sub, I.call(3), I.drop, I.end,
    I.loop(), I.br(0), I.end, I.i32Const(0),
  ]));
  const r = instrument(m.build(), { rewriteAtomics: true, preemption: true, initialFuel: 50, loopBudget: 64 });
  assert.equal(r.stats.fuelPassing, 2);
  for (const [fn, arg] of [["deep", undefined], ["spin", undefined], ["inner", 5]] as const) {
    const st = instantiate(r.bytes, 50, 20);
    assert.throws(() => (st.exports[fn] as Fn)(arg), /preempted/, fn);
  }
});

test("no clones for tail calls, two results, or modules with exception handling", () => {
  const m = new ModuleBuilder();
  tailAndTwoResults(m);
  const bytes = m.build();
  const r = instrument(bytes, { rewriteAtomics: true, preemption: true, initialFuel: 5 });
  assert.equal(r.stats.fuelPassing, undefined);
  assert.equal(r.stats.entryChecks, 2);
  const st = instantiate(r.bytes, 5);
  assert.equal((st.exports.tail as Fn)(100), 7);
  assert.deepEqual((st.exports.two as Fn)(100), [1, 2]);
  assert.ok(st.yields > 20);

  const eh = new ModuleBuilder();
  const eii = eh.type([T.i32], [T.i32]);
  const tag = eh.tag(eh.type([], []));
  eh.export("f", "func", eh.func(eii, [
    I.localGet(0), I.i32Eqz, I.if(T.i32), I.i32Const(0), I.else, I.localGet(0), I.i32Const(1), I.i32Sub, I.call(0), I.end,
  ]));
  eh.export("t", "func", eh.func(m.type([], []), [[0x08, tag]])); // throw
  assert.equal(instrument(eh.build(), { rewriteAtomics: true, preemption: true }).stats.fuelPassing, undefined);
});

test("a clone keeps its function's name: a trap inside it names the guest's function", () => {
  const m = new ModuleBuilder();
  const ii = m.type([T.i32], [T.i32]);
  // recurse(n): n == 0 ? unreachable : recurse(n - 1)
  m.export("recurse", "func", m.func(ii, [
    I.localGet(0), I.i32Eqz, I.if(T.i32), I.unreachable, I.else, I.localGet(0), I.i32Const(1), I.i32Sub, I.call(0), I.end,
  ]));
  m.custom("name", nameSection([[0, "recurse"]]));
  const r = instrument(m.build(), { rewriteAtomics: true, preemption: true });
  assert.equal(r.stats.fuelPassing, 1);
  assert.deepEqual([...functionNames(r.bytes).entries()].filter(([k]) => typeof k === "number").map(([, v]) => v),
    ["occlum.yield_check", "recurse", "recurse", "__occlum_refuel"]);
  const st = instantiate(r.bytes, 1000);
  assert.throws(() => (st.exports.recurse as Fn)(5), (e: Error) => /recurse/.test(e.stack ?? "") && !/fuel_pass/.test(e.stack ?? ""));
});

test("a clone moves its first declared local past the others, whatever the locals vector looks like", () => {
  const m = new ModuleBuilder();
  const ii = m.type([T.i32], [T.i32]);
  // tri(n) = n + tri(n - 1), keeping n as an f64 in the first declared local across the call;
  // the locals vector starts with an entry of zero locals.
  m.export("tri", "func", m.func(ii, [
    I.localGet(0), [0xb7], I.localSet(1), // f64.convert_i32_s
    I.localGet(0), I.i32Const(7), I.i32Mul, I.localSet(2),
    I.localGet(0), I.i32Eqz, I.if(T.i32), I.i32Const(0), I.else,
    I.localGet(0), I.i32Const(1), I.i32Sub, I.call(0), I.localGet(1), [0xaa], I.i32Add, // i32.trunc_f64_s
    I.localGet(2), I.i32Add, I.localGet(0), I.i32Const(7), I.i32Mul, I.i32Sub, I.end,
  ], [[0, T.i64], [1, T.f64], [2, T.i32]]));
  const bytes = m.build();
  const r = instrument(bytes, { rewriteAtomics: true, preemption: true, initialFuel: 3, callsPerUnit: 1, inlineRecursion: false });
  assert.equal(r.stats.fuelPassing, 1);
  const st = instantiate(r.bytes, 3);
  assert.equal((st.exports.tri as Fn)(1000), 500500);
  assert.equal((instantiate(bytes, 0).exports.tri as Fn)(1000), 500500);
  assert.ok(st.yields > 200, `${st.yields} yields`);
});
