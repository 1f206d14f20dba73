/**
 * Worker half of SwornDisk's background data-block encryption (see crypto-pool.ts): claims
 * chunks of a shared job and encrypts the staged slots in place, writing the tags into the shared
 * tag table. If it completes the job's last chunk it reports the job id. Everything stays inside
 * the process (trusted memory); nothing is copied.
 *
 * (Running workers at a lower priority than the staging thread was tried and measured worse:
 * on a shared machine they then lose the CPU to other processes, not just to our own thread.)
 */

import { parentPort } from "node:worker_threads";
import { workOn } from "./crypto-pool.ts";

interface Job {
  id: number;
  staging: SharedArrayBuffer;
  kiv: SharedArrayBuffer;
  tags: SharedArrayBuffer;
  ctrl: SharedArrayBuffer;
}

parentPort!.on("message", (job: Job) => {
  if (workOn(new Uint8Array(job.staging), new Uint8Array(job.kiv), new Uint8Array(job.tags), new Int32Array(job.ctrl))) parentPort!.postMessage(job.id);
});
