/**
 * The `occlum` module's parent-death signal, for sdk/libc/prctl.c (PR_SET_PDEATHSIG and
 * PR_GET_PDEATHSIG; process/pdeath.ts): pdeath_signal(sig) sets it (0: none, EINVAL past 64) and
 * pdeath_signal(-1) only reads it; either returns the signal set before.
 */
import { A, R } from "../codecs.ts";
import { row, type SyscallRow } from "../table.ts";
import type { Thread } from "../../process/thread.ts";
import { setPdeathSignal } from "../../process/pdeath.ts";

function occlum_pdeath_signal(t: Thread, sig: number): number {
  const was = t.process.pdeathSignal;
  if ((sig | 0) !== -1) setPdeathSignal(t.process, sig | 0);
  return was;
}

export const occlumPdeathRows: readonly SyscallRow[] = [
  row("pdeath_signal", [A.u32], R.size, occlum_pdeath_signal, { note: "prctl PR_SET_PDEATHSIG (sig; 0: none) / PR_GET_PDEATHSIG (-1): the signal a process gets when the thread that spawned it ends; returns the one before" }),
];
