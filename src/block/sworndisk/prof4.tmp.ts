import { encryptSlots, sharedBytes } from "./crypto-pool.ts";
import { randomFillSync } from "node:crypto";
const S = 1024;
const st = sharedBytes(S * 4096), kiv = sharedBytes(S * 44), tags = sharedBytes(S * 16);
randomFillSync(st); randomFillSync(kiv);
const offs = Array.from({ length: S }, (_, i) => i);
await encryptSlots(st, kiv, tags, offs);
for (let r = 0; r < 5; r++) {
  const t = performance.now();
  for (let k = 0; k < 10; k++) await encryptSlots(st, kiv, tags, offs);
  const ms = performance.now() - t;
  console.log(process.env.SWORNDISK_CRYPTO_WORKERS === "0" ? "inline" : "worker", (40 / (ms / 1000)).toFixed(0), "MiB/s");
}
