/**
 * V8's own cost of a coroutine switch vs the number of coroutines, with no LibOS at all: N
 * instances of a 91-byte module, each inside WebAssembly.promising, loop calling a Suspending
 * import that returns one shared resolved Promise (a pure round robin through the microtask
 * queue, one JSPI stack per coroutine). This is the floor under bench/threads' sysbench rows:
 * an op there is ~1.8 such switches at N >= 8 (profile.ts).
 *
 * Three costs, measured apart (the import counts its calls and reads the clocks at marks):
 * - steady: ns per switch once every coroutine has run W switches, over `per` switches each
 *   (wall, and the JS thread's CPU time: process.threadCpuUsage, which excludes time the OS
 *   gave other jobs);
 * - start: µs per coroutine from the first `promising` call to the last coroutine's first
 *   suspend (V8 maps and enters a new stack for each);
 * - end: µs per coroutine from the last timed switch to the last coroutine's return (the stacks
 *   are released).
 * Until 2026-12-04 this script timed all three together over 400k switches, so at N = 1024 (391
 * switches per coroutine) the stacks' start-up dominated what it called the switch cost.
 *
 * Variants (bench/threads/README.md "JSPI stack placement"), each a 144-byte module instead:
 * --depth=D: coroutine k first recurses (k * 7919) mod D calls deep (staggered stack tops);
 * --touch=B: coroutine k adds 1 to a word of a shared memory at 64 + k * B before each yield (one
 *   guest-memory page per coroutine when B >= 4096; B = 0: all on one word);
 * --spread=KB: before starting coroutine k, allocate (and keep, untouched) a KB-sized ArrayBuffer,
 *   so that V8 maps the stacks KB apart; run with MALLOC_MMAP_THRESHOLD_=131072, or glibc's
 *   malloc may serve the buffers from its heap instead of mmap.
 *
 *   node [V8 flags] bench/threads/jspi-floor.ts [N...] [--per=K] [--reps=R] [variants]
 *   (default N = 2 64 200 1024 4096, K = max(100, 2M / N), best of R = 4)
 */

// (module (import "k" "yield" (func $y (result i32))) (memory 1)
//   (func (export "run") (param $n i32) (result i32) loop: s += y(); while (++i < n)) ...)
const MODULE_HEX =
  "0061736d01000000010a026000017f60017f017f020b01016b057969656c640000030201010503010001070d02036d656d02000372756e00010a20011e01027f0340200210006a2102200141016a210120012000490d000b20020b";

const opt = (name: string, d: number): number => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split("=")[1]) : d;
};
const WARM = 50;
const REPS = opt("reps", 4);

// (module (import "k" "yield" ...) (import "k" "mem" (memory 1 65536))
//   (func $loop (param $n $addr) loop: mem[addr] += 1; s += y(); while (++i < n))
//   (func (export "run") (param $d $n $addr) d == 0 ? loop(n, addr) : 1 + run(d - 1, n, addr)))
const VARIANT_HEX =
  "0061736d010000000112036000017f60027f7f017f60037f7f7f017f021702016b057969656c640000016b036d656d02010180800403030201020707010372756e00020a4b022b01027f03402001200128020041016a360200200310006a2103200241016a210220022000490d000b20030b1d00200045047f200120021001054101200041016b2001200210026a0b0b";
const DEPTH = opt("depth", 0);
const TOUCH = opt("touch", -1);
const SPREAD_KB = opt("spread", 0);
const variant = DEPTH > 0 || TOUCH >= 0;
const module = new WebAssembly.Module(Buffer.from(variant ? VARIANT_HEX : MODULE_HEX, "hex"));
const RESOLVED_0 = Promise.resolve(0);
let calls = 0;
const marks: number[] = []; // call counts at which to read the clocks
const stamps: { wall: number; cpu: NodeJS.CpuUsage }[] = [];
const yieldImport = new WebAssembly.Suspending(() => {
  if (++calls === marks[stamps.length]) stamps.push({ wall: performance.now(), cpu: process.threadCpuUsage() });
  return RESOLVED_0;
});

interface Sample { steadyNs: number; steadyCpuNs: number; startUs: number; endUs: number }

async function once(n: number, per: number): Promise<Sample> {
  const mem = variant ? new WebAssembly.Memory({ initial: Math.ceil((64 + n * Math.max(TOUCH, 4)) / 65536) + 1, maximum: 65536 }) : undefined;
  const runs: ((k: number) => Promise<number>)[] = [];
  for (let k = 0; k < n; k++) {
    const inst = new WebAssembly.Instance(module, { k: { yield: yieldImport, ...(mem ? { mem } : {}) } });
    const run = WebAssembly.promising(inst.exports.run as (...a: number[]) => number);
    runs.push(variant ? (m) => run(DEPTH > 0 ? (k * 7919) % DEPTH : 0, m, 64 + k * Math.max(TOUCH, 0)) : run);
  }
  const keep: ArrayBuffer[] = [];
  calls = 0;
  stamps.length = 0;
  marks.splice(0, marks.length, n, n * WARM, n * (WARM + per));
  const t0 = performance.now();
  await Promise.all(
    runs.map((r) => {
      if (SPREAD_KB > 0) keep.push(new ArrayBuffer(SPREAD_KB * 1024)); // maps before the next stack
      return r(WARM + per);
    }),
  );
  const t1 = performance.now();
  const [started, warm, done] = stamps as [(typeof stamps)[0], (typeof stamps)[0], (typeof stamps)[0]];
  const cpu = done.cpu.user + done.cpu.system - warm.cpu.user - warm.cpu.system;
  return {
    steadyNs: ((done.wall - warm.wall) * 1e6) / (n * per),
    steadyCpuNs: (cpu * 1e3) / (n * per),
    startUs: ((started.wall - t0) * 1e3) / n,
    endUs: ((t1 - done.wall) * 1e3) / n,
  };
}

const ns = process.argv.slice(2).filter((a) => /^\d+$/.test(a)).map(Number);
const flags = process.execArgv.filter((a) => a.includes("stack"));
console.log(`V8 flags: ${flags.length > 0 ? flags.join(" ") : "(V8's defaults: fixed 984 KB stacks)"}`);
if (variant || SPREAD_KB > 0) console.log(`variant: depth ${DEPTH}, touch ${TOUCH < 0 ? "none" : `${TOUCH} B apart`}, spread ${SPREAD_KB} KB`);
console.log(`coroutines  steady ns/switch  (cpu)   start us/coroutine   end us/coroutine   (best of ${REPS})`);
for (const n of ns.length > 0 ? ns : [2, 64, 200, 1024, 4096]) {
  const per = opt("per", Math.max(100, Math.ceil(2_000_000 / n)));
  const xs: Sample[] = [];
  for (let r = 0; r < REPS; r++) xs.push(await once(n, per));
  const best = (f: (s: Sample) => number): string => Math.min(...xs.map(f)).toFixed(f(xs[0]!) < 10 ? 2 : 0);
  console.log(
    `${String(n).padStart(10)}  ${best((s) => s.steadyNs).padStart(16)}  ${best((s) => s.steadyCpuNs).padStart(5)}` +
      `   ${best((s) => s.startUs).padStart(18)}   ${best((s) => s.endUs).padStart(16)}`,
  );
}
