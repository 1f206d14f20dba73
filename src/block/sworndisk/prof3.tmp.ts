import { MemHostFile } from "../host-file.ts";
import { ReferenceModel } from "../testing/model.ts";
import { applyOp, generateOps, type DiskFactory } from "../testing/workload.ts";
import { SwornDisk } from "./disk.ts";
import { smallOptions } from "./test-support.ts";
const OPTS = smallOptions({ nblocks: 64, overprovision: 0.8, memtableRecords: 24, l1Records: 80, sstRecords: 48, journalBlocks: 4 });
const WEIGHTS = { read: 2, readv: 0, flush: 10, sync: 10, reopen: 0, crash: 0 };
for (const seed of [1,2,3,4,5,6,7,8,9]) {
  const ops = generateOps({ seed, ops: 150, maxRun: 4, weights: WEIGHTS }, 64, { trim: true, crash: false });
  const f = new MemHostFile();
  const d = await SwornDisk.create(f, OPTS);
  const fac: DiskFactory = { name: "x", nblocks: 64, create: async () => d, reopen: async () => d };
  const m = new ReferenceModel(64);
  let dev: any = d;
  for (const op of ops) dev = await applyOp(fac, dev, m, op, "x");
  console.log(seed, JSON.stringify(d.inspect().writes));
}
