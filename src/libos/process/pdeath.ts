/**
 * The parent-death signal (prctl PR_SET_PDEATHSIG / PR_GET_PDEATHSIG), as Linux has it: a process
 * that set one gets it when the thread that spawned it ends, whether that thread exits alone or
 * with its whole process (Linux sends it from the exiting task: a child spawned by a thread that
 * ends while its process goes on gets it too). It is sent once; a process spawned by a thread that
 * already ended never gets it (as a Linux child whose parent died before the prctl).
 */
import { Errno, sysErr } from "../syscall/errno.ts";
import { onThreadEnd, type Process } from "./process.ts";
import type { Thread } from "./thread.ts";
import { signalProcess } from "./signals.ts";

/** PR_SET_PDEATHSIG (0: none; EINVAL past 64); returns nothing. */
export function setPdeathSignal(p: Process, sig: number): void {
  if (sig < 0 || sig > 64) throw sysErr(Errno.INVAL);
  p.pdeathSignal = sig;
}

function notify(children: Iterable<Process>, ended: (spawner: Thread) => boolean): void {
  for (const c of children) {
    if (!c.spawner || !ended(c.spawner)) continue;
    c.spawner = undefined;
    if (c.pdeathSignal !== 0 && !c.zombie) signalProcess(c, c.pdeathSignal);
  }
}

// A thread ended while its process lives on: the children it spawned.
onThreadEnd((t) => notify(t.process.children, (s) => s === t));

/** A process ended (all its threads gone, spawn.ts finishProcess): its children's spawners with it. */
export function parentDied(p: Process): void {
  notify(p.children, () => true);
}
