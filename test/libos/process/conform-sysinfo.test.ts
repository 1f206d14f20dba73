/**
 * sysinfo(2), which wasix-libc declares without defining (sdk/libc/sysinfo.c over the kernel's
 * occlum.sysinfo, src/libos/syscall/occlum/sysinfo-rows.ts). test/guest/process/conform_sysinfo.c
 * prints facts that hold on Linux and here (the memory fields against /proc/meminfo and each
 * other, uptime against /proc/uptime and the clock, procs counting two more threads and a child,
 * also as a zombie, EFAULT for NULL and past the end of memory); LINUX is its output on Linux 6.18,
 * glibc 2.36 (`gcc -O2 -pthread -o /tmp/cs test/guest/process/conform_sysinfo.c && /tmp/cs`).
 * The instance is built (Enclave.xml: the memory manager runs), with a 40 MB user space; the
 * second test compares the raw numbers with the kernel's: totalram is MemTotal of /proc/meminfo,
 * that user space.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { assertPrintsLinux, run, type Instance } from "../helpers.ts";
import { makeBuiltInstance } from "../vm/helpers.ts";

const skip = posixSkip();
let inst: Instance;

before(async () => {
  if (skip) return;
  const programs = { "/bin/conform_sysinfo": await buildGuest("test/guest/process/conform_sysinfo.c", { mode: "posix", flags: ["-pthread"] }) };
  const limits = { user_space_size: "40MB", user_space_max_size: "40MB", kernel_space_heap_size: "8MB", kernel_space_heap_max_size: "8MB", init_num_of_threads: 4, max_num_of_threads: 16 };
  inst = (await makeBuiltInstance(limits, { default_heap_size: "8MB", default_stack_size: "1MB" }, "hw", { programs })).inst;
});

after(async () => {
  await inst?.cleanup();
});

test("sysinfo prints what Linux prints", { skip, timeout: 60_000 }, async () => {
  assertPrintsLinux(await run(inst, "/bin/conform_sysinfo"), LINUX);
});

test("sysinfo's numbers are the kernel's: MemTotal, one task, a fresh uptime", { skip }, async () => {
  const r = await run(inst, "/bin/conform_sysinfo", { args: ["raw"] });
  assert.equal(r.code, 0, r.stderr);
  const [ret, uptime, totalram, freeram, unit, procs] = r.stdout.trim().split(" ").map(Number);
  assert.equal(ret, 0);
  assert.equal(totalram, 40 * 2 ** 20); // MemTotal: the user space
  assert.equal(unit, 1);
  assert.ok(freeram! > 0 && freeram! < totalram!, `freeram ${freeram}`);
  assert.equal(procs, 1); // the program's one thread: nothing else runs in the instance
  assert.ok(uptime! >= 1 && uptime! < 60, `uptime ${uptime}`);
});

const LINUX = `sysinfo: 0
mem_unit: 1
totalram * mem_unit = /proc/meminfo MemTotal: yes
0 < freeram <= totalram: yes
sharedram, bufferram <= totalram: yes
freeswap <= totalswap: yes
totalhigh 0 freehigh 0
procs >= 1: yes
uptime >= 1 and /proc/uptime's (rounded up): yes
uptime after 1.1 s grew by 1 or 2: yes
two threads add two to procs, joined they leave: yes
a child adds one, also as a zombie, reaped it leaves: yes
sysinfo(NULL): -1 EFAULT
sysinfo(-8): -1 EFAULT
sysconf(_SC_PHYS_PAGES) * pagesize = totalram * mem_unit: yes
`;
