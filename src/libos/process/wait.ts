/**
 * Waiting for children (wait4/waitpid, waitid, WASIX proc_join): what a parent may take about a
 * child, as Linux's do_wait scans for it. For each child the wait selects, in the order they were
 * spawned: its end (a zombie; reaped unless WNOWAIT), then its latest stop (WUNTRACED/WSTOPPED)
 * or continue (WCONTINUED), each reported once (job-control.ts JobState.report). Nothing to
 * report: ECHILD without a selected child, 0 with WNOHANG, else the parent sleeps until a child
 * ends, stops or continues (Process.childEvents) and looks again; a signal interrupts it
 * (ERESTARTSYS: restarted under SA_RESTART).
 */
import { Errno, sysErr } from "../syscall/errno.ts";
import { ERESTARTSYS } from "../syscall/blocking.ts";
import type { Process } from "./process.ts";
import type { Thread } from "./thread.ts";
import type { ExitStatus } from "./exit.ts";
import { takeReport, type JobReport } from "./job-control.ts";
import { peakRssKb } from "./user-memory.ts";

/** What a wait asks for (Linux's WEXITED, WSTOPPED, WCONTINUED, WNOHANG, WNOWAIT). */
export interface WaitFor {
  readonly exited: boolean;
  readonly stopped: boolean;
  readonly continued: boolean;
  readonly nohang: boolean;
  /** Leave what is reported in place (WNOWAIT): a zombie stays, a report stays. */
  readonly keep: boolean;
}

/** A child's end (exit or death by a signal), or a stop or continue it made. */
export type ChildEvent = { readonly kind: "ended"; readonly status: ExitStatus } | JobReport;
export type WaitResult = { pid: 0 } | { pid: number; event: ChildEvent };

/** The children a wait selects: any, one pid, or a process group. */
export type ChildSelector = { readonly any: true } | { readonly pid: number } | { readonly pgid: number };

/** wait4's pid: > 0 that child, -1 any, 0 the caller's group, < -1 group -pid. */
export function selectorOf(t: Thread, pid: number): ChildSelector {
  if (pid > 0) return { pid };
  if (pid === -1) return { any: true };
  return { pgid: pid === 0 ? t.process.pgid : -pid };
}

function selects(c: Process, sel: ChildSelector): boolean {
  if ("pid" in sel) return c.pid === sel.pid;
  if ("pgid" in sel) return c.pgid === sel.pgid;
  return true;
}

/** Wait for a child `sel` selects to have something `what` asks for (see the header). */
export async function waitChild(t: Thread, sel: ChildSelector, what: WaitFor): Promise<WaitResult> {
  const parent = t.process;
  for (;;) {
    let any = false;
    for (const c of parent.children) {
      if (!selects(c, sel)) continue;
      any = true;
      if (c.zombie) {
        if (!what.exited) continue;
        if (!what.keep) {
          parent.children.delete(c);
          parent.kernel.processes.remove(c.pid);
          // Its resources become the parent's RUSAGE_CHILDREN, with those it had waited for.
          parent.childrenCpuNs += c.cpuTimeNs() + c.childrenCpuNs;
          parent.childrenMaxRssKb = Math.max(parent.childrenMaxRssKb, peakRssKb(c), c.childrenMaxRssKb);
        }
        return { pid: c.pid, event: { kind: "ended", status: c.status ?? { kind: "exit", code: 0 } } };
      }
      const r = takeReport(c, what.stopped, what.continued, what.keep);
      if (r) return { pid: c.pid, event: r };
    }
    if (!any) throw sysErr(Errno.CHILD);
    if (what.nohang) return { pid: 0 };
    const reason = await parent.childEvents.wait({ intr: t });
    if (reason === "interrupted") throw ERESTARTSYS; // waitpid restarts under SA_RESTART
  }
}
