/**
 * The other way V8 can switch stacks: WebAssembly's core stack switching (WasmFX: cont.new,
 * resume, suspend), behind `--experimental-wasm-wasmfx` in Node 26. A scheduler written in wasm
 * resumes N continuations round robin, each suspending at once, so a switch never leaves wasm: no
 * Promise, no microtask, no JS frame. The question it answers: would a scheduler built on it
 * switch faster than the JSPI coroutines the LibOS uses (jspi-floor.ts is the same measurement
 * for them)? On 2026-12-05, Node 26.10: no (bench/threads/README.md, eleventh round).
 *
 *   node bench/threads/wasmfx-floor.ts [N...]   (re-runs itself with the flag; default N = 1 2 64 200 1024 4096)
 *
 * The module, hand-encoded (wabt's wat2wasm does not know the proposal's instructions):
 *   (type $f (func)) (type $c (cont $f)) (type $run (func (param i32 i32) (result i32)))
 *   (type $h (func (result (ref $c))))
 *   (table 8192 (ref null $c)) (tag $yield) (elem declare func $worker)
 *   (func $worker loop suspend $yield br 0 end)
 *   (func (export "run") (param $n i32) (param $rounds i32) (result i32) (local $i i32) (local $r i32)
 *     (local $k (ref null $c))
 *     i = 0; do table[i] = cont.new $c (ref.func $worker) while (++i < n)
 *     r = 0; do { i = 0; do {
 *       block $h (type $h) (resume $c (on $yield $h) table[i]) return -1 end  ;; the handler gets the rest
 *       table[i] = that continuation } while (++i < n) } while (++r < rounds)
 *     rounds)
 */
import { spawnSync } from "node:child_process";

const FLAG = "--experimental-wasm-wasmfx";
if (!process.execArgv.includes(FLAG)) {
  const r = spawnSync(process.execPath, [...process.execArgv, FLAG, ...process.argv.slice(1)], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

const leb = (v: number): number[] => {
  const o: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    o.push(b);
  } while (v);
  return o;
};
const section = (id: number, bytes: number[]): number[] => [id, ...leb(bytes.length), ...bytes];
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const MAX_N = 8192;

const types = vec([[0x60, 0, 0], [0x5d, 0], [0x60, 2, 0x7f, 0x7f, 1, 0x7f], [0x60, 0, 1, 0x64, 1]]);
const worker = [0, 0x03, 0x40, 0xe2, 0, 0x0c, 0, 0x0b, 0x0b];
const run = [
  2, 2, 0x7f, 1, 0x63, 1, // locals: i, r; k (ref null $c)
  0x03, 0x40, 0x20, 2, 0xd2, 0, 0xe0, 1, 0x26, 0, // loop: table.set(i, cont.new(ref.func 0))
  0x20, 2, 0x41, 1, 0x6a, 0x22, 2, 0x20, 0, 0x48, 0x0d, 0, 0x0b, // while (++i < n)
  0x41, 0, 0x21, 3,
  0x03, 0x40, 0x41, 0, 0x21, 2, // rounds loop; i = 0
  0x03, 0x40, // continuations loop
  0x02, 3, 0x20, 2, 0x25, 0, 0xe3, 1, 1, 0, 0, 0, 0x41, 0x7f, 0x0f, 0x0b, // block $h: resume table[i]; return -1
  0x21, 4, 0x20, 2, 0x20, 4, 0x26, 0, // table[i] = the suspended rest
  0x20, 2, 0x41, 1, 0x6a, 0x22, 2, 0x20, 0, 0x48, 0x0d, 0, 0x0b, // while (++i < n)
  0x20, 3, 0x41, 1, 0x6a, 0x22, 3, 0x20, 1, 0x48, 0x0d, 0, 0x0b, // while (++r < rounds)
  0x20, 1, 0x0b,
];
const bytes = new Uint8Array([
  0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
  ...section(1, types),
  ...section(3, vec([[0], [2]])),
  ...section(4, vec([[0x63, 1, 0x00, ...leb(MAX_N)]])),
  ...section(13, vec([[0, 0]])),
  ...section(7, vec([[3, ...Buffer.from("run"), 0, 1]])),
  ...section(9, vec([[3, 0, 1, 0]])),
  ...section(10, vec([[...leb(worker.length), ...worker], [...leb(run.length), ...run]])),
]);

const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
const runFn = instance.exports.run as (n: number, rounds: number) => number;
const ns = process.argv.slice(2).map(Number).filter((n) => n > 0);
const SWITCHES = 4_000_000;
console.log(`Node ${process.version}, ${FLAG}: ns per suspend + resume, N continuations round robin (best of 3)`);
for (const n of ns.length > 0 ? ns : [1, 2, 64, 200, 1024, 4096]) {
  if (n > MAX_N) throw new RangeError(`N is at most ${MAX_N}`);
  const rounds = Math.max(1, Math.floor(SWITCHES / n));
  let best = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    runFn(n, 2); // fresh continuations, warmed
    const t0 = performance.now();
    if (runFn(n, rounds) !== rounds) throw new Error("a continuation returned");
    best = Math.min(best, ((performance.now() - t0) * 1e6) / (rounds * n));
  }
  console.log(`${String(n).padStart(6)} ${best.toFixed(1).padStart(8)}`);
}
