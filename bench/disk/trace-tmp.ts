import { mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { HostIoQueue, openHostFile } from "../../src/block/host-io.ts";
import { SwornDisk } from "../../src/block/sworndisk/index.ts";
import { DataLog } from "../../src/block/sworndisk/data-log.ts";
import { BlockIo } from "../../src/block/sworndisk/io.ts";
import { Lsm } from "../../src/block/sworndisk/lsm.ts";
import { Journal } from "../../src/block/sworndisk/journal.ts";
const acc = new Map<string, number>();
function wrap(proto: any, name: string, label: string) {
  const f = proto[name];
  proto[name] = async function (...a: unknown[]) { const t = performance.now(); try { return await f.apply(this, a); } finally { acc.set(label, (acc.get(label) ?? 0) + performance.now() - t); } };
}
wrap(DataLog.prototype, "seal", "dlog.seal");
wrap(DataLog.prototype, "close", "dlog.close(incl seal)");
wrap(DataLog.prototype, "flush", "dlog.flush(incl seal)");
wrap(BlockIo.prototype, "sync", "io.sync");
wrap(Lsm.prototype, "flushMem", "lsm.flushMem");
wrap(Journal.prototype, "commit", "journal.commit");
wrap(SwornDisk.prototype, "sync", "disk.sync");
wrap(SwornDisk.prototype, "write", "disk.write");
const dir = await mkdtemp("/tmp/sw/x");
const f = await openHostFile(path.join(dir, "s.img"), { create: true, truncate: true, queue: new HostIoQueue({ queueDepth: 32 }) });
const size = 1 << 30;
const d = await SwornDisk.create(f, { nblocks: size / 4096, rootKey: new Uint8Array(32).fill(1) });
const buf = new Uint8Array(256 << 10).fill(7);
const t0 = performance.now();
for (let off = 0, since = 0; off < size; off += buf.length) {
  await d.write(off / 4096, buf);
  since += buf.length;
  if (since >= 16 << 20) { since = 0; await d.sync(); }
}
await d.sync();
const tot = performance.now() - t0;
console.log("MiB/s", (1024 / (tot / 1000)).toFixed(0), "total ms", tot.toFixed(0));
for (const [k, v] of acc) console.log(k.padEnd(25), v.toFixed(0));
await d.close();
await rm(dir, { recursive: true });
