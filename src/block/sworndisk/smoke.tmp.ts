import { MemHostFile } from "../host-file.ts";
import { SwornDisk, MemCounterStore } from "../sworndisk/index.ts";
import { runWorkload, memHostFactory } from "../testing/index.ts";
const rootKey = new Uint8Array(32).fill(7);
const small = { rootKey, nblocks: 256, overprovision: 2, segmentBlocks: 8, memtableRecords: 64, l0Max: 2, l1Records: 200, sstRecords: 128, journalBlocks: 8, checkpointBlocks: 4, cacheBlocks: 16 };
const f = new MemHostFile();
const d = await SwornDisk.create(f, small);
const buf = new Uint8Array(4096 * 3).fill(5);
await d.write(10, buf);
const r = new Uint8Array(4096 * 4);
await d.read(9, r);
console.log(r[0], r[4096], r[4096*3], r[4096*4-1]);
await d.sync();
const d2 = await SwornDisk.open(new MemHostFile(f.durableImage()), small);
await d2.read(9, r);
console.log(r[0], r[4096], r[4096*3], r[4096*4-1]);
for (const seed of [1,2,3,4,5]) {
  const fac = memHostFactory({ name: "sworn", nblocks: 256, files: 1, create: (fs) => SwornDisk.create(fs[0]!, small), open: (fs) => SwornDisk.open(fs[0]!, small) });
  const t0 = Date.now();
  const res = await runWorkload(fac, { seed, ops: 2000, maxRun: 16 });
  console.log(seed, res.counts, Date.now() - t0, "ms", JSON.stringify((res.dev as SwornDisk).inspect().writes));
  console.log(JSON.stringify((res.dev as SwornDisk).inspect().index), JSON.stringify((await (res.dev as SwornDisk).check())));
}
