import assert from "node:assert/strict";
import { test } from "node:test";
import { CALLS_PER_UNIT, instrument } from "./instrument.ts";
import { I, ModuleBuilder, T, instantiateFueled } from "./test-asm.ts";

const both = { rewriteAtomics: true, preemption: true } as const;
type Fn = (...a: number[]) => number;

const instantiate = instantiateFueled;

/** `i32.const k; local.set 1; loop <body>; local.get 1; i32.const c; i32.add; local.tee 1; <cmp>; br_if 0; end` */
const counted = (k: number, c: number, cmp: number[][], body: number[][] = []) => [
  I.i32Const(k), I.localSet(1), I.loop(),
  I.localGet(2), I.i32Const(3), I.i32Add, I.localSet(2), ...body,
  I.localGet(1), I.i32Const(c), I.i32Add, I.localTee(1), ...cmp, I.brIf(0), I.end,
];

test("counted loops (clang's for-loop shapes) are charged once per entry and compute the same", () => {
  // Each function runs its loop and returns 3 x the number of iterations; p0 is unused.
  const shapes: [string, number[][], number][] = [
    ["ne up", counted(0, 1, [I.i32Const(16), I.i32Ne]), 16],
    ["ne up by 4", counted(0, 4, [I.i32Const(256), I.i32Ne]), 64],
    ["lt_u", counted(5, 2, [I.i32Const(100), I.i32LtU]), 48],
    ["lt_s from negative", counted(-10, 3, [I.i32Const(10), I.i32LtS]), 7],
    ["gt_s down", counted(50, -5, [I.i32Const(0), I.i32GtS]), 10],
    ["gt_u down", counted(40, -1, [I.i32Const(8), [0x4b]]), 32],
    ["down to zero (br_if on the counter)", counted(33, -1, []), 33],
    ["ne wrapping past 0", counted(-2, 1, [I.i32Const(2), I.i32Ne]), 4],
  ];
  const m = new ModuleBuilder();
  const ii = m.type([T.i32], [T.i32]);
  for (const [name, body] of shapes) m.export(name, "func", m.func(ii, [...body, I.localGet(2)], [[2, T.i32]]));
  const bytes = m.build();
  const plain = instantiate(bytes, 0).exports;
  const r = instrument(bytes, { ...both, loopBudget: 100, initialFuel: 1000 });
  assert.equal(r.stats.countedLoops, shapes.length);
  assert.equal(r.stats.loopChecks, 0);
  const st = instantiate(r.bytes, 1000);
  for (const [name, , trips] of shapes) {
    assert.equal((plain[name] as Fn)(0), 3 * trips, name);
    assert.equal((st.exports[name] as Fn)(0), 3 * trips, name);
  }
});

test("a counted loop is charged its trip count: an outer loop of n entries costs about n x (T + 1)", () => {
  const m = new ModuleBuilder();
  const ii = m.type([T.i32], [T.i32]);
  // outer: while (p0-- != 0) { inner counted loop of 10 }
  m.export("f", "func", m.func(ii, [
    I.block(), I.loop(),
    I.localGet(0), I.i32Eqz, I.brIf(1),
    I.localGet(0), I.i32Const(1), I.i32Sub, I.localSet(0),
    ...counted(0, 1, [I.i32Const(10), I.i32Ne]),
    I.br(0), I.end, I.end, I.localGet(2),
  ], [[2, T.i32]]));
  // 10 units of fuel (a refill charges C = CALLS_PER_UNIT, an entry 1).
  const F = 10 * CALLS_PER_UNIT;
  const r = instrument(m.build(), { ...both, loopBudget: 100, initialFuel: F });
  assert.deepEqual([r.stats.countedLoops, r.stats.loopChecks], [1, 1]);
  const st = instantiate(r.bytes, F);
  assert.equal((st.exports.f as Fn)(10_000), 3 * 10 * 10_000);
  // 10000 x 11 counter units = 1100 refills (+1 entry charge), one yield per 11 refills: 100.
  // Were the inner loop not charged at all: 100 refills, 9 yields.
  assert.ok(st.yields >= 90 && st.yields <= 110, `${st.yields} yields`);
});

test("loops that only look counted keep their per-iteration check and are still preempted", () => {
  const m = new ModuleBuilder();
  const vv = m.type([T.i32], [T.i32]);
  const spin: [string, number[][]][] = [
    // The body resets the counter: never ends.
    ["written in the body", counted(0, 1, [I.i32Const(16), I.i32Ne], [I.i32Const(0), I.localSet(1)])],
    // A second back-edge before the tail.
    ["second back-edge", counted(0, 1, [I.i32Const(16), I.i32Ne], [I.i32Const(1), I.brIf(0)])],
    // The start value 0 is set on only one path (a branch between it and the loop): p0 = 0 skips
    // it and the loop starts from 20, which never reaches 16.
    ["start not straight-line", [
      I.i32Const(20), I.localSet(1), I.localGet(0), I.if(), I.i32Const(0), I.localSet(1), I.end,
      I.loop(), I.localGet(1), I.i32Const(1), I.i32Add, I.localTee(1), I.i32Const(16), I.i32Ne, I.brIf(0), I.end,
    ]],
    // Start from a parameter, not a constant.
    ["start unknown", [
      I.loop(), I.localGet(0), I.i32Const(1), I.i32Add, I.localTee(0), I.i32Const(0), I.i32Ne, I.brIf(0), I.end,
    ]],
    // Step 2 from 1 never equals 16 (it would stop only after wrapping around 2^32).
    ["ne never reached", counted(1, 2, [I.i32Const(16), I.i32Ne])],
  ];
  for (const [name, body] of spin) m.export(name, "func", m.func(vv, [...body, I.i32Const(0)], [[2, T.i32]]));
  const r = instrument(m.build(), { ...both, loopBudget: 64, initialFuel: 50 });
  assert.equal(r.stats.countedLoops ?? 0, 0);
  for (const [name] of spin) {
    // "start unknown" ends after ~2^32 iterations; every other one never ends. Each is stopped.
    const st = instantiate(r.bytes, 50, 20);
    assert.throws(() => (st.exports[name] as Fn)(0), /preempted/, name);
  }
});

test("a trip count above the loop budget is not counted", () => {
  const m = new ModuleBuilder();
  const ii = m.type([T.i32], [T.i32]);
  m.export("f", "func", m.func(ii, [...counted(0, 1, [I.i32Const(65), I.i32Ne]), I.localGet(2)], [[2, T.i32]]));
  const bytes = m.build();
  assert.equal(instrument(bytes, { ...both, loopBudget: 64 }).stats.countedLoops ?? 0, 0);
  assert.equal(instrument(bytes, { ...both, loopBudget: 65 }).stats.countedLoops, 1);
});

test("a loop whose body starts with a nested loop relies on the nested loop's check when entering it charges, and is still preempted", () => {
  const m = new ModuleBuilder();
  const v = m.type([], []);
  // forever { inner loop that runs once }: the inner loop is checked on its back-edge (its final
  // br_if 0), which this one never takes, so entering it charges nothing: the outer loop needs its own.
  m.export("once", "func", m.func(v, [
    I.loop(), I.i32Const(1), I.drop, I.loop(), I.i32Const(0), I.brIf(0), I.end, I.br(0), I.end,
  ]));
  // Three levels; only the innermost has a check; it is counted (one iteration per entry).
  m.export("chain", "func", m.func(v, [
    I.loop(), I.loop(),
    ...counted(0, 1, [I.i32Const(1), I.i32Ne]),
    I.br(0), I.end, I.end,
  ], [[3, T.i32]]));
  // Not covered: a branch before the nested loop.
  m.export("branchFirst", "func", m.func(v, [
    I.loop(), I.i32Const(0), I.brIf(0), I.loop(), I.i32Const(0), I.brIf(0), I.end, I.br(0), I.end,
  ]));
  const r = instrument(m.build(), { ...both, loopBudget: 64, initialFuel: 50 });
  // once: both checked (the inner on its back-edge); chain: both outer levels covered, innermost
  // counted (it pays for its iterations when entered); branchFirst: none covered.
  assert.deepEqual([r.stats.coveredLoops, r.stats.countedLoops, r.stats.loopChecks], [2, 1, 4]);
  for (const fn of ["once", "chain", "branchFirst"]) {
    const st = instantiate(r.bytes, 50, 20);
    assert.throws(() => (st.exports[fn] as Fn)(), /preempted/, fn);
  }
});

test("a loop whose only back-edge is its final br_if 0 is checked on that back-edge: entering it costs nothing, going round does, spinning is preempted", () => {
  const m = new ModuleBuilder();
  const v = m.type([], []);
  const iv = m.type([T.i32], []);
  // stop(): two loops that never go round (`while (a[i] < p)` that stops at once), with a block
  // so that they are not unrolled.
  const never = [I.loop(), I.block(), I.end, I.i32Const(0), I.brIf(0), I.end];
  m.export("stop", "func", m.func(v, [...never, ...never]));
  // spin(): the same loop going round for ever; unrolled (a small plain body) and not.
  m.export("spin", "func", m.func(v, [I.loop(), I.i32Const(1), I.brIf(0), I.end]));
  m.export("spinBig", "func", m.func(iv, [
    I.loop(), I.block(), I.localGet(0), I.brIf(0), I.end, I.i32Const(1), I.brIf(0), I.end,
  ]));
  // scan(n): n times over { a loop of 5 rounds } (the outer loop's own back-edge is checked too).
  m.export("scan", "func", m.func(iv, [
    I.loop(),
    I.i32Const(5), I.localSet(1),
    I.loop(), I.localGet(1), I.i32Const(1), I.i32Sub, I.localTee(1), I.brIf(0), I.end,
    I.localGet(0), I.i32Const(1), I.i32Sub, I.localTee(0), I.brIf(0),
    I.end,
  ], [[1, T.i32]]));
  const bytes = m.build();
  const r = instrument(bytes, { ...both, loopBudget: 64, initialFuel: 50 });
  // stop's body: the loop's header is followed by its own code, not a counter decrement, and its
  // final br_if 0 became `if; counter -= 1; br_if $loop (counter >= 0); br $slow; end` (its
  // counter is local 0).
  const hex = Buffer.from(r.bytes).toString("hex");
  assert.ok(hex.includes("034002400b4100" + "0440200041016b220041004e" + "0d010c020b0b"), "stop's back-edge check");
  assert.ok(!hex.includes("034020004101"), "no decrement right after a loop header");
  for (const fn of ["spin", "spinBig"]) {
    assert.throws(() => (instantiate(r.bytes, 50, 20).exports[fn] as Fn)(0), /preempted/, fn);
  }
  // stop called over and over pays its entry charge only (a call of fuel: a yield every 51 calls
  // with fuel 50). Checked at their headers its two loops took two iterations of the counter, one
  // more than the entry pays for (loopBudget / callsPerUnit = 1): a refill of 64 calls each time.
  const st = instantiate(r.bytes, 50);
  for (let k = 0; k < 3000; k++) (st.exports.stop as Fn)();
  assert.equal(st.yields, 3000 / 51 | 0, "one yield per 51 entry charges, nothing from the loops");
  // scan: 4 back-edges of the inner loop and 1 of the outer per outer round, the same results.
  const sc = instantiate(r.bytes, 50);
  (sc.exports.scan as Fn)(100_000);
  assert.ok(sc.yields > 0);
});
