/**
 * sysinfo's encoding (Linux's 32-bit struct: uptime rounded up, page units past 4 GiB, procs an
 * unsigned short, padding cleared) and the task count it reports (ProcessTable.tasks). The guest
 * side is test/libos/process/conform-sysinfo.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeSysinfo, SYSINFO_BYTES, type SystemInfo } from "./sysinfo-rows.ts";
import { ProcessTable } from "../../process/process-table.ts";
import type { Process } from "../../process/process.ts";

function encode(s: SystemInfo): DataView {
  const dv = new DataView(new ArrayBuffer(8 + SYSINFO_BYTES + 8));
  new Uint8Array(dv.buffer).fill(0xee);
  encodeSysinfo(dv, 8, s);
  return dv;
}

const fields = (dv: DataView) => ({
  uptime: dv.getUint32(8, true), loads: [12, 16, 20].map((o) => dv.getUint32(o, true)),
  totalram: dv.getUint32(24, true), freeram: dv.getUint32(28, true), procs: dv.getUint16(48, true), mem_unit: dv.getUint32(60, true),
});

test("the fields at Linux's 32-bit offsets, the rest zero, nothing written outside", () => {
  const dv = encode({ uptimeNs: 5_000_000_000n, totalBytes: 40 << 20, freeBytes: 30 << 20, tasks: 3 });
  assert.deepEqual(fields(dv), { uptime: 5, loads: [0, 0, 0], totalram: 40 << 20, freeram: 30 << 20, procs: 3, mem_unit: 1 });
  for (const o of [32, 36, 40, 44, 50, 52, 56, 64, 68]) assert.equal(o === 50 ? dv.getUint16(o, true) : dv.getUint32(o, true), 0, `offset ${o - 8}`);
  assert.equal(dv.getUint32(0, true), 0xeeeeeeee);
  assert.equal(dv.getUint32(8 + SYSINFO_BYTES, true), 0xeeeeeeee);
});

test("a partial second of uptime counts whole, as Linux's", () => {
  assert.equal(fields(encode({ uptimeNs: 1n, totalBytes: 0, freeBytes: 0, tasks: 1 })).uptime, 1);
  assert.equal(fields(encode({ uptimeNs: 2_000_000_001n, totalBytes: 0, freeBytes: 0, tasks: 1 })).uptime, 3);
  assert.equal(fields(encode({ uptimeNs: 0n, totalBytes: 0, freeBytes: 0, tasks: 1 })).uptime, 0);
});

test("memory past 32 bits in 4096-byte units (compat_sysinfo); procs kept to 16 bits", () => {
  const f = fields(encode({ uptimeNs: 0n, totalBytes: 16 * 2 ** 30, freeBytes: 2 ** 32 + 8191, tasks: 65536 + 7 }));
  assert.equal(f.mem_unit, 4096);
  assert.equal(f.totalram, 4 * 2 ** 20);
  assert.equal(f.freeram, 2 ** 20 + 1);
  assert.equal(f.procs, 7);
  assert.equal(fields(encode({ uptimeNs: 0n, totalBytes: 2 ** 32 - 1, freeBytes: 1, tasks: 1 })).mem_unit, 1);
});

test("tasks: every thread, and a leader that is gone (zombie, not started, ended first) still counts", () => {
  const table = new ProcessTable(0n);
  const fake = (pid: number, tids: number[]) => ({ pid, threads: new Set(tids.map((tid) => ({ tid }))) }) as unknown as Process;
  assert.equal(table.tasks(), 0);
  table.add(fake(1, [1, 2, 3])); // running, three threads
  table.add(fake(4, [])); // a zombie (or not yet running)
  table.add(fake(5, [6, 7])); // its main thread ended, two others run
  assert.equal(table.tasks(), 3 + 1 + 3);
  table.remove(4);
  assert.equal(table.tasks(), 6);
});
