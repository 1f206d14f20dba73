/**
 * The load-time instrumenter: a byte-level rewrite of a wasm module so that guest threads can run
 * as JSPI coroutines on one JS thread.
 *
 * 1. memory.atomic.wait32/wait64/notify would block the whole JS thread (or never be woken by a
 *    coroutine on the same thread), so each becomes a call to a generated helper per (opcode,
 *    offset). The helper keeps wasm's trap semantics (an atomic load with the same memarg traps on
 *    an unaligned or out-of-bounds address) and calls the suspending kernel import with addr+offset.
 * 2. Nothing preempts running wasm, so loops and calls get fuel checks that call the suspending
 *    `occlum.yield_check` now and then; the host reads the clock there, resets the module-defined
 *    i32 global exported as `__occlum_fuel`, and yields when the time slice is over. The default
 *    "local-counter" style keeps the hot path in registers:
 *    - the fuel counts calls: a unit of loop work (loopBudget iterations) is C = callsPerUnit
 *      (default 64) of them, and the host refills fuel x C;
 *    - each loop decrements a per-invocation local counter once per iteration, at its header or
 *      on its back-edge (below); when it runs out, one unit (C) is charged to the global fuel and
 *      the counter is refilled to loopBudget;
 *    - every function that loops is charged 1 (a call) at entry, which pays for the first
 *      loopBudget / C iterations of the invocation: its counter starts there. So does every
 *      function in a call cycle (direct, or through the table between functions of matching
 *      types) or heading a long loop-free call chain (call-graph.ts);
 *    - a charge that takes the global below zero calls yield_check.
 *    The refill path sits outside the loop: each loop whose type takes no parameters and whose
 *    body calls nothing is wrapped as `block $exit (loop $outer (block $slow (loop ...; br_if
 *    $slow on exhaustion)) refill; br $outer)`, so the loop itself contains no call (V8 optimizes
 *    call-free inner loops much better, e.g. unrolls them). Branches that leave the loop are
 *    renumbered past the 3 added labels. A loop that calls gets its check inline (decrement; if;
 *    refill; end): V8 does not unroll it anyway, and there the inline form costs less (fib's loop:
 *    +12% against +20% wrapped); in a fuel-passing clone it charges the clone's fuel itself,
 *    C / loopBudget calls (at least one) per iteration, as an entry does (no counter). Every branch into a slow path (a refill, a yield) is hinted
 *    unlikely in a `metadata.code.branch_hint` section (the branch-hinting proposal, which V8
 *    reads), so V8 lays the slow paths out of line: fib +29% → +20% with nothing else changed.
 *    Refinements, each of which only removes or moves a check that another one already implies:
 *    - covered loops: a loop whose body starts (before any branch, call or other control
 *      instruction) with a direct call to a function charged at entry, or with a nested loop,
 *      has no check of its own: every iteration pays at least one call of fuel (the callee's entry
 *      charge) or one counter decrement (the nested loop's header check, or its own covering, down to a loop
 *      that is checked). Still wrapped, since wrapping is decided when the scan reaches the
 *      loop header, but with blocks only ($outer is a block, the refill path dead): a loop
 *      header that never iterates still costs V8 an interrupt check on every entry;
 *    - counted loops (trip-count.ts): a loop that provably runs T <= loopBudget times per entry
 *      (clang's `for (i = 0; i < 16; i++)`) subtracts T from the counter once, before it starts,
 *      and has no check inside;
 *    - back-edge checks: a wrapped loop whose only back-edge is its final `br_if 0` tests the
 *      counter on that branch's taken path (`if; decrement; br_if $loop while >= 0; br $slow;
 *      end`), not at its header, so an entry that does not go round pays nothing (quicksort's
 *      `while (a[i] < pivot) i++`, a few rounds per entry: its checks +10.5% → +4-5%). Every iteration but an
 *      entry's first still pays, so the loop is bounded the same; but entering it charges
 *      nothing, so it does not cover a loop whose body starts with it (markCovered);
 *    - small plain loops (code-scan.ts UNROLL_MAX_BODY: no control, no call, one `br_if 0`
 *      back-edge, e.g. `while (a[i] < pivot) i++`) are unrolled (`unroll` copies of the body,
 *      each leaving the loop when its condition fails) and subtract `unroll` per pass, on the
 *      last copy's back-edge;
 *    - fuel-passing clones (fuel-pass.ts): functions in a cycle of direct calls keep the fuel in
 *      a parameter/result instead of the global (a store-to-load chain through memory on every
 *      call), charged the same amounts at the same places, so yield_check runs exactly where it
 *      would with the global.
 *    The bound: the global fuel (or a clone's copy of it) is decreased by 1 per charged function
 *    entry and by C per refill of a loop counter. A counter starts at E = max(1, loopBudget / C)
 *    per invocation (paid by that invocation's entry charge) and at loopBudget after a refill (paid
 *    by the refill's C); it is decreased by at least one per iteration of every loop that is
 *    neither covered nor counted (a loop checked on its back-edge: per iteration after an entry's
 *    first, whose work an enclosing check or the entry charge pays, as for any straight-line
 *    code), by T before each run of a counted loop, and by U per pass (at most U iterations) of an
 *    unrolled loop (an entry's first U - 1 iterations unpaid); it is refilled when it goes below zero. Loops that
 *    are covered spend at least one counter decrement or one call of fuel per iteration elsewhere.
 *    So between two yield_checks at most fuel + 1 is charged, each 1 paying for at most one
 *    charged function entry and 2 x E loop iterations (a refill of C: 2 x loopBudget), plus
 *    straight-line code and calls to uncharged functions (whose work call-graph.ts bounds by
 *    WORK_LIMIT bytes of code): with the kernel's fuel (1024 x C), about 1024 x 2 x loopBudget
 *    iterations, as when a call cost a whole unit, but C times as many calls of a function that
 *    does not loop far.
 *    Functions that loop are charged at entry, so a fresh counter per invocation cannot be used to
 *    run loops forever by re-entering them; their counter starts at E, not loopBudget, so a
 *    function that loops a little, called over and over, pays per iteration what a refill does.
 *    Why every call of a recursive function still tests its fuel (bench/instrument/fib-checks.ts
 *    measures the alternatives on clang's fib): any cycle of execution must pass a test, and a
 *    loop whose iterations call a function that returns early (fib's leaves) forms one that
 *    passes only through the loop and the leaf. A test on either costs more than the test at
 *    entry does (a fuel test inside a loop that calls: +20-33% on fib; only at the entry of the
 *    non-leaf path: +3%, but then a loop of leaf calls never yields). Before any of this,
 *    inline-recursion.ts copies small self-recursive functions into themselves once: the copies
 *    have no test, the tests left sit at real entries (V8 inlined fib into itself, tests
 *    included), and a loop around a copy gets the ordinary counter check (fib: +48% → +29%),
 *    unless its counter bounds it: then it is written twice, and the copy that runs when the
 *    counter allows at most loopBudget / C iterations (what the entry paid for) has no check
 *    (the bounded loops of inline-recursion.ts; fib: the checks +11% → +3%).
 *    The "global" style (every loop header an inline global decrement of 1 + call) is kept for
 *    comparison: a call inside a loop costs 50-130% on tight loops (bench/instrument), the
 *    wrapped form ~0-3%. Counted loops, unrolling and fuel passing are "local-counter" only.
 *
 * 3. With `elideFences`, atomic.fence instructions are dropped. Only for a process whose threads
 *    all run on one agent (one JS thread, one vCPU): sequential execution is already sequentially
 *    consistent there, and a fence is a full barrier (mfence, ~20-40 ns on these machines). The
 *    libc's spin-before-futex-wait loops (a_spin is a fence, 100 rounds) cost microseconds per
 *    contended lock for nothing, since the holder cannot run while the spinner spins.
 *
 * Host contract: yield_check must be a WebAssembly.Suspending import that returns a Promise only
 * when it really yields (a start function runs outside `promising` and must not suspend), and it
 * refills `__occlum_fuel` (calls, not time: calibrate so fuel / callsPerUnit x loopBudget
 * iterations are about one slice; below 2^31).
 * futex_wait32/64 return wasm's codes (0 ok, 1 not-equal, 2 timed-out; timeout < 0 = forever) and
 * must trap (throw) on a non-shared memory as memory.atomic.wait does; futex_notify returns the
 * number woken.
 *
 * New imports go after the existing function imports, so every defined function moves up by the
 * number of new imports: all function-index references are renumbered. New types, helpers, the fuel
 * global and its export are appended at the ends of their index spaces, so nothing else moves.
 * Everything not rewritten is copied through byte for byte. A pure function over bytes.
 *
 * Where each part lives: plan.ts decides (the scan, entry charges, covered and counted loops,
 * fuel-passing clones, added imports and the index layout) before a byte is written;
 * emit-module.ts writes the sections, emit-body.ts the function bodies, checks.ts the check
 * sequences; contract.ts holds the names and types re-exported here.
 */

import { CALLS_PER_UNIT, FUEL_EXPORT, type InstrumentOptions, type InstrumentResult, type InstrumentStats } from "./contract.ts";
import { writeModule } from "./emit-module.ts";
import { inlineSelfRecursion } from "./inline-recursion.ts";
import { planInstrument } from "./plan.ts";

export { InstrumentError } from "./bytes.ts";
export {
  CALLS_PER_UNIT, type CheckStyle, FUEL_EXPORT, type InstrumentOptions, type InstrumentResult, type InstrumentStats, KERNEL_MODULE,
  KernelImport,
} from "./contract.ts";

const noStats: InstrumentStats = { functions: 0, loopChecks: 0, entryChecks: 0, atomicCalls: 0, helpers: 0 };

/** Instrument module `input`: plan.ts decides, emit-module.ts writes (the input itself when nothing changes). */
export function instrument(original: Uint8Array, options: InstrumentOptions): InstrumentResult {
  const inline = options.preemption && options.inlineRecursion !== false && (options.checkStyle ?? "local-counter") === "local-counter";
  // A loop may run loopBudget / callsPerUnit times on what its function's entry paid (contract.ts).
  const tripLimit = Math.floor((options.loopBudget ?? 4096) / (options.callsPerUnit ?? CALLS_PER_UNIT));
  const { bytes: input, bounded } = inline ? inlineSelfRecursion(original, tripLimit) : { bytes: original, bounded: new Set<number>() };
  const plan = planInstrument(input, options, bounded);
  if (plan === null) return { bytes: original, changed: false, imports: [], fuelExport: null, stats: { ...noStats } };
  return {
    bytes: writeModule(input, plan), changed: true, imports: plan.specs.map((s) => s.name),
    fuelExport: plan.preempt ? FUEL_EXPORT : null, stats: plan.stats,
  };
}
