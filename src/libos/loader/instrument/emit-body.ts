/**
 * Writes the code section's function bodies: each defined function with its checks, wrapped and
 * unrolled loops, renumbered calls and labels (from the scan's events), the fuel-passing clones
 * and the wrappers that replace their originals, and the atomic wait/notify helpers. What goes
 * where is the Plan's (plan.ts); the check sequences are checks.ts's.
 */

import { type ByteWriter, InstrumentError } from "./bytes.ts";
import { checkWriter } from "./checks.ts";
import { AtomicOp, Ev, type EventList } from "./code-scan.ts";
import { KernelImport } from "./contract.ts";
import { writeCloneLocals } from "./fuel-pass.ts";
import { loopBodyCalls } from "./mvp-walk.ts";
import { type Plan, specOf } from "./plan.ts";

/** wrapCovered's mark of a loop checked on its back-edge (0: at its header, 1: covered). */
const BACK_EDGE = 2;

/** The slow-path branches of one function body, as offsets from the body's start (its locals). */
export interface BodyHints {
  func: number;
  offsets: number[];
}

export interface BodyWriter {
  /** Filled by emitBody, in function index order: what emit-module.ts writes as branch hints. */
  readonly hints: BodyHints[];
  emitBody(i: number, ev: EventList, first: number, last: number, cov: Uint8Array, clone: boolean): void;
  emitWrapper(i: number): void;
  writeHelper(op: AtomicOp, offset: number): void;
  writeRefuel(): void;
}

/** Body writers for the module `b` as `plan` instruments it, appending to `out`. */
export function bodyWriter(b: Uint8Array, plan: Plan, out: ByteWriter): BodyWriter {
  const {
    info, style, unroll, bodies, charged, preempt, counted, K, importIndex, helperBase, fuelGlobal, yieldIndex, fp,
    cloneBase, stats,
  } = plan;
  const hints: BodyHints[] = [];
  // Positions in `out` of the current body's slow-path branches (null outside emitBody).
  let recording: number[] | null = null;
  const hint = (pos: number): void => {
    recording?.push(pos);
  };
  const {
    emitGlobalCheck, emitCounterInit, emitCounterDecrement, emitCounterLeft, emitFuelCharge, emitSyncOut, emitSyncIn, emitRefill,
    emitLocalCheck, writeRefuel, emitTest, iterationCalls,
  } = checkWriter(out, fuelGlobal, yieldIndex, plan.loopBudget, plan.callsPerUnit, plan.refuelIndex, hint);

  /**
   * Copy [from, to) of a plain loop body, applying its events [e0, e1) (the only kinds a plain
   * body can hold: local renumbering in a clone, memory.grow, fences, atomics).
   */
  const copyPlain = (
    ev: EventList, from: number, to: number, e0: number, e1: number, moved: number, count: boolean,
  ): void => {
    const d = ev.data;
    let c = from;
    for (let k = e0; k < e1; k++) {
      const kind = d[k * 4]!;
      const a = d[k * 4 + 1]!;
      if (kind === Ev.Local && moved < 0) continue;
      out.range(b, c, a);
      c = d[k * 4 + 2]!;
      if (kind === Ev.Local) {
        out.u32(moved);
      } else if (kind === Ev.Grow) {
        out.byte(0x10); out.u32(importIndex.get(KernelImport.memoryGrow)!);
        if (count) stats.growCalls = (stats.growCalls ?? 0) + 1;
      } else if (kind === Ev.Fence) {
        if (count) stats.fencesElided = (stats.fencesElided ?? 0) + 1;
      } else if (kind === Ev.Atomic) {
        out.byte(0x10); out.u32(helperBase + d[k * 4 + 3]!);
        if (count) stats.atomicCalls++;
      } else {
        throw new InstrumentError(`event ${kind} in a plain loop body`, a);
      }
    }
    out.range(b, c, to);
  };

  /**
   * One function body: defined function i's instrumented body, or (`clone`) its fuel-passing
   * clone, from the events [first, last) of `ev` (`cov`: covered flag per event index).
   */
  const emitBody = (i: number, ev: EventList, first: number, last: number, cov: Uint8Array, clone: boolean): void => {
    const d = ev.data;
    const mark = out.reserveLength();
    recording = [];
    const loops = preempt && bodies.loops[i]! > 0;
    const params = info.typeParams[info.funcTypes[i]!]!;
    const declared = bodies.locals[i]!;
    // Clone: the fuel is parameter `params`; the declared local that had that index moves to the
    // end (`moved`), so every other local keeps its index (fuel-pass.ts).
    const fuel = clone ? params : -1;
    const moved = clone && declared > 0 ? params + declared : -1;
    const entryCheck = preempt && charged[i] === 1;
    let tmp = -1;
    if (clone) {
      tmp = params + 1 + declared;
      writeCloneLocals(b, bodies.vecEnd[i]!, bodies.localEntries[i]!, out);
    } else if (entryCheck || loops) {
      tmp = params + declared;
      out.u32(bodies.localEntries[i]! + 1);
      out.range(b, bodies.vecEnd[i]!, bodies.instr[i]!);
      out.byte(1); out.byte(0x7f);
    } else {
      out.range(b, bodies.start[i]!, bodies.instr[i]!);
    }
    // The clone's body is a block (the function's results) so that `return` can become a branch
    // out of it, followed by the fuel result.
    if (clone) { out.byte(0x02); out.byte(fp.blockType.get(info.funcTypes[i]!)!); }
    if (entryCheck) {
      if (clone) emitFuelCharge(fuel);
      else emitGlobalCheck(tmp);
      stats.entryChecks++;
    }
    if (loops && style === "local-counter" && counted[i]) emitCounterInit(tmp);
    // Covered flags of the wrapped loops enclosing the current position (innermost last).
    const wrapCovered: number[] = [];
    let cur = bodies.instr[i]!;
    for (let e = first; e < last; e++) {
      const kind = d[e * 4]!;
      const a = d[e * 4 + 1]!;
      if (kind === Ev.Loop) {
        const after = d[e * 4 + 2]!;
        const trips = d[e * 4 + 3]! >>> 3;
        if (d[e * 4 + 3]! & 2) {
          // Unrolled plain loop (U copies of its body P, which leaves the loop condition), checked
          // on its back-edge (U iterations per check; an entry that stops before U pays nothing):
          // loop; P; if; P; if; ... P; if; counter -= U; br_if $loop (still >= 0); br $slow; end ... end
          let le = e + 1;
          while (d[le * 4] !== Ev.LoopEnd) le++;
          const endPos = d[le * 4 + 1]!;
          out.range(b, cur, a);
          out.byte(0x02); out.range(b, a + 1, after);
          out.byte(0x03); out.byte(0x40);
          out.byte(0x02); out.byte(0x40);
          out.range(b, a, after);
          for (let k = 0; k < unroll; k++) {
            copyPlain(ev, after, endPos - 2, e + 1, le, moved, k === 0); // up to the br_if 0 (2 bytes)
            out.byte(0x04); out.byte(0x40);
          }
          // Inside the U ifs, the loop, then $slow.
          emitCounterLeft(tmp, unroll);
          out.byte(0x0d); out.u32(unroll); // br_if $loop
          out.byte(0x0c); out.u32(unroll + 1); // br $slow
          for (let k = 0; k < unroll; k++) out.byte(0x0b);
          wrapCovered.push(0);
          stats.loopChecks++;
          stats.unrolledLoops = (stats.unrolledLoops ?? 0) + 1;
          cur = endPos;
          e = le - 1;
          continue;
        }
        if (d[e * 4 + 3]! & 1) {
          // block $exit (loop's type); loop $outer; block $slow; loop (original) + check.
          // A covered loop never refills, so its $outer is a block: a loop header that never
          // iterates still costs V8 an interrupt check per entry (once per call of fib's body).
          out.range(b, cur, a);
          out.byte(0x02); out.range(b, a + 1, after);
          out.byte(cov[e] ? 0x02 : 0x03); out.byte(0x40);
          out.byte(0x02); out.byte(0x40);
          if (!cov[e] && trips > 0) {
            // A counted loop pays for all its iterations before it starts; after a refill
            // ($slow, then $outer) it pays again from the full counter, so it always enters.
            emitCounterDecrement(tmp, trips);
            hint(out.len); out.byte(0x0d); out.byte(0x00); // br_if $slow
          }
          out.range(b, a, after);
          // Checked on its back-edge (its only one, the final br_if 0) or at its header.
          const backEdge = !cov[e] && trips === 0 && (d[e * 4 + 3]! & 4) !== 0;
          wrapCovered.push(backEdge ? BACK_EDGE : cov[e]!);
          if (!cov[e] && trips === 0 && !backEdge) {
            emitCounterDecrement(tmp);
            hint(out.len); out.byte(0x0d); out.byte(0x01); // br_if $slow
          }
        } else {
          out.range(b, cur, after);
          if (cov[e]) { /* the call at the top of the body charges each iteration */ }
          else if (clone && loopBodyCalls(b, after, bodies.end[i]!) === true) {
            // A loop that calls, in a clone: each iteration charges what it costs (C / loopBudget
            // calls, at least one) to the fuel the clone holds in a register, as an entry does
            // (no counter: with the branch hinted, fib's loop +3% against +10% for the counter
            // on a hand-written copy; bench/instrument/README.md, ninth round).
            emitFuelCharge(fuel, false, iterationCalls);
          } else if (style === "local-counter") emitLocalCheck(tmp, fuel);
          else emitGlobalCheck(tmp);
        }
        // (Each function's body is emitted once: as itself or as its clone.)
        if (cov[e]) stats.coveredLoops = (stats.coveredLoops ?? 0) + 1;
        else if (trips > 0 && d[e * 4 + 3]! & 1) stats.countedLoops = (stats.countedLoops ?? 0) + 1;
        else stats.loopChecks++;
        cur = after;
      } else if (kind === Ev.LoopEnd) {
        // end (loop); br $exit; end $slow; refill; br $outer; end; unreachable; end
        // (covered: end (loop); br $exit; end $slow; unreachable; end; unreachable; end)
        // Checked on its back-edge: the final `br_if 0` becomes if; counter -= 1; br_if $loop (still
        // >= 0); br $slow; end
        const wc = wrapCovered.pop();
        if (wc === BACK_EDGE) {
          out.range(b, cur, a - 2);
          out.byte(0x04); out.byte(0x40);
          emitCounterLeft(tmp);
          out.byte(0x0d); out.byte(0x01); // br_if $loop
          out.byte(0x0c); out.byte(0x02); // br $slow (past the if and the loop)
          out.byte(0x0b);
          cur = a;
        }
        out.range(b, cur, a + 1);
        out.byte(0x0c); out.byte(0x02);
        out.byte(0x0b);
        if (wc === 1) {
          out.byte(0x00); // $slow is never taken: the labels stay so branch renumbering holds
        } else {
          emitRefill(tmp, fuel);
          out.byte(0x0c); out.byte(0x00);
        }
        out.byte(0x0b);
        out.byte(0x00);
        out.byte(0x0b);
        cur = a + 1;
      } else if (kind === Ev.Label) {
        out.range(b, cur, a);
        out.u32(d[e * 4 + 3]!);
        cur = d[e * 4 + 2]!;
      } else if (kind === Ev.FuncRef || kind === Ev.RefFunc) {
        const idx = d[e * 4 + 3]!;
        const callee = idx - info.importedFuncs;
        if (clone && kind === Ev.FuncRef && b[a - 1] === 0x10 && callee < bodies.count) {
          out.range(b, cur, a - 1);
          const j = fp.cloneOf[callee]!;
          if (j >= 0) { // fuel in, fuel out: local.get F; call clone; local.set F
            out.byte(0x20); out.u32(fuel);
            out.byte(0x10); out.u32(cloneBase + j);
            out.byte(0x21); out.u32(fuel);
          } else if (fp.touchesFuel[callee]) {
            emitSyncOut(fuel);
            out.byte(0x10); out.u32(idx + K);
            emitSyncIn(fuel);
          } else {
            out.byte(0x10); out.u32(idx + K);
          }
        } else {
          out.range(b, cur, a);
          out.u32(idx + K);
        }
        cur = d[e * 4 + 2]!;
      } else if (kind === Ev.WakeCall) {
        // A test after the call: the kernel empties the fuel when the waker must give way to the
        // thread it woke (Thread.wokeUp), before it can take the lock again.
        const end = d[e * 4 + 2]!;
        out.range(b, cur, end);
        emitTest();
        stats.wakeChecks = (stats.wakeChecks ?? 0) + 1;
        cur = end;
      } else if (kind === Ev.Local) {
        if (!clone) continue;
        out.range(b, cur, a);
        out.u32(moved);
        cur = d[e * 4 + 2]!;
      } else if (kind === Ev.Return) {
        if (!clone) continue;
        out.range(b, cur, a);
        out.byte(0x0c); out.u32(d[e * 4 + 3]!); // br to the body block
        cur = a + 1;
      } else if (kind === Ev.CallInd) {
        if (!clone) continue;
        const end = d[e * 4 + 2]!;
        out.range(b, cur, a);
        emitSyncOut(fuel);
        out.range(b, a, end);
        emitSyncIn(fuel);
        cur = end;
      } else if (kind === Ev.Grow) {
        out.range(b, cur, a);
        out.byte(0x10);
        out.u32(importIndex.get(KernelImport.memoryGrow)!);
        stats.growCalls = (stats.growCalls ?? 0) + 1;
        cur = d[e * 4 + 2]!;
      } else if (kind === Ev.Fence) {
        out.range(b, cur, a);
        stats.fencesElided = (stats.fencesElided ?? 0) + 1;
        cur = d[e * 4 + 2]!;
      } else if (kind === Ev.Atomic) {
        out.range(b, cur, a);
        out.byte(0x10);
        out.u32(helperBase + d[e * 4 + 3]!);
        stats.atomicCalls++;
        cur = d[e * 4 + 2]!;
      }
    }
    out.range(b, cur, bodies.end[i]!);
    if (clone) { out.byte(0x20); out.u32(fuel); out.byte(0x0b); } // the body block's end was copied
    out.patchLength(mark);
    // Offsets from the body's start, which the length prefix (5 bytes reserved) preceded.
    if (recording.length > 0) {
      const func = clone ? cloneBase + fp.cloneOf[i]! : i + info.importedFuncs + K;
      hints.push({ func, offsets: recording.map((pos) => pos - (mark + 5)) });
    }
    recording = null;
  };

  // The original index of a cloned function keeps its callers outside the cycle (exports, tables,
  // other functions): local.get params; global.get G; call clone; global.set G
  const emitWrapper = (i: number): void => {
    const mark = out.reserveLength();
    out.byte(0);
    const params = info.typeParams[info.funcTypes[i]!]!;
    for (let l = 0; l < params; l++) { out.byte(0x20); out.u32(l); }
    out.byte(0x23); out.u32(fuelGlobal);
    out.byte(0x10); out.u32(cloneBase + fp.cloneOf[i]!);
    out.byte(0x24); out.u32(fuelGlobal);
    out.byte(0x0b);
    out.patchLength(mark);
  };

  const writeHelper = (op: AtomicOp, offset: number): void => {
    const mark = out.reserveLength();
    out.byte(0); // no locals
    // Trap exactly as the original would on a misaligned or out-of-bounds address.
    out.byte(0x20); out.byte(0);
    out.byte(0xfe); out.byte(op === AtomicOp.Wait64 ? 0x11 : 0x10); out.byte(op === AtomicOp.Wait64 ? 3 : 2);
    out.u32(offset);
    out.byte(0x1a);
    out.byte(0x20); out.byte(0);
    if (offset !== 0) {
      out.byte(0x41); out.i32(offset); out.byte(0x6a);
    }
    out.byte(0x20); out.byte(1);
    if (op !== AtomicOp.Notify) { out.byte(0x20); out.byte(2); }
    out.byte(0x10); out.u32(importIndex.get(specOf(op).name)!);
    if (op === AtomicOp.Notify && preempt) emitTest(); // a notify is a wake: as Ev.WakeCall
    out.byte(0x0b);
    out.patchLength(mark);
  };

  return { hints, emitBody, emitWrapper, writeHelper, writeRefuel };
}
