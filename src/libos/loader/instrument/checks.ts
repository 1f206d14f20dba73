/**
 * The preemption check sequences (instrument.ts's header says which goes where): the inline
 * global charge, the per-invocation loop counter (init, decrement, refill) and, for fuel-passing
 * clones, the charge of the fuel local with its syncs to and from the global around calls.
 * Each writes straight-line bytes to `out`; none decides anything.
 *
 * A clone's fuel local counts calls: it is the global's value times 2^callShift (plus the part
 * of a unit not yet spent). An entry charge takes 1 from it, a refill a whole unit (2^callShift).
 * Written back, it is shifted right (arithmetic: rounded down, so a part of a unit spent is
 * charged as a whole one and nothing charged is lost); read in, shifted left.
 */

import type { ByteWriter } from "./bytes.ts";

export interface CheckWriter {
  emitGlobalCheck(tmp: number): void;
  emitCounterInit(counter: number): void;
  emitCounterDecrement(counter: number, n?: number): void;
  emitFuelCharge(fuel: number, units?: number): void;
  emitSyncOut(fuel: number): void;
  emitSyncIn(fuel: number): void;
  emitRefill(counter: number, fuel: number): void;
  emitLocalCheck(counter: number, fuel: number): void;
  writeRefuel(): void;
}

/** Check writers for a module whose fuel global is `fuelGlobal` and yield_check import `yieldIndex`. */
export function checkWriter(
  out: ByteWriter, fuelGlobal: number, yieldIndex: number, loopBudget: number, callShift = 0, refuelIndex = -1,
): CheckWriter {
  // global.get F; i32.const 1; i32.sub; local.tee T; global.set F; local.get T; i32.const 0;
  // i32.lt_s; if; call yield_check; end
  const emitGlobalCheck = (tmp: number): void => {
    out.byte(0x23); out.u32(fuelGlobal);
    out.byte(0x41); out.byte(0x01); out.byte(0x6b);
    out.byte(0x22); out.u32(tmp);
    out.byte(0x24); out.u32(fuelGlobal);
    out.byte(0x20); out.u32(tmp);
    out.byte(0x41); out.byte(0x00); out.byte(0x48);
    out.byte(0x04); out.byte(0x40);
    out.byte(0x10); out.u32(yieldIndex);
    out.byte(0x0b);
  };
  // i32.const B; local.set C
  const emitCounterInit = (counter: number): void => {
    out.byte(0x41); out.i32(loopBudget);
    out.byte(0x21); out.u32(counter);
  };
  // local.get C; i32.const n; i32.sub; local.tee C; i32.const 0; i32.lt_s
  const emitCounterDecrement = (counter: number, n = 1): void => {
    out.byte(0x20); out.u32(counter);
    out.byte(0x41); out.i32(n); out.byte(0x6b);
    out.byte(0x22); out.u32(counter);
    out.byte(0x41); out.byte(0x00); out.byte(0x48);
  };
  // In a fuel-passing clone the fuel lives in local F; it goes to the global only around
  // yield_check, in the out-of-line helper (writeRefuel: the inline path stays as small as it was
  // before the shifts, which cost ~4% on fib inline): local.get F; i32.const n; i32.sub;
  // local.tee F; i32.const 0; i32.lt_s; if; local.get F; call refuel; local.set F; end.
  // `units`: whole units (a refill), else one call.
  const emitFuelCharge = (fuel: number, units = 0): void => {
    out.byte(0x20); out.u32(fuel);
    out.byte(0x41); out.i32(units > 0 ? units * 2 ** callShift : 1); out.byte(0x6b);
    out.byte(0x22); out.u32(fuel);
    out.byte(0x41); out.byte(0x00); out.byte(0x48);
    out.byte(0x04); out.byte(0x40);
    out.byte(0x20); out.u32(fuel);
    out.byte(0x10); out.u32(refuelIndex);
    out.byte(0x21); out.u32(fuel);
    out.byte(0x0b);
  };
  const emitSyncOut = (fuel: number): void => {
    out.byte(0x20); out.u32(fuel);
    if (callShift > 0) { out.byte(0x41); out.i32(callShift); out.byte(0x75); }
    out.byte(0x24); out.u32(fuelGlobal);
  };
  const emitSyncIn = (fuel: number): void => {
    out.byte(0x23); out.u32(fuelGlobal);
    if (callShift > 0) { out.byte(0x41); out.i32(callShift); out.byte(0x74); }
    out.byte(0x21); out.u32(fuel);
  };
  // Counter ran out: charge one unit of fuel (yield_check below zero), refill the counter.
  // `fuel` < 0: the global (counter doubles as the temporary); else the clone's fuel local.
  const emitRefill = (counter: number, fuel: number): void => {
    if (fuel >= 0) emitFuelCharge(fuel, 1);
    else emitGlobalCheck(counter);
    emitCounterInit(counter);
  };
  // decrement; if; refill; end (for loops that cannot be wrapped: their type takes parameters)
  const emitLocalCheck = (counter: number, fuel: number): void => {
    emitCounterDecrement(counter);
    out.byte(0x04); out.byte(0x40);
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
    if (callShift > 0) { out.byte(0x41); out.i32(callShift); out.byte(0x74); }
    out.byte(0x0b);
    out.patchLength(mark);
  };

  return {
    emitGlobalCheck, emitCounterInit, emitCounterDecrement, emitFuelCharge, emitSyncOut, emitSyncIn, emitRefill,
    emitLocalCheck, writeRefuel,
  };
}
