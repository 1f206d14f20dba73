/**
 * The preemption check sequences (instrument.ts's header says which goes where): the inline
 * global charge, the per-invocation loop counter (init, decrement, refill) and, for fuel-passing
 * clones, the charge of the fuel local with its syncs to and from the global around calls.
 * Each writes straight-line bytes to `out`; none decides anything. `hint` hears the position of
 * every branch into a slow path (the `if` before a yield or a refuel), which is almost never
 * taken: emit-module.ts says so to the engine (a branch hint).
 *
 * The fuel (the global, and a clone's local copy of it) counts calls: a unit of loop work
 * (loopBudget iterations) is C = callsPerUnit of them. An entry charge takes 1, a loop refill C
 * and refills the counter to loopBudget; an invocation's counter starts at loopBudget / C (what
 * its entry charge paid for), so a call of a function that loops costs the same per iteration as
 * a refill does.
 */

import type { ByteWriter } from "./bytes.ts";

export interface CheckWriter {
  emitGlobalCheck(tmp: number, n?: number): void;
  emitTest(): void;
  emitCounterInit(counter: number, full?: boolean): void;
  emitCounterDecrement(counter: number, n?: number): void;
  emitCounterLeft(counter: number, n?: number): void;
  emitFuelCharge(fuel: number, whole?: boolean, amount?: number): void;
  /** What one loop iteration costs in calls (C / loopBudget, at least 1): a clone's loop that calls charges it per iteration. */
  readonly iterationCalls: number;
  emitSyncOut(fuel: number): void;
  emitSyncIn(fuel: number): void;
  emitRefill(counter: number, fuel: number): void;
  emitLocalCheck(counter: number, fuel: number): void;
  writeRefuel(): void;
}

/** Check writers for a module whose fuel global is `fuelGlobal` and yield_check import `yieldIndex`. */
export function checkWriter(
  out: ByteWriter, fuelGlobal: number, yieldIndex: number, loopBudget: number, callsPerUnit = 1, refuelIndex = -1,
  hint: (pos: number) => void = () => {},
): CheckWriter {
  const entryBudget = Math.max(1, Math.floor(loopBudget / callsPerUnit));
  // global.get F; i32.const n; i32.sub; local.tee T; global.set F; local.get T; i32.const 0;
  // i32.lt_s; if; call yield_check; end
  const emitGlobalCheck = (tmp: number, n = 1): void => {
    out.byte(0x23); out.u32(fuelGlobal);
    out.byte(0x41); out.i32(n); out.byte(0x6b);
    out.byte(0x22); out.u32(tmp);
    out.byte(0x24); out.u32(fuelGlobal);
    out.byte(0x20); out.u32(tmp);
    out.byte(0x41); out.byte(0x00); out.byte(0x48);
    hint(out.len); out.byte(0x04); out.byte(0x40);
    out.byte(0x10); out.u32(yieldIndex);
    out.byte(0x0b);
  };
  // A test without a charge (after a call that may have asked for a yield by emptying the fuel):
  // global.get F; i32.const 0; i32.lt_s; if; call yield_check; end
  const emitTest = (): void => {
    out.byte(0x23); out.u32(fuelGlobal);
    out.byte(0x41); out.byte(0x00); out.byte(0x48);
    hint(out.len); out.byte(0x04); out.byte(0x40);
    out.byte(0x10); out.u32(yieldIndex);
    out.byte(0x0b);
  };
  // i32.const B; local.set C (B: loopBudget after a refill, loopBudget / C at entry)
  const emitCounterInit = (counter: number, full = false): void => {
    out.byte(0x41); out.i32(full ? loopBudget : entryBudget);
    out.byte(0x21); out.u32(counter);
  };
  // local.get C; i32.const n; i32.sub; local.tee C; i32.const 0; i32.lt_s
  const emitCounterDecrement = (counter: number, n = 1): void => {
    out.byte(0x20); out.u32(counter);
    out.byte(0x41); out.i32(n); out.byte(0x6b);
    out.byte(0x22); out.u32(counter);
    out.byte(0x41); out.byte(0x00); out.byte(0x48);
  };
  // The same decrement, leaving whether the counter is still >= 0: a back-edge check branches
  // back to the loop on it and falls into the refill otherwise (one taken branch on the hot path:
  // quicksort +6.8% -> +5%, against a not-taken br_if $slow then br $loop).
  // local.get C; i32.const n; i32.sub; local.tee C; i32.const 0; i32.ge_s
  const emitCounterLeft = (counter: number, n = 1): void => {
    out.byte(0x20); out.u32(counter);
    out.byte(0x41); out.i32(n); out.byte(0x6b);
    out.byte(0x22); out.u32(counter);
    out.byte(0x41); out.byte(0x00); out.byte(0x4e);
  };
  // In a fuel-passing clone the fuel lives in local F; it goes to the global only around
  // yield_check, in the out-of-line helper (writeRefuel: one call on the slow path, which keeps
  // the inline path short): local.get F; i32.const n; i32.sub; local.tee F; i32.const 0;
  // i32.lt_s; if; local.get F; call refuel; local.set F; end. `whole`: a refill (C), else
  // `amount` calls (one by default).
  const emitFuelCharge = (fuel: number, whole = false, amount = 1): void => {
    out.byte(0x20); out.u32(fuel);
    out.byte(0x41); out.i32(whole ? callsPerUnit : amount); out.byte(0x6b);
    out.byte(0x22); out.u32(fuel);
    out.byte(0x41); out.byte(0x00); out.byte(0x48);
    hint(out.len); out.byte(0x04); out.byte(0x40);
    out.byte(0x20); out.u32(fuel);
    out.byte(0x10); out.u32(refuelIndex);
    out.byte(0x21); out.u32(fuel);
    out.byte(0x0b);
  };
  const emitSyncOut = (fuel: number): void => {
    out.byte(0x20); out.u32(fuel);
    out.byte(0x24); out.u32(fuelGlobal);
  };
  const emitSyncIn = (fuel: number): void => {
    out.byte(0x23); out.u32(fuelGlobal);
    out.byte(0x21); out.u32(fuel);
  };
  // Counter ran out: charge one unit of fuel (C calls; yield_check below zero), refill the
  // counter. `fuel` < 0: the global (counter doubles as the temporary); else the clone's fuel local.
  const emitRefill = (counter: number, fuel: number): void => {
    if (fuel >= 0) emitFuelCharge(fuel, true);
    else emitGlobalCheck(counter, callsPerUnit);
    emitCounterInit(counter, true);
  };
  // decrement; if; refill; end (for loops that cannot be wrapped: their type takes parameters)
  const emitLocalCheck = (counter: number, fuel: number): void => {
    emitCounterDecrement(counter);
    hint(out.len); out.byte(0x04); out.byte(0x40);
    emitRefill(counter, fuel);
    out.byte(0x0b);
  };

  // refuel(F) -> F, a whole function body (no locals): the clone's fuel to the global,
  // yield_check, and back.
  const writeRefuel = (): void => {
    const mark = out.reserveLength();
    out.byte(0);
    emitSyncOut(0);
    out.byte(0x10); out.u32(yieldIndex);
    out.byte(0x23); out.u32(fuelGlobal);
    out.byte(0x0b);
    out.patchLength(mark);
  };

  return {
    emitGlobalCheck, emitTest, emitCounterInit, emitCounterDecrement, emitCounterLeft, emitFuelCharge, emitSyncOut, emitSyncIn, emitRefill,
    emitLocalCheck, writeRefuel, iterationCalls: Math.max(1, Math.ceil(callsPerUnit / loopBudget)),
  };
}
