/**
 * Preemption of a real guest computing through recursion alone (test/guest/wasi/spin_fib.c), run
 * by the kernel with the loader's default instrumentation: its recursion is a fuel-passing clone
 * charging 1/callsPerUnit of a unit per call (fuel-pass.ts), and the kernel's yield_check must
 * still come often enough that a timer fires, another guest runs to completion, and a kill ends it.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { readFileSync } from "node:fs";
import { Collect, guest, makeInstance, run, type Instance } from "../../../../test/libos/helpers.ts";
import { instrument } from "./instrument.ts";

let inst: Instance;
let spinFib: string;

before(async () => {
  spinFib = await guest("spin_fib");
  inst = await makeInstance({ programs: { "/bin/spin_fib": spinFib, "/bin/hello": await guest("hello") } });
});
after(async () => {
  await inst?.cleanup();
});

test("a guest recursing for ever is preempted (a timer and another guest run) and can be killed", { timeout: 30_000 }, async () => {
  // The shape under test: fib is cloned, and its only loop (clang's) is covered by the call.
  const stats = instrument(new Uint8Array(readFileSync(spinFib)), { rewriteAtomics: true, preemption: true }).stats;
  assert.ok((stats.fuelPassing ?? 0) >= 1, JSON.stringify(stats));
  const out = new Collect();
  const ac = new AbortController();
  const spinner = run(inst, "/bin/spin_fib", { stdout: out, signal: ac.signal });
  await out.waitFor(/spinning/);
  // While it recurses: a timer fires and another guest runs to completion (without preemption
  // neither happens and the test times out).
  await new Promise((r) => setTimeout(r, 30));
  const other = await run(inst, "/bin/hello");
  assert.equal(other.code, 0);
  assert.equal(out.text, "spinning\n");
  ac.abort();
  const r = await spinner;
  assert.equal(r.code, 137);
});
