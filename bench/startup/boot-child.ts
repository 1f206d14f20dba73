/**
 * One LibOS memory-manager boot in a fresh process (for bench/startup/run.ts): Vm.boot with the
 * limits given as JSON in argv[2], then prints the in-process boot time, the commitment and the
 * VmRSS growth as JSON, and exits. argv[2] = "none": import only, no boot (the module-loading floor).
 */
import { readFileSync } from "node:fs";
import { Vm, type VmLimits } from "../../src/libos/vm/index.ts";

const rss = (): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))![1]) * 1024;
if (process.argv[2] === "none") {
  process.stdout.write(JSON.stringify({ bootMs: 0, committed: 0, threadsPrepared: 0, rssDelta: 0 }) + "\n");
  process.exit(0);
}
const limits = JSON.parse(process.argv[2]!) as VmLimits;
const r0 = rss();
const t0 = performance.now();
const vm = Vm.boot(limits);
const ms = performance.now() - t0;
const s = vm.userSpace.stats();
process.stdout.write(JSON.stringify({ bootMs: ms, committed: s.committed, threadsPrepared: vm.threads.stats().prepared, rssDelta: rss() - r0 }) + "\n");
