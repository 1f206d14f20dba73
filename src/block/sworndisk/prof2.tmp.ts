import { openHostFile } from "../host-io.ts";
import { SwornDisk } from "./index.ts";
import { randomBytes } from "node:crypto";
const nblocks = 32768;
const f = await openHostFile("/tmp/sd/bench.img", { create: true, truncate: true });
const d = await SwornDisk.create(f, { rootKey: new Uint8Array(32), nblocks });
const buf = randomBytes(256 * 1024);
let tw = 0, ts = 0;
let t = performance.now();
for (let lba = 0; lba < nblocks; lba += 64) { let a = performance.now(); await d.write(lba, buf); tw += performance.now() - a; if (lba % 4096 === 4032) { a = performance.now(); await d.sync(); ts += performance.now() - a; } }
await d.sync();
let ms = performance.now() - t;
console.log("seq write MiB/s", (nblocks * 4096 / 1048576 / (ms / 1000)).toFixed(1), "write ms", tw.toFixed(0), "sync ms", ts.toFixed(0));
