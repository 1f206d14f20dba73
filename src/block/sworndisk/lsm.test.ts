/**
 * Index helpers on the flush/compaction path: merging sorted record runs (newer wins on equal
 * LBAs) and the MemTable's LBA order, checked against naive models on random and sequential
 * inputs (the fast paths for sequential writes must agree with the general ones).
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../testing/rng.ts";
import { mergeRuns } from "./lsm.ts";
import { MemTable, VALUE_SIZE } from "./memtable.ts";
import type { RecordArray } from "./sst.ts";

function run(lbas: number[], tag: number): RecordArray {
  const sorted = [...new Set(lbas)].sort((a, b) => a - b);
  const r: RecordArray = { n: sorted.length, lbas: Float64Array.from(sorted), vals: new Uint8Array(sorted.length * VALUE_SIZE) };
  sorted.forEach((lba, i) => {
    r.vals[i * VALUE_SIZE] = tag;
    r.vals[i * VALUE_SIZE + 1] = lba & 0xff;
  });
  return r;
}

function asMap(r: RecordArray): Map<number, string> {
  const m = new Map<number, string>();
  for (let i = 0; i < r.n; i++) m.set(r.lbas[i]!, Buffer.from(r.vals.subarray(i * VALUE_SIZE, (i + 1) * VALUE_SIZE)).toString("hex"));
  return m;
}

test("mergeRuns: sorted union, newer wins on ties (random, disjoint, nested and empty runs)", () => {
  const rng = new Rng(5);
  const cases: Array<[number[], number[]]> = [
    [[], []],
    [[1, 2, 3], []],
    [[], [4, 5]],
    [[10, 11, 12], [1, 2, 3]],
    [[1, 2, 3], [10, 11, 12]],
    [[5, 6, 7], [1, 5, 7, 9]],
  ];
  for (let c = 0; c < 30; c++) {
    const span = 5 + rng.int(200);
    cases.push([Array.from({ length: rng.int(60) }, () => rng.int(span)), Array.from({ length: rng.int(60) }, () => rng.int(span))]);
  }
  for (const [a, b] of cases) {
    const newer = run(a, 1);
    const older = run(b, 2);
    const got = mergeRuns(newer, older);
    const want = new Map([...asMap(older), ...asMap(newer)]);
    const keys = [...want.keys()].sort((x, y) => x - y);
    assert.deepEqual([...got.lbas.subarray(0, got.n)], keys);
    assert.deepEqual(asMap(got), want);
  }
});

test("MemTable.sortedSlots: LBA order for sequential and shuffled insertions", () => {
  const rng = new Rng(6);
  for (const order of ["seq", "shuffled"] as const) {
    const m = new MemTable(4);
    const lbas = Array.from({ length: 100 }, (_, i) => i * 3);
    if (order === "shuffled") for (let i = lbas.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [lbas[i], lbas[j]] = [lbas[j]!, lbas[i]!];
    }
    for (const lba of lbas) m.put(lba, new Uint8Array(VALUE_SIZE));
    const slots = m.sortedSlots();
    const got = [...slots].map((s) => m.lbas[s]!);
    assert.deepEqual(got, [...lbas].sort((a, b) => a - b), order);
  }
});
