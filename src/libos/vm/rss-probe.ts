/**
 * Test helper run in a child process (a fresh heap keeps the numbers clean): boots a UserSpace with
 * the limits given as JSON in argv[2], reserves argv[3] pages for one imported memory, and prints
 * VmRSS (bytes) before boot, after boot and after the reservation, with the accounting, as JSON.
 */
import { readFileSync } from "node:fs";
import { UserSpace } from "./user-space.ts";
import type { UserSpaceLimits } from "./limits.ts";

function rss(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return Number(m![1]) * 1024;
}

const limits = JSON.parse(process.argv[2]!) as UserSpaceLimits;
const pages = Number(process.argv[3] ?? "0");
const before = rss();
const us = UserSpace.boot(limits);
const afterBoot = rss();
const bootStats = us.stats();
const pm = pages > 0 ? us.reserveForProcess(pages, undefined, { shared: true }) : undefined;
const afterReserve = rss();
process.stdout.write(JSON.stringify({ before, afterBoot, afterReserve, boot: bootStats, end: us.stats(), pages: pm?.pages ?? 0 }) + "\n");
