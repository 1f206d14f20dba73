import { cryptoPool, sharedBytes, KIV_LEN } from "../../src/block/sworndisk/crypto-pool.ts";
import { randomFillSync } from "node:crypto";
const S = 1024;
const staging = sharedBytes(S * 4096), kiv = sharedBytes(S * KIV_LEN), tags = sharedBytes(S * 16);
randomFillSync(kiv);
const offs = Array.from({ length: S }, (_, i) => i);
const batch = Number(process.env.B ?? 64);
for (let rep = 0; rep < 4; rep++) {
  const t = performance.now();
  const c0 = process.cpuUsage();
  for (let seg = 0; seg < 64; seg++) {
    const jobs = [];
    for (let i = 0; i < S; i += batch) jobs.push(cryptoPool.submit(staging, kiv, tags, offs, i, i + batch));
    for (const j of jobs) cryptoPool.help(j);
    for (const j of jobs) await cryptoPool.finish(j);
  }
  const c = process.cpuUsage(c0);
  const ms = performance.now() - t;
  console.log(`workers ${cryptoPool.size} batch ${batch}: ${(256 / (ms / 1000)).toFixed(0)} MiB/s, ${(ms * 1000 / (64 * S)).toFixed(2)} µs/blk wall, cpu ${((c.user + c.system) / (64 * S)).toFixed(2)} µs/blk`);
}
