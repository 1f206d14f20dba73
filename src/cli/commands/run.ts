/**
 * `occlum run [--config-id <b64>] [--config-svn <n>] [--mem-report <path|->] <path> [args...]`
 * (spec 3.2 run row, 3.6):
 * checks the instance is built, marks it running, boots the LibOS on the build outputs and runs
 * the program with stdio wired to this terminal; the exit code is the program's (Occlum's rule:
 * status & 0x7F, 128+N for signal N, 127 when the program cannot be started).
 *
 * Better than Occlum: the status file goes back to `built` even when the program fails (Occlum's
 * `set -e` leaves `running`), and a host SIGINT/SIGTERM/SIGHUP is forwarded to the program as
 * that signal instead of tearing the enclave down. `--mem-report` (or OCCLUM_MEM_REPORT) writes
 * the memory sizing report at exit (libos/vm/report.ts; "-" = stderr).
 *
 * Job control: the program is a child of this command as far as the host's shell knows. When it
 * stops (raise(SIGSTOP), a SIGTSTP at its default action...) it has no parent inside the LibOS
 * to continue it, so this command stops itself with the same signal: the shell shows it stopped,
 * and `fg` or `kill -CONT` continues this process, which then sends the program SIGCONT. A shell
 * run this way that stops only its children (its own jobs) never stops the command.
 */
import { writeFileSync } from "node:fs";
import { instancePaths } from "../../build/instance.ts";
import { runInstance } from "../../libos/boot.ts";
import { hostWritesInFlight } from "../../libos/fs/host-fd-writer.ts";
import { exitError, type CliContext } from "../context.ts";
import { checkHasBuilt } from "./guards.ts";

const FORWARDED_SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;
/** The stop signals a program may stop by, as the host names them. */
const STOP_SIGNALS: Record<number, NodeJS.Signals> = { 19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU" };

/** The program stopped: stop this process the same way; kill() returns once the host continued it. */
function stopHost(signo: number): void {
  process.kill(process.pid, STOP_SIGNALS[signo] ?? "SIGSTOP");
}

export async function run(args: readonly string[], ctx: CliContext): Promise<number> {
  checkHasBuilt(ctx.cwd);
  let i = 0;
  let memReport: string | undefined;
  // Occlum's leading KSS options (accepted and validated, meaningless without SGX KSS), and ours.
  while (args[i] === "--config-id" || args[i] === "--config-svn" || args[i] === "--mem-report") {
    if (args[i + 1] === undefined) throw exitError(`empty value for ${args[i]}`);
    if (args[i] === "--mem-report") memReport = args[i + 1];
    i += 2;
  }
  const program = args[i];
  if (program === undefined) throw exitError("no program path is given (usage: occlum run <path> [args...])");
  const p = instancePaths(ctx.cwd);
  writeFileSync(p.status, "running\n");
  const abort = new AbortController();
  const handlers = Object.entries(FORWARDED_SIGNALS).map(([name, signo]) => {
    const h = () => abort.abort(signo);
    process.on(name, h);
    return () => process.off(name, h);
  });
  try {
    return await runInstance({ instanceDir: ctx.cwd, path: program, args: args.slice(i + 1), env: ctx.env, signal: abort.signal, onStop: stopHost, ...(memReport !== undefined ? { memReport } : {}) });
  } finally {
    for (const off of handlers) off();
    writeFileSync(p.status, "built\n");
    // Killed while a pipe write of the guest's output waits for a reader that stopped reading:
    // Node's exit would join that blocked I/O thread. End by the signal's default action, as a
    // process blocked in write(2) is killed.
    const signo = abort.signal.reason;
    if (abort.signal.aborted && hostWritesInFlight()) {
      const name = Object.entries(FORWARDED_SIGNALS).find(([, n]) => n === signo)?.[0] ?? "SIGKILL";
      process.kill(process.pid, name);
    }
  }
}
