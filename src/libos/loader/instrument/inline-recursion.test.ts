import assert from "node:assert/strict";
import { test } from "node:test";
import { inlineSelfRecursion, INLINE_MAX_BODY } from "./inline-recursion.ts";
import { instrument, type InstrumentOptions } from "./instrument.ts";
import { I, instantiateFueled, ModuleBuilder, T, tailAndTwoResults, Wasm } from "./test-asm.ts";

type Fn = (...a: unknown[]) => unknown;
const opts: InstrumentOptions = { rewriteAtomics: true, preemption: true, initialFuel: 20, loopBudget: 16 };

/** Self-recursive shapes the pass copies, each with what makes a copy go wrong if mishandled. */
function shapes(): Uint8Array {
  const m = new ModuleBuilder();
  const ii = m.type([T.i32], [T.i32]);
  const mixed = m.type([T.i32, T.i64, T.f64], [T.f64]);
  const iv = m.type([T.i32], []);
  const count = m.global(T.i32, true, [I.i32Const(0)]);
  const F = { fibloop: 0, fib2: 1, deep: 2, acc: 3, table: 4, count: 5 };
  // fibloop(n): clang's fib, a loop around one self-call: n < 2 ? n : sum over the loop.
  m.func(ii, [
    I.i32Const(0), I.localSet(1),
    I.block(), I.localGet(0), I.i32Const(2), I.i32LtS, I.brIf(0),
    I.loop(),
    I.localGet(0), I.localTee(2), I.i32Const(-2), I.i32Add, I.localSet(0),
    I.localGet(2), I.i32Const(-1), I.i32Add, [0x10, 0x80 | F.fibloop, 0x80, 0x80, 0x80, 0x00], // call, padded as linkers do
    I.localGet(1), I.i32Add, I.localSet(1),
    I.localGet(2), I.i32Const(3), [0x4b], I.brIf(0), // i32.gt_u
    I.end, I.end,
    I.localGet(0), I.localGet(1), I.i32Add,
  ], [[2, T.i32]]);
  // fib2(n): two self-calls, both copied, sharing the copy's locals: its declared i64 local must
  // read as zero at each entry, then is dirtied (the copy zeroes it at each site).
  m.func(ii, [
    I.localGet(1), [0x50], I.i32Eqz, I.if(), I.unreachable, I.end, I.i64Const(9), I.localSet(1), // i64.eqz
    I.localGet(0), I.i32Const(2), I.i32LtS, I.if(T.i32), I.localGet(0), I.else,
    I.localGet(0), I.i32Const(1), I.i32Sub, I.call(F.fib2),
    I.localGet(0), I.i32Const(2), I.i32Sub, I.call(F.fib2), I.i32Add, I.end,
  ], [[1, T.i64]]);
  // deep(n, x, y): `return` from inside nested blocks, an i64 and an f64 param, an f32 and i64
  // declared local that must read as zero at each entry (the copy zeroes them).
  m.func(mixed, [
    I.localGet(4), [0x50], I.i32Eqz, I.if(), I.unreachable, I.end, // i64.eqz: the local must be 0
    I.localGet(3), [0xbb], [0x44, 0, 0, 0, 0, 0, 0, 0, 0], [0x62], I.if(), I.unreachable, I.end, // f64.promote_f32, f64.ne 0
    I.i64Const(5), I.localSet(4), [0x43, 0, 0, 0x80, 0x3f], I.localSet(3), // dirty them: 5, 1.0f
    I.block(), I.block(),
    I.localGet(0), I.i32Eqz, I.if(), I.localGet(2), I.return, I.end,
    I.localGet(0), I.i32Const(1), I.i32Sub,
    I.localGet(1), I.localGet(4), [0x7c], // i64.add
    I.localGet(2), I.localGet(1), [0xb9], [0xa0], // f64.convert_i64_s, f64.add
    I.call(F.deep), I.return,
    I.end, I.end,
    [0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0xbf], // f64.const -1 (not reached)
  ], [[1, T.f32], [1, T.i64]]);
  // acc(n): a void function counting its calls in a global, with a br_table inside.
  m.func(iv, [
    I.globalGet(count), I.i32Const(1), I.i32Add, I.globalSet(count),
    I.block(), I.block(), I.localGet(0), I.i32Const(3), [0x70], [0x0e, 2, 0, 1, 0], I.end, // i32.rem_u; br_table 0 1 0
    I.end,
    I.localGet(0), I.if(), I.localGet(0), I.i32Const(1), I.i32Sub, I.call(F.acc), I.end,
  ]);
  // table(n): recursion through call_indirect only: no direct self-call, not copied.
  m.table(1);
  m.func(ii, [
    I.localGet(0), I.i32Eqz, I.if(T.i32), I.i32Const(0), I.else,
    I.localGet(0), I.i32Const(1), I.i32Sub, I.i32Const(0), I.callIndirect(ii), I.i32Const(1), I.i32Add, I.end,
  ]);
  m.elem([0x00, ...I.i32Const(0), 0x0b, 1, F.table]);
  m.func(m.type([], [T.i32]), [I.globalGet(count)]);
  for (const [name, idx] of Object.entries(F)) m.export(name, "func", idx);
  return m.build();
}

const calls: [string, unknown[]][] = [
  ["fibloop", [20]], ["fib2", [18]], ["deep", [30, 2n, 0.5]], ["acc", [500]], ["table", [300]],
];

function results(bytes: Uint8Array, fuel: number): { values: unknown[]; count: unknown; yields: number } {
  const values: unknown[] = [];
  let yields = 0;
  let count: unknown;
  for (const [fn, args] of calls) {
    const st = instantiateFueled(bytes, fuel);
    values.push((st.exports[fn] as Fn)(...args));
    if (fn === "acc") count = (st.exports.count as Fn)();
    yields += st.yields;
  }
  return { values, count, yields };
}

test("self-recursive functions copied into themselves compute what they did", () => {
  const bytes = shapes();
  const inlined = inlineSelfRecursion(bytes).bytes;
  assert.notEqual(inlined, bytes);
  // Every function with a direct self-call grew: fibloop (a padded call index), fib2, deep, acc.
  assert.ok(inlined.length > bytes.length + 4 * 20, `${bytes.length} -> ${inlined.length}`);
  assert.ok(Wasm.validate(inlined));
  const plain = results(bytes, 0);
  assert.deepEqual(plain.values, [6765, 2584, 0.5 + 2 * 30 + (29 * 30) / 2 * 5, undefined, 300]);
  assert.equal(plain.count, 501);
  assert.deepEqual(results(inlined, 0), plain);
  // Through the whole instrumenter: the same values, and it still yields.
  for (const loopBudget of [16, 4096]) {
    const on = instrument(bytes, { ...opts, loopBudget });
    const off = instrument(bytes, { ...opts, loopBudget, inlineRecursion: false });
    const a = results(on.bytes, 20);
    const b = results(off.bytes, 20);
    assert.deepEqual([a.values, a.count], [plain.values, plain.count]);
    assert.deepEqual([b.values, b.count], [plain.values, plain.count]);
    assert.ok(a.yields > 50, `${a.yields} yields`);
    // With the kernel's budget (a loop's first loopBudget / 64 iterations paid by the entry),
    // half of the calls are copies with no charge of their own: fewer yields.
    if (loopBudget === 4096) assert.ok(a.yields < b.yields, `${a.yields} yields inlined, ${b.yields} not`);
  }
});

test("a loop around a copy that returns at once is still preempted", () => {
  // spin(n): n == 0 ? 0 : loop { spin(0) } forever. Before the pass the loop starts with a call of
  // a charged function (covered); after it, the copy returns without a call, so only the loop's
  // own check can stop it.
  const m = new ModuleBuilder();
  const ii = m.type([T.i32], [T.i32]);
  // The call's index is a padded 5-byte LEB, as linkers leave them.
  m.export("spin", "func", m.func(ii, [
    I.localGet(0), I.i32Eqz, I.if(), I.i32Const(0), I.return, I.end,
    I.loop(), I.i32Const(0), [0x10, 0x80, 0x80, 0x80, 0x80, 0x00], I.drop, I.br(0), I.end, I.unreachable,
  ]));
  const bytes = m.build();
  const r = instrument(bytes, { ...opts, initialFuel: 50, loopBudget: 64 });
  assert.equal(r.stats.loopChecks, 1, "the loop gets its own check once it holds a copy");
  const st = instantiateFueled(r.bytes, 50, 20);
  assert.throws(() => (st.exports.spin as Fn)(1), /preempted/);
  // Without the pass the same loop is covered by the call.
  assert.equal(instrument(bytes, { ...opts, inlineRecursion: false }).stats.loopChecks, 0);
});

test("functions the pass cannot or should not copy are left as they are", () => {
  const m = new ModuleBuilder();
  // tail: return_call; two: two results; big: over INLINE_MAX_BODY; three: three self-calls.
  tailAndTwoResults(m);
  const ii = m.type([T.i32], [T.i32]);
  const pad = Array.from({ length: INLINE_MAX_BODY }, () => I.nop);
  m.export("big", "func", m.func(ii, [
    ...pad, I.localGet(0), I.i32Eqz, I.if(T.i32), I.i32Const(0), I.else, I.localGet(0), I.i32Const(1), I.i32Sub, I.call(2), I.end,
  ]));
  const sub1 = [I.localGet(0), I.i32Const(1), I.i32Sub];
  m.export("three", "func", m.func(ii, [
    I.localGet(0), I.i32Eqz, I.if(T.i32), I.i32Const(1), I.else,
    ...sub1, I.call(3), ...sub1, I.call(3), I.i32Add, ...sub1, I.call(3), I.i32Add, I.end,
  ]));
  const bytes = m.build();
  assert.equal(inlineSelfRecursion(bytes).bytes, bytes);
  const st = instantiateFueled(instrument(bytes, opts).bytes, 20);
  assert.equal((st.exports.tail as Fn)(50), 7);
  assert.deepEqual((st.exports.two as Fn)(50), [1, 2]);
  assert.equal((st.exports.big as Fn)(50), 0);
  assert.equal((st.exports.three as Fn)(6), 729);
});

test("a loop around a copy that its counter bounds runs unchecked in its window, checked outside it", () => {
  const m = new ModuleBuilder();
  const ii = m.type([T.i32], [T.i32]);
  // walk(n): clang's fib loop (the test reads the counter before its step: `t = n; n -= 2; ...;
  // t > 3`) whose self-call is a leaf (walk(t & 1)): the copy returns at once, so only the loop's
  // check can preempt it. An exit out of the loop (br_if 1) and a br_table out of it, both one label
  // deeper in each copy. Sums t over the iterations.
  m.export("walk", "func", m.func(ii, [
    I.i32Const(0), I.localSet(1),
    I.block(), I.localGet(0), I.i32Const(2), I.i32LtS, I.brIf(0),
    I.loop(),
    I.localGet(0), I.localTee(2), I.i32Const(-2), I.i32Add, I.localSet(0),
    I.localGet(2), I.i32Const(1), I.i32And, I.call(0), I.localGet(2), I.i32Add, I.localGet(1), I.i32Add, I.localSet(1),
    I.localGet(2), I.i32Const(-9), I.i32Eq, I.brIf(1), // never taken (t >= 2 here); exits the loop
    I.block(), I.localGet(2), I.i32Const(-7), I.i32Eq, [0x0e, 1, 0, 2], I.end, // br_table 0 2: the default stays
    I.localGet(2), I.i32Const(3), [0x4b], I.brIf(0), // i32.gt_u
    I.end, I.end,
    I.localGet(1),
  ], [[2, T.i32]]));
  // up(n): the tail shape, counting up (`i += 3` teed into the test `i < 100`, signed), one self-call
  // that is a leaf (up(100) returns 0), a loop with a result; sums i over the iterations.
  m.export("up", "func", m.func(ii, [
    I.localGet(0), I.i32Const(100), I.i32LtS, I.i32Eqz, I.if(), I.i32Const(0), I.return, I.end,
    I.loop(T.i32),
    I.i32Const(100), I.call(1), I.localGet(0), I.i32Add, I.localGet(1), I.i32Add, I.localSet(1),
    I.localGet(1),
    I.localGet(0), I.i32Const(3), I.i32Add, I.localTee(0), I.i32Const(100), I.i32LtS, I.brIf(0),
    I.end,
  ], [[1, T.i32]]));
  const bytes = m.build();
  const kernel = { ...opts, loopBudget: 4096, callsPerUnit: 64 }; // the kernel's ratio: 64 iterations per entry
  const r = instrument(bytes, kernel);
  assert.equal(r.stats.boundedLoops, 2);
  const off = instrument(bytes, { ...kernel, inlineRecursion: false });
  const run = (b: Uint8Array, fn: string, n: number, fuel = 20): { v: unknown; yields: number } => {
    const st = instantiateFueled(b, fuel);
    return { v: (st.exports[fn] as Fn)(n), yields: st.yields };
  };
  assert.equal(run(bytes, "walk", 10, 0).v, 10 + 8 + 6 + 4 + 2);
  for (const n of [-5, 0, 1, 2, 3, 4, 5, 128, 129, 130, 131, 1001, 200_001]) {
    const want = run(bytes, "walk", n, 0).v;
    assert.equal(run(r.bytes, "walk", n).v, want, `walk(${n})`);
    assert.equal(run(off.bytes, "walk", n).v, want, `walk(${n}) without the pass`);
  }
  for (const n of [-1_000_000, -3, 0, 1, 50, 98, 99, 100, 2_000_000_000]) {
    const want = run(bytes, "up", n, 0).v;
    assert.equal(run(r.bytes, "up", n).v, want, `up(${n})`);
  }
  // The window of walk: its counter at entry at most 3 + 63 * 2 = 129 (64 iterations). Inside it
  // the loop pays nothing beyond walk's entry (fuel 20: no yield); from 130 on each iteration is
  // charged again (65 iterations: 3 yields); a long loop keeps yielding.
  assert.equal(run(r.bytes, "walk", 129).yields, 0);
  assert.ok(run(r.bytes, "walk", 131).yields >= 3);
  const long = run(r.bytes, "walk", 200_001).yields;
  assert.ok(long >= 100_000 / 25, `${long} yields`); // one per 21 iterations: fuel 20 runs out below 0
  assert.throws(() => (instantiateFueled(r.bytes, 20, 50).exports.walk as Fn)(10_000_000), /preempted/);
  // up counts up from n < 100 by 3: at most 34 iterations, always in its window (0 <= n <= 100).
  assert.equal(run(r.bytes, "up", 0).yields, 0);
  assert.ok(run(r.bytes, "up", -1_000_000).yields > 1000, "a negative start is outside the window");
  // Loops the pass does not split: a budget that pays for less than 2 iterations per entry.
  assert.equal(instrument(bytes, { ...kernel, loopBudget: 64 }).stats.boundedLoops, undefined);
});
