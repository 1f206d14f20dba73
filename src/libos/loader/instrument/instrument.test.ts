import assert from "node:assert/strict";
import { test } from "node:test";
import { FUEL_EXPORT, instrument, InstrumentError, type InstrumentOptions } from "./instrument.ts";
import { functionNames, I, instantiateFueled, loopsAndRecursion, ModuleBuilder, nameSection, T, uleb, Wasm, type WasmGlobal } from "./test-asm.ts";

const both: InstrumentOptions = { rewriteAtomics: true, preemption: true };

function validOrThrow(bytes: Uint8Array): void {
  if (!Wasm.validate(bytes)) {
    new Wasm.Module(bytes); // throws with V8's reason
    assert.fail("module does not validate");
  }
}

/** Instantiate with a counting yield_check that refills `fuel` units each time. */
function run(bytes: Uint8Array, env: Record<string, unknown> = {}, fuel = 1000, occlum: Record<string, unknown> = {}) {
  return instantiateFueled(bytes, fuel, Infinity, { env, occlum });
}

test("a module with nothing to rewrite is returned unchanged", () => {
  const m = new ModuleBuilder();
  const ii = m.type([T.i32], [T.i32]);
  m.export("leaf", "func", m.func(ii, [I.localGet(0), I.i32Const(3), I.i32Mul]));
  const bytes = m.build();
  for (const opts of [both, { rewriteAtomics: true, preemption: false }, { rewriteAtomics: false, preemption: false }]) {
    const r = instrument(bytes, opts);
    assert.equal(r.changed, false);
    assert.equal(r.bytes, bytes);
    assert.equal(r.fuelExport, null);
  }
  // Loops but preemption off, atomics on: still nothing to do.
  const loops = loopsAndRecursion();
  assert.equal(instrument(loops, { rewriteAtomics: true, preemption: false }).bytes, loops);
});

for (const checkStyle of ["local-counter", "global"] as const) {
  test(`loops and recursive functions get fuel checks and compute the same (${checkStyle})`, () => {
    const bytes = loopsAndRecursion();
    const plain = run(bytes).exports as Record<string, (x: number) => number>;
    // One call per unit: a loop refill and a function entry each charge 1. fib is not inlined
    // into itself here, so that every call is one (inline-recursion.test.ts covers inlining).
    const r = instrument(bytes, { ...both, checkStyle, initialFuel: 10, loopBudget: 10, callsPerUnit: 1, inlineRecursion: false });
    assert.equal(r.changed, true);
    assert.deepEqual(r.imports, ["yield_check"]);
    assert.equal(r.fuelExport, FUEL_EXPORT);
    // sum's loop (and, counting locally, its entry), fib's entry; leaf none.
    assert.deepEqual([r.stats.loopChecks, r.stats.entryChecks], [1, checkStyle === "global" ? 1 : 2]);
    const st = run(r.bytes, {}, 10);
    const e = st.exports as Record<string, (x: number) => number>;
    assert.equal(e.sum!(1000), plain.sum!(1000));
    // 1000 iterations + the exit pass through the header. "global": every pass charges the fuel,
    // one yield per 11 charges (fuel 10 .. -1). "local-counter": the counter runs out after 11
    // passes, then every 10 (the refilled loop re-enters its header): 100 charges, plus 1 at
    // entry; the first yield after 11 charges (fuel starts at 10), then one per 11: 9.
    const sumYields = checkStyle === "global" ? Math.floor(1001 / 11) : Math.floor(101 / 11);
    assert.equal(st.yields, sumYields);
    st.yields = 0;
    assert.equal(e.fib!(15), plain.fib!(15));
    // fib(15) makes 1973 calls, each charging 1 (in the clone, or the global).
    assert.equal(st.yields, Math.floor(1973 / 11));
    st.yields = 0;
    assert.equal(e.leaf!(7), 21);
    assert.equal(st.yields, 0);
    if (checkStyle === "global") return;

    // 64 calls per unit and 10 units (640): a call charges 1/64 of what a loop refill does, and
    // the invocation's counter starts at 10 / 64 (rounded up to 1), so the loop yields as often
    // as above and fib 64 times less often.
    const r64 = instrument(bytes, { ...both, checkStyle, initialFuel: 640, loopBudget: 10, callsPerUnit: 64, inlineRecursion: false });
    const st64 = run(r64.bytes, {}, 640);
    const e64 = st64.exports as Record<string, (x: number) => number>;
    assert.equal(e64.sum!(1000), plain.sum!(1000));
    assert.equal(st64.yields, sumYields);
    st64.yields = 0;
    assert.equal(e64.fib!(15), plain.fib!(15));
    assert.equal(st64.yields, Math.floor(1973 / 641));
  });
}

/** A shared memory and three functions doing wait32 (offset 8), wait64 (offset 16), notify. */
function atomicsModule(): Uint8Array {
  const m = new ModuleBuilder();
  const w32 = m.type([T.i32, T.i32, T.i64], [T.i32]);
  const w64 = m.type([T.i32, T.i64, T.i64], [T.i32]);
  const nt = m.type([T.i32, T.i32], [T.i32]);
  m.memory(1, 1, true);
  const args = (n: number) => Array.from({ length: n }, (_, i) => I.localGet(i));
  m.export("wait32", "func", m.func(w32, [...args(3), I.atomicWait32(8)]));
  m.export("wait64", "func", m.func(w64, [...args(3), I.atomicWait64(16)]));
  m.export("notify", "func", m.func(nt, [...args(2), I.atomicNotify(0)]));
  // Two sites with the same (op, offset) share one helper.
  m.export("notify2", "func", m.func(nt, [...args(2), I.atomicNotify(0)]));
  return m.build();
}

test("atomic wait/notify become kernel calls with addr+offset and the same operands", () => {
  const r = instrument(atomicsModule(), both);
  // yield_check too: a notify is a wake, followed by a fuel test (wakeup preemption, Thread.wokeUp).
  assert.deepEqual(r.imports, ["futex_wait32", "futex_wait64", "futex_notify", "yield_check"]);
  assert.equal(r.fuelExport, FUEL_EXPORT); // no loops, no calls in the original: only the notify's test
  assert.deepEqual([r.stats.atomicCalls, r.stats.helpers, r.stats.loopChecks, r.stats.entryChecks], [4, 3, 0, 0]);
  const calls: unknown[][] = [];
  const st = run(r.bytes, {}, 1000, {
    futex_wait32: (...a: unknown[]) => (calls.push(["w32", ...a]), 2),
    futex_wait64: (...a: unknown[]) => (calls.push(["w64", ...a]), 1),
    futex_notify: (...a: unknown[]) => (calls.push(["n", ...a]), 5),
  });
  const e = st.exports as Record<string, (...a: unknown[]) => number>;
  assert.equal(e.wait32!(100, 7, 123n), 2);
  assert.equal(e.wait64!(64, -5n, -1n), 1);
  assert.equal(e.notify!(4, 3), 5);
  assert.equal(e.notify2!(0, 1), 5);
  assert.deepEqual(calls, [["w32", 108, 7, 123n], ["w64", 80, -5n, -1n], ["n", 4, 3], ["n", 0, 1]]);
  // wasm semantics kept: misaligned or out-of-bounds effective addresses trap, without a kernel call.
  calls.length = 0;
  assert.throws(() => e.wait32!(102, 0, 0n), Wasm.RuntimeError);
  assert.throws(() => e.wait64!(4, 0n, 0n), Wasm.RuntimeError); // 4+16 not 8-aligned
  assert.throws(() => e.notify!(65536, 1), Wasm.RuntimeError);
  assert.throws(() => e.notify!(-4, 1), Wasm.RuntimeError);
  assert.deepEqual(calls, []);
  // Only the imports actually needed are added.
  assert.deepEqual(instrument(atomicsModule(), { rewriteAtomics: true, preemption: false }).imports,
    ["futex_wait32", "futex_wait64", "futex_notify"]);
});

test("atomics on a non-zero memory index or a 64-bit memory are refused clearly", () => {
  const m = new ModuleBuilder();
  const nt = m.type([T.i32, T.i32], [T.i32]);
  m.memory(1, 1, true);
  m.func(nt, [I.localGet(0), I.localGet(1), [0xfe, 0x00, 0x42, 0x01, 0x00]]); // memarg with memidx 1
  assert.throws(() => instrument(m.build(), both), (e: unknown) =>
    e instanceof InstrumentError && /multi-memory/.test(e.message));
  const m64 = new ModuleBuilder();
  const t = m64.type([T.i64, T.i32], [T.i32]);
  m64.memory(1, 1, true, true);
  m64.func(t, [I.localGet(0), I.localGet(1), I.atomicNotify(0)]);
  const mem64 = m64.build();
  validOrThrow(mem64);
  assert.throws(() => instrument(mem64, both), /64-bit memory/);
});

test("function indices are renumbered in calls, tail calls, ref.func, elements, globals, exports and start", () => {
  const m = new ModuleBuilder();
  const vi = m.type([], [T.i32]);
  const iv = m.type([T.i32], []);
  const ii = m.type([T.i32], [T.i32]);
  const vv = m.type([], []);
  const log = m.importFunc("env", "log", iv);
  const ptr = m.importGlobal("env", "base", T.i32, false);
  m.table(16);
  const seven = m.func(vi, [I.i32Const(7)]);
  const callSeven = m.func(vi, [I.call(seven), I.i32Const(1), I.i32Add]);
  const tail = m.func(vi, [I.returnCall(callSeven)]);
  const viaTable = m.func(ii, [I.localGet(0), I.callIndirect(vi)]);
  const seventy = m.func(vi, [I.i32Const(70)]);
  const viaRefFunc = m.func(vi, [I.i32Const(9), I.refFunc(tail), [0x26, 0], I.i32Const(9), I.callIndirect(vi)]);
  const started = m.global(T.i32, true, [I.i32Const(0)]);
  const fref = m.global(T.funcref, false, [I.refFunc(seventy)]);
  const viaGlobal = m.func(vi, [I.i32Const(8), I.globalGet(fref), [0x26, 0], I.i32Const(8), I.callIndirect(vi)]);
  const tableInit = m.func(vi, [
    I.i32Const(10), I.i32Const(0), I.i32Const(1), [0xfc, 12, ...uleb(5), 0], // table.init seg 5 (passive funcs)
    I.i32Const(11), I.i32Const(0), I.i32Const(1), [0xfc, 12, ...uleb(6), 0], // table.init seg 6 (passive exprs)
    I.i32Const(10), I.callIndirect(vi), I.i32Const(11), I.callIndirect(vi), I.i32Add,
  ]);
  const start = m.func(vv, [I.globalGet(ptr), I.call(log), I.i32Const(42), I.globalSet(started)]);
  const spin = m.func(ii, [I.loop(), I.localGet(0), I.i32Const(1), I.i32Sub, I.localTee(0), I.brIf(0), I.end, I.i32Const(3)]);
  m.elem([0x00, ...I.i32Const(0), 0x0b, 2, seven, callSeven]); // table[0,1]
  m.elem([0x04, ...I.i32Const(2), 0x0b, 1, ...I.refFunc(tail), 0x0b]); // table[2]
  m.elem([0x02, 0x00, ...I.i32Const(5), 0x0b, 0x00, 1, seventy]); // table[5]
  m.elem([0x06, 0x00, ...I.i32Const(6), 0x0b, T.funcref, 1, ...I.refFunc(callSeven), 0x0b]); // table[6]
  m.elem([0x03, 0x00, 1, tail]); // declarative (for ref.func in code)
  m.elem([0x01, 0x00, 1, seventy]); // passive funcs
  m.elem([0x05, T.funcref, 1, ...I.refFunc(seven), 0x0b]); // passive exprs
  m.elem([0x07, T.funcref, 1, ...I.refFunc(tail), 0x0b]); // declarative exprs
  m.start(start);
  for (const [name, f] of Object.entries({ seven, callSeven, tail, viaTable, viaRefFunc, viaGlobal, tableInit, spin })) {
    m.export(name, "func", f);
  }
  m.export("started", "global", started);
  m.export("log", "func", log); // re-exported import keeps its index
  m.custom("name", nameSection(
    [[log, "log"], [seven, "seven"], [callSeven, "callSeven"], [tableInit, "tableInit"]],
    [[viaTable, [[0, "slot"]]]],
  ));
  const bytes = m.build();

  const results = (b: Uint8Array) => {
    const logged: number[] = [];
    const base = new Wasm.Global({ value: "i32", mutable: false }, 1234);
    const e = run(b, { log: (x: number) => logged.push(x), base }).exports;
    const f = (n: string) => (e[n] as (...a: number[]) => number);
    return {
      logged, started: (e.started as WasmGlobal).value,
      values: [f("seven")(), f("callSeven")(), f("tail")(), f("viaTable")(0), f("viaTable")(1), f("viaTable")(2),
        f("viaTable")(5), f("viaTable")(6), f("viaRefFunc")(), f("viaGlobal")(), f("tableInit")(), f("spin")(5)],
      reexport: typeof e.log,
    };
  };
  const before = results(bytes);
  assert.deepEqual(before.values, [7, 8, 8, 7, 8, 8, 70, 8, 8, 70, 77, 3]);
  for (const opts of [both, { ...both, checkStyle: "global" as const }]) {
    const r = instrument(bytes, opts);
    assert.deepEqual(r.imports, ["yield_check"]);
    assert.deepEqual(results(r.bytes), before);
    const mod = new Wasm.Module(r.bytes);
    const names = (l: { name: string }[]) => l.map((x) => x.name).sort();
    assert.deepEqual(names(Wasm.Module.exports(mod)),
      [...names(Wasm.Module.exports(new Wasm.Module(bytes))), FUEL_EXPORT].sort());
    // Name section: imports keep their index, defined functions moved by one, the new import named.
    const fn = functionNames(r.bytes);
    assert.equal(fn.get(log), "log");
    assert.equal(fn.get(1), "occlum.yield_check");
    assert.equal(fn.get(seven + 1), "seven");
    assert.equal(fn.get(callSeven + 1), "callSeven");
    assert.equal(fn.get(tableInit + 1), "tableInit");
    assert.equal(fn.get(`locals of ${viaTable + 1}`), "0:slot");
    assert.equal(fn.get(`locals of ${viaTable}`), undefined);
  }
});

test("SIMD and exception-handling instructions are copied through intact", () => {
  const m = new ModuleBuilder();
  const vi = m.type([], [T.i32]);
  const ivi = m.type([T.i32], []);
  m.memory(1);
  const tag = m.tag(ivi);
  const shuffle = [0xfd, 13, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0];
  const v128const = [0xfd, 12, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0];
  const load = [0xfd, 0, 4, 0]; // v128.load align=16
  const simd = m.func(vi, [
    I.i32Const(0), v128const, [0xfd, 11, 4, 0], // v128.store align=16
    I.block(), I.loop(),
    I.i32Const(0), I.i32Const(0), load, I.i32Const(0), load, shuffle, [0xfd, 11, 4, 0], // reverse bytes
    I.i32Const(16), I.i32Const(4), I.i32Const(0), load, [0xfd, 0x56, 2, 0, 1], [0xfd, 11, 4, 0], // load32_lane 1
    I.localGet(0), I.i32Const(1), I.i32Add, I.localTee(0), I.i32Const(3), I.i32Eq, I.brIf(1), I.br(0),
    I.end, I.end,
    I.i32Const(0), I.i32Load(12), [0xfd, 17], [0xfd, 27, 2], // i32x4.splat, extract_lane 2
    I.i32Const(16), load, [0xfd, 27, 1], I.i32Add, // + lane 1 of the lane-loaded vector
  ], [[1, T.i32]]);
  const thrower = m.func(ivi, [I.localGet(0), [0x08, tag]]);
  const tryTable = m.func(vi, [
    I.block(T.i32), [0x1f, 0x40, 1, 0x00, tag, 0], // try_table (catch tag -> label 0)
    I.i32Const(5), I.call(thrower), I.end, I.i32Const(-1), I.end,
    I.i32Const(1), I.i32Add,
  ]);
  m.export("simd", "func", simd);
  m.export("tryTable", "func", tryTable);
  // Legacy exception handling cannot share a module with try_table.
  const l = new ModuleBuilder();
  const lvi = l.type([], [T.i32]);
  const ltag = l.tag(l.type([T.i32], []));
  const lthrower = l.func(1, [I.localGet(0), [0x08, ltag]]);
  const legacy = l.func(lvi, [
    [0x06, T.i32], // try
    [0x06, T.i32], I.i32Const(9), I.call(lthrower), I.i32Const(0), [0x18, 0], // try ... delegate 0
    [0x07, ltag], // catch tag
    I.i32Const(100), I.i32Add, [0x19], I.i32Const(-2), I.end, // catch_all
  ]);
  l.export("legacy", "func", legacy);
  const results = (b: Uint8Array) => {
    const e = run(b).exports as Record<string, () => number>;
    const out: Record<string, number | string> = {};
    for (const n of Object.keys(e)) {
      if (typeof e[n] === "function") out[n] = e[n]!();
    }
    return out;
  };
  for (const bytes of [m.build(), l.build()]) {
    const before = results(bytes);
    const r = instrument(bytes, both);
    assert.deepEqual(results(r.bytes), before);
    if ("simd" in before) {
      assert.equal(before.tryTable, 6);
      assert.equal(r.stats.loopChecks, 1);
    } else {
      assert.equal(before.legacy, 109);
    }
  }
});

test("malformed input and double instrumentation are reported as InstrumentError", () => {
  assert.throws(() => instrument(new Uint8Array([1, 2, 3]), both), InstrumentError);
  const good = loopsAndRecursion();
  const truncated = good.slice(0, good.length - 3);
  assert.throws(() => instrument(truncated, both), InstrumentError);
  const once = instrument(good, both).bytes;
  assert.throws(() => instrument(once, both), /instrumented twice/);
  // Atomics-only instrumentation is idempotent in effect: nothing left to rewrite.
  assert.equal(instrument(once, { rewriteAtomics: true, preemption: false }).changed, false);
});

/** Loops that exercise label renumbering around wrapped loops. */
function controlFlowModule(): Uint8Array {
  const m = new ModuleBuilder();
  const ii = m.type([T.i32], [T.i32]);
  const vi = m.type([], [T.i32]);
  const tagT = m.type([T.i32], []);
  const tag = m.tag(tagT);
  // br / br_if / br_table from an inner loop to every enclosing level.
  const tables = m.func(ii, [
    I.block(), I.loop(),
    I.localGet(1), I.localGet(0), I.i32GeU, I.brIf(1),
    I.localGet(1), I.i32Const(1), I.i32Add, I.localSet(1),
    I.i32Const(0), I.localSet(2),
    I.block(), I.loop(),
    I.localGet(3), I.i32Const(31), I.i32Mul, I.localGet(1), I.localGet(2), I.i32Xor, I.i32Add, I.localSet(3),
    I.localGet(2), I.i32Const(1), I.i32Add, I.localTee(2), I.i32Const(200), I.i32GeU, I.brIf(1),
    I.localGet(2), I.localGet(1), I.i32LtU, I.brIf(0),
    I.localGet(3), I.i32Const(7), I.i32And, [0x0e, 4, 0, 1, 2, 3, 1], // br_table inner next outer done, default next
    I.end, I.end,
    I.br(0), I.end, I.end, I.localGet(3),
  ], [[3, T.i32]]);
  // A loop producing a value, and one whose type index has no parameters but a result.
  const valued = m.func(ii, [
    [0x03, T.i32],
    I.localGet(1), I.i32Const(1), I.i32Add, I.localTee(1), I.localGet(0), I.i32LtU, I.brIf(0),
    I.localGet(1), I.end,
    [0x03, vi], I.localGet(1), I.i32Const(3), I.i32Mul, I.localTee(1), I.i32Const(100000), I.i32LtU, I.brIf(0),
    I.localGet(1), I.end,
    I.i32Add,
  ], [[1, T.i32]]);
  // A loop with a parameter cannot be wrapped: it gets an inline check.
  const withParam = m.func(ii, [
    I.localGet(0),
    [0x03, ii], I.i32Const(1), I.i32Sub, I.localTee(1),
    I.localGet(2), I.i32Const(1), I.i32Add, I.localSet(2),
    I.localGet(1), I.brIf(0), I.end,
    I.localGet(2), I.i32Add,
  ], [[2, T.i32]]);
  // try_table inside a loop catching to a label outside it.
  const tryTable = m.func(ii, [
    I.block(T.i32), I.loop(),
    [0x1f, 0x40, 1, 0x00, tag, 1], // try_table (catch tag -> the outer block)
    I.localGet(0), I.i32Const(1), I.i32Add, I.localTee(0), I.i32Const(50), I.i32Eq,
    I.if(), I.localGet(0), I.i32Const(10), I.i32Mul, [0x08, tag], I.end,
    I.br(1), I.end,
    I.end, I.i32Const(-1), I.end,
  ]);
  for (const [n, f] of Object.entries({ tables, valued, withParam, tryTable })) m.export(n, "func", f);
  return m.build();
}

function legacyEhModule(): Uint8Array {
  const m = new ModuleBuilder();
  const ii = m.type([T.i32], [T.i32]);
  const tag = m.tag(m.type([T.i32], []));
  const delegate = m.func(ii, [
    [0x06, T.i32], I.loop(),
    [0x06, 0x40], I.localGet(0), I.i32Const(1), I.i32Add, I.localTee(0), I.i32Const(30), I.i32Eq,
    I.if(), I.localGet(0), [0x08, tag], I.end, [0x18, 1], // try ... delegate 1 (the outer try)
    I.br(0), I.end,
    I.i32Const(-1),
    [0x07, tag], I.i32Const(1000), I.i32Add, I.end,
  ]);
  const rethrow = m.func(ii, [
    [0x06, T.i32],
    [0x06, 0x40], I.i32Const(7), [0x08, tag],
    [0x07, tag], I.localSet(1),
    I.loop(), I.localGet(0), I.i32Const(1), I.i32Add, I.localTee(0), I.i32Const(20), I.i32LtU, I.brIf(0),
    [0x09, 1], // rethrow the exception caught by the enclosing catch
    I.end, I.end,
    I.i32Const(-1),
    [0x07, tag], I.i32Const(2000), I.i32Add, I.end,
  ], [[1, T.i32]]);
  m.export("delegate", "func", delegate);
  m.export("rethrow", "func", rethrow);
  return m.build();
}

test("wrapped loops keep every branch target: br_table, valued loops, params, try_table, delegate, rethrow", () => {
  for (const bytes of [controlFlowModule(), legacyEhModule()]) {
    const plain = run(bytes).exports as Record<string, (x: number) => number>;
    for (const checkStyle of ["local-counter", "global"] as const) {
      const r = instrument(bytes, { ...both, checkStyle, loopBudget: 3, initialFuel: 1 });
      const st = run(r.bytes, {}, 1);
      const e = st.exports as Record<string, (x: number) => number>;
      for (const name of Object.keys(plain)) {
        for (const arg of [1, 7, 29]) assert.equal(e[name]!(arg), plain[name]!(arg), `${name}(${arg}) ${checkStyle}`);
      }
      assert.ok(st.yields > 10, `${checkStyle}: ${st.yields} yields`);
    }
  }
  const plain = run(controlFlowModule()).exports as Record<string, (x: number) => number>;
  assert.equal(plain.tryTable!(0), 500);
  assert.equal(plain.withParam!(10), 10);
  assert.equal(run(legacyEhModule()).exports.delegate !== undefined, true);
});

test("indices whose LEB128 grows with the shift (127 -> 128 and beyond) are re-encoded", () => {
  const m = new ModuleBuilder();
  const vi = m.type([], [T.i32]);
  const count = 300;
  // f_k calls f_{k+1} and adds 1; the last returns 0; f_0 therefore returns count - 1.
  for (let k = 0; k < count; k++) {
    m.func(vi, k === count - 1 ? [I.i32Const(0)] : [I.call(k + 1), I.i32Const(1), I.i32Add]);
  }
  for (const k of [0, 126, 127, 128, 200]) m.export(`f${k}`, "func", k);
  m.table(count);
  m.elem([0x00, ...I.i32Const(0), 0x0b, ...uleb(count), ...Array.from({ length: count }, (_, k) => uleb(k)).flat()]);
  const bytes = m.build();
  const r = instrument(bytes, both);
  const e = run(r.bytes).exports as Record<string, () => number>;
  for (const k of [0, 126, 127, 128, 200]) assert.equal(e[`f${k}`]!(), count - 1 - k);
});

test("elideFences drops every atomic.fence (one agent) and nothing else; off by default", () => {
  const m = new ModuleBuilder();
  m.memory(1, 1, true);
  const ii = m.type([T.i32], [T.i32]);
  // spin(n): n rounds of (fence; acc += 2), the shape of the libc's spin-before-wait loop.
  const spin = m.func(ii, [
    I.block(), I.loop(),
    I.localGet(0), I.i32Eqz, I.brIf(1),
    I.atomicFence,
    I.localGet(1), I.i32Const(2), I.i32Add, I.localSet(1),
    I.localGet(0), I.i32Const(1), I.i32Sub, I.localSet(0),
    I.br(0), I.end, I.end, I.atomicFence, I.localGet(1),
  ], [[1, T.i32]]);
  m.export("spin", "func", spin);
  const bytes = m.build();
  const count = (b: Uint8Array): number => {
    let n = 0;
    for (let i = 0; i + 2 < b.length; i++) if (b[i] === 0xfe && b[i + 1] === 0x03 && b[i + 2] === 0x00) n++;
    return n;
  };
  assert.equal(count(bytes), 2);
  // Fence elision alone is a change (no imports needed); with the other rewrites too.
  for (const opts of [{ rewriteAtomics: false, preemption: false, elideFences: true }, { ...both, elideFences: true }]) {
    const r = instrument(bytes, opts);
    assert.equal(r.changed, true);
    assert.equal(r.stats.fencesElided, 2);
    assert.equal(count(r.bytes), 0);
    const s = run(r.bytes);
    assert.equal((s.exports.spin as (n: number) => number)(1000), 2000);
  }
  const kept = instrument(bytes, both);
  assert.equal(count(kept.bytes), 2);
  assert.equal(kept.stats.fencesElided, undefined);
  assert.equal((run(kept.bytes).exports.spin as (n: number) => number)(10), 20);
});

test("a call of WASIX futex_wake is followed by a fuel test: a waker whose fuel the kernel emptied yields right after it", () => {
  const build = (module: string): Uint8Array => {
    const m = new ModuleBuilder();
    const wakeT = m.type([T.i32, T.i32], [T.i32]); // futex_wake(futex*, woken*) -> errno
    const v = m.type([], []);
    const vi = m.type([], [T.i32]);
    const wake = m.importFunc(module, "futex_wake", wakeT);
    const mark = m.importFunc("env", "mark", v);
    m.export("f", "func", m.func(vi, [I.i32Const(0), I.i32Const(0), I.call(wake), I.drop, I.call(mark), I.i32Const(7)]));
    return m.build();
  };
  const r = instrument(build("wasix_32v1"), both);
  assert.equal(r.stats.wakeChecks, 1);
  assert.equal(instrument(build("env"), both).stats.wakeChecks, undefined, "only WASIX's futex_wake");
  const log: string[] = [];
  let empty = true;
  const fuel = (): WasmGlobal => inst.exports[FUEL_EXPORT] as WasmGlobal;
  const inst = new Wasm.Instance(new Wasm.Module(r.bytes), {
    wasix_32v1: {
      futex_wake: () => {
        log.push("wake");
        if (empty) fuel().value = -1; // what Thread.wokeUp does through forceCheck
        return 0;
      },
    },
    env: { mark: () => void log.push("mark") },
    occlum: {
      yield_check: () => {
        log.push("yield");
        fuel().value = 1000;
      },
    },
  }) as { exports: Record<string, unknown> };
  const f = inst.exports.f as () => number;
  assert.equal(f(), 7);
  assert.deepEqual(log, ["wake", "yield", "mark"], "the yield comes before the next instruction");
  log.length = 0;
  empty = false;
  assert.equal(f(), 7);
  assert.deepEqual(log, ["wake", "mark"], "with fuel left the test costs no call");
});
