/**
 * V8's own cost of a coroutine switch vs the number of coroutines, with no LibOS at all: N
 * instances of a 91-byte module, each inside WebAssembly.promising, loop calling a Suspending
 * import that returns one shared resolved Promise (a pure round robin through the microtask
 * queue, one JSPI stack per coroutine). This is the floor under bench/threads' sysbench rows:
 * an op there is ~1.9 such switches at N >= 8 (profile.ts), so where this grows with N, so does
 * the op, whatever the kernel does.
 *
 *   node bench/threads/jspi-floor.ts [N...]        (default 2 64 200 1024 4096; best of 4)
 */

// (module (import "k" "yield" (func $y (result i32))) (memory 1)
//   (func (export "run") (param $n i32) (result i32) loop: s += y(); while (++i < n)) ...)
const MODULE_HEX =
  "0061736d01000000010a026000017f60017f017f020b01016b057969656c640000030201010503010001070d02036d656d02000372756e00010a20011e01027f0340200210006a2102200141016a210120012000490d000b20020b";

const module = new WebAssembly.Module(Buffer.from(MODULE_HEX, "hex"));
const RESOLVED_0 = Promise.resolve(0);
const yieldImport = new WebAssembly.Suspending(() => RESOLVED_0);

async function nsPerSwitch(n: number, total: number): Promise<number> {
  const per = Math.ceil(total / n);
  const runs: ((k: number) => Promise<number>)[] = [];
  for (let k = 0; k < n; k++) {
    const inst = new WebAssembly.Instance(module, { k: { yield: yieldImport } });
    runs.push(WebAssembly.promising(inst.exports.run as (k: number) => number));
  }
  const t0 = performance.now();
  await Promise.all(runs.map((r) => r(per)));
  return ((performance.now() - t0) * 1e6) / (per * n);
}

const args = process.argv.slice(2).map(Number).filter((x) => x > 0);
console.log("coroutines   ns per switch (best of 4)");
for (const n of args.length > 0 ? args : [2, 64, 200, 1024, 4096]) {
  const xs: number[] = [];
  for (let r = 0; r < 4; r++) xs.push(await nsPerSwitch(n, 400_000));
  console.log(`${String(n).padStart(10)}   ${Math.min(...xs).toFixed(0).padStart(6)}`);
}
