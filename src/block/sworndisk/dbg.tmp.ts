import { MemHostFile } from "../host-file.ts";
import { SwornDisk } from "./index.ts";
import { generateOps, applyOp, ReferenceModel, type DiskFactory } from "../testing/index.ts";
const rootKey = new Uint8Array(32).fill(7);
const small = { rootKey, nblocks: 256, overprovision: 2, segmentBlocks: 8, memtableRecords: 64, l0Max: 2, l1Records: 200, sstRecords: 128, journalBlocks: 8, checkpointBlocks: 4, cacheBlocks: 16 };
let file = new MemHostFile();
const fac: DiskFactory = { name: "s", nblocks: 256, create: () => SwornDisk.create(file, small), reopen: () => { file = new MemHostFile(file.image()); return SwornDisk.open(file, small); }, crash: async () => { file = new MemHostFile(file.durableImage()); return SwornDisk.open(file, small); } };
const ops = generateOps({ seed: 1, ops: 2000, maxRun: 16 }, 256, { trim: true, crash: true });
const model = new ReferenceModel(256);
let dev: any = await fac.create();
let since = 0;
for (let i = 0; i < ops.length; i++) {
  const op = ops[i]!;
  if (op.kind === "sync" || op.kind === "reopen" || op.kind === "crash") since = 0; else if (op.kind === "write") since += op.count;
  try { dev = await applyOp(fac, dev, model, op, `op ${i}`); } catch (e) {
    console.log(i, op, "blocks since sync", since, (e as Error).message);
    const ins = dev.inspect(); console.log(JSON.stringify(ins.space), JSON.stringify(ins.index), dev.sb.dataSegs, dev.sb.nsegs);
    const sp = dev.space; console.log(Array.from(sp.kind).join(""), "\n", Array.from(sp.live).join(","), "\n", Array.from(sp.pinned).join(","), [...sp.open]);
    break;
  }
}
