/**
 * A differential conformance suite: one guest C program (test/guest/...) whose output must be what
 * the same program printed on Linux, run through the LibOS in the configurations that matter for
 * it (each vCPU layout a thread's calls take: all on the kernel thread, or spread over workers).
 * The test file keeps the program's Linux output and says how it was taken.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { buildGuest, posixSkip } from "../support/guest.ts";
import { assertPrintsLinux, makeInstance, run, type Instance } from "./helpers.ts";
import { setVcpuCount, setVcpuPlacement, vcpuCount } from "../../src/libos/vcpu/index.ts";

/** Where a program's threads run: every one next to main on the kernel thread, or spread over 3 vCPUs. */
export const VCPU_LAYOUTS = [["one vCPU", 1, "affine"], ["threads on vCPU workers", 3, "spread"]] as const;

export interface LinuxConformance {
  /** What the program checks (the test is named `<program>.c prints what Linux prints: <title>`). */
  title: string;
  /** The C source, from the repository root. */
  source: string;
  /** The program's Linux output (a thunk: the test file declares it after the call). */
  linux: () => string;
  /** Extra compiler flags (-pthread for threaded programs). */
  flags?: string[];
  /** Run once per VCPU_LAYOUTS (threaded programs), else once with the defaults. */
  acrossVcpus?: boolean;
  /** The exit status Linux gave (0 unless the program ends otherwise). */
  exitCode?: number;
  timeout?: number;
}

export function linuxConformance(c: LinuxConformance): void {
  const skip = posixSkip();
  const bin = `/bin/${path.basename(c.source, ".c")}`;
  const timeout = c.timeout ?? 60_000;
  let inst: Instance;
  let defaultVcpus = 1;

  before(async () => {
    if (skip) return;
    defaultVcpus = vcpuCount();
    inst = await makeInstance({ programs: { [bin]: await buildGuest(c.source, { mode: "posix", flags: c.flags ?? [] }) } });
  });

  after(async () => {
    setVcpuCount(defaultVcpus);
    setVcpuPlacement("affine");
    await inst?.cleanup();
  });

  const check = async (label: string): Promise<void> => {
    const r = await run(inst, bin);
    if ((c.exitCode ?? 0) === 0) return assertPrintsLinux(r, c.linux(), label);
    assertPrintsLinux({ ...r, code: r.code === c.exitCode ? 0 : r.code }, c.linux(), label);
    assert.equal(r.code, c.exitCode);
  };

  const name = `${path.basename(c.source)} prints what Linux prints: ${c.title}`;
  if (!c.acrossVcpus) {
    test(name, { skip, timeout }, () => check(""));
    return;
  }
  for (const [label, vcpus, placement] of VCPU_LAYOUTS) {
    test(`${name} (${label})`, { skip, timeout }, async () => {
      setVcpuCount(vcpus);
      setVcpuPlacement(placement);
      await check(`${label}: `);
    });
  }
}
