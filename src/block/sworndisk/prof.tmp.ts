import { MemHostFile } from "../host-file.ts";
import { SwornDisk } from "./index.ts";
import { createCipheriv, randomBytes } from "node:crypto";
const nblocks = 32768;
const f = new MemHostFile(undefined, { trackDurability: false });
const d = await SwornDisk.create(f, { rootKey: new Uint8Array(32), nblocks });
const buf = randomBytes(256 * 1024);
let t = performance.now();
for (let lba = 0; lba < nblocks; lba += 64) { await d.write(lba, buf); if (lba % 4096 === 0) await d.sync(); }
await d.sync();
let ms = performance.now() - t;
console.log("seq write MiB/s", (nblocks * 4096 / 1048576 / (ms / 1000)).toFixed(1));
t = performance.now();
const out = new Uint8Array(256*1024);
for (let lba = 0; lba < nblocks; lba += 64) await d.read(lba, out);
ms = performance.now() - t;
console.log("seq read MiB/s", (nblocks * 4096 / 1048576 / (ms / 1000)).toFixed(1));
// raw crypto cost
const key = randomBytes(32), iv = randomBytes(12), blk = randomBytes(4096), o = new Uint8Array(4096);
t = performance.now();
for (let i = 0; i < 20000; i++) { const c = createCipheriv("aes-256-gcm", key, iv); o.set(c.update(blk)); c.final(); c.getAuthTag(); }
ms = performance.now() - t;
console.log("createCipheriv+4K per block us", (ms * 1000 / 20000).toFixed(2));
