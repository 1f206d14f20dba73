import assert from "node:assert/strict";
import { test } from "node:test";
import { parseKssId } from "./resolve.ts";
import { errorsOf, issueAt, load, posOf, template, type Mode } from "./test-helpers.ts";

const MiB = 1n << 20n;
const GiB = 1n << 30n;

test("EDMM on/off x max fields present/absent x init threads present/absent (spec 2.4)", () => {
  for (const edmm of [false, true]) {
    for (const withMax of [false, true]) {
      for (const withInit of [false, true]) {
        const name = `edmm=${edmm} max=${withMax} init=${withInit}`;
        const text = template((c) => {
          if (withMax) Object.assign(c.resource_limits, { kernel_space_heap_max_size: "64MB", user_space_max_size: "600MB" });
          if (withInit) c.resource_limits.init_num_of_threads = 4;
        });
        const { resolved, config } = load(text, edmm ? "edmm" : "hw");
        const l = resolved.layout;
        if (edmm) {
          assert.deepEqual([l.TCSNum, l.TCSMaxNum, l.TCSMinPool], [withInit ? 4 : 16, 4096, withInit ? 4 : 16], name);
          assert.deepEqual([l.HeapInitSize, l.HeapMinSize, l.HeapMaxSize], [32n * MiB, 32n * MiB, GiB], name);
          assert.deepEqual([resolved.userSpaceInit, resolved.userSpaceMax], [300n * MiB, 16n * GiB], name);
          assert.deepEqual([l.ReservedMemInitSize, l.ReservedMemMinSize, l.ReservedMemMaxSize], [300n * MiB, 300n * MiB, 300n * MiB], name);
          assert.equal(l.UserRegionSize, 17n * GiB, name);
          assert.deepEqual([l.MiscSelect, l.MiscMask], ["1", "0xFFFFFFFF"], name);
          assert.equal(config.userSpace.committedAtBoot, 300n * MiB, name);
        } else {
          const heap = withMax ? 64n * MiB : 32n * MiB;
          const user = withMax ? 600n * MiB : 300n * MiB;
          assert.deepEqual([l.TCSNum, l.TCSMaxNum, l.TCSMinPool], [32, 32, 32], name);
          assert.deepEqual([l.HeapInitSize, l.HeapMinSize, l.HeapMaxSize], [heap, heap, heap], name);
          assert.deepEqual([resolved.userSpaceInit, resolved.userSpaceMax], [300n * MiB, user], name);
          assert.deepEqual([l.ReservedMemInitSize, l.ReservedMemMinSize, l.ReservedMemMaxSize], [user, user, user], name);
          assert.equal(l.UserRegionSize, undefined, name);
          assert.deepEqual([l.MiscSelect, l.MiscMask], ["0", "0"], name);
          assert.equal(config.userSpace.committedAtBoot, user, name);
        }
        assert.deepEqual([config.threads.init, config.threads.max], [l.TCSNum, l.TCSMaxNum]);
        assert.deepEqual([config.kernelHeap.init, config.kernelHeap.max], [l.HeapInitSize, l.HeapMaxSize]);
      }
    }
  }
});

test("EDMM details: max fields above the floors win; init threads used as-is (not min'ed with 16); min(16, T)", () => {
  const big = load(template((c) => Object.assign(c.resource_limits, { kernel_space_heap_max_size: "2GB", user_space_size: "1GB", user_space_max_size: "20GB", max_num_of_threads: 5000, init_num_of_threads: 100 })), "edmm");
  assert.deepEqual([big.resolved.layout.HeapMaxSize, big.resolved.userSpaceMax, big.resolved.layout.UserRegionSize], [2n * GiB, 20n * GiB, 21n * GiB]);
  assert.deepEqual([big.resolved.layout.TCSNum, big.resolved.layout.TCSMaxNum], [100, 5000]);
  const few = load(template((c) => (c.resource_limits.max_num_of_threads = 8)), "edmm");
  assert.equal(few.resolved.layout.TCSNum, 8);
});

type ErrCase = { name: string; mode: Mode; edit: (c: any) => void; path: string; occlum: string; msg?: RegExp; hint?: RegExp };

const OCCLUM_ERRORS: ErrCase[] = [
  { name: "tcs init > max (EDMM)", mode: "edmm", edit: (c) => (c.resource_limits.init_num_of_threads = 5000), path: "resource_limits.init_num_of_threads", occlum: "init_num_of_threads: Some(5000), max_num_of_threads: 32, wrong configuration", msg: /5000 is more than the maximum number of threads, 4096/ },
  { name: "stack parse", mode: "hw", edit: (c) => (c.resource_limits.kernel_space_stack_size = "1mb"), path: "resource_limits.kernel_space_stack_size", occlum: 'The kernel_space_stack_size "1mb" is not correct.', hint: /did you mean "1MB"/ },
  { name: "heap parse", mode: "hw", edit: (c) => (c.resource_limits.kernel_space_heap_size = "32"), path: "resource_limits.kernel_space_heap_size", occlum: 'The kernel_space_heap_size "32" is not correct.' },
  { name: "heap max parse", mode: "hw", edit: (c) => (c.resource_limits.kernel_space_heap_max_size = "1.5GB"), path: "resource_limits.kernel_space_heap_max_size", occlum: 'The kernel_space_heap_max_size "1.5GB" is not correct.', hint: /"1536MB"/ },
  { name: "heap init > max (EDMM)", mode: "edmm", edit: (c) => Object.assign(c.resource_limits, { kernel_space_heap_size: "2GB", kernel_space_heap_max_size: "512MB" }), path: "resource_limits.kernel_space_heap_size", occlum: 'kernel_space_heap_size: "2GB", kernel_space_heap_max_size: Some("512MB"), wrong configuration', msg: /larger than the kernel heap maximum, 1 GiB/ },
  { name: "user parse", mode: "hw", edit: (c) => (c.resource_limits.user_space_size = "300mb"), path: "resource_limits.user_space_size", occlum: 'The user_space_size "300mb" is not correct.' },
  { name: "user max parse", mode: "edmm", edit: (c) => (c.resource_limits.user_space_max_size = "1G"), path: "resource_limits.user_space_max_size", occlum: 'The user_space_max_size "1G" is not correct.' },
  { name: "user init > max (non-EDMM)", mode: "hw", edit: (c) => (c.resource_limits.user_space_max_size = "200MB"), path: "resource_limits.user_space_size", occlum: 'user_space_size: "300MB", user_space_max_size: Some("200MB"), wrong configuration' },
  { name: "cache_size parse", mode: "hw", edit: (c) => (c.mount[0].options.cache_size = "1 mb"), path: "mount[0].options.cache_size", occlum: 'The cache_size "1 mb" is not correct.' },
  { name: "cache_size too small (non-EDMM)", mode: "hw", edit: (c) => c.mount.push({ target: "/data", type: "sefs", source: "./run/data", options: { cache_size: "100KB" } }), path: "mount[2].options.cache_size", occlum: 'Invalid cache_size "102400". The cache_size must be 1. larger than the minimum size "196608", 2. aligned with cache page size "4096", 3. smaller than the kernel_heap_max_size "33554432".', msg: /below the minimum/ },
  { name: "cache_size unaligned", mode: "hw", edit: (c) => c.mount.push({ target: "/data", type: "sefs", source: "./run/data", options: { cache_size: "200001B" } }), path: "mount[2].options.cache_size", occlum: 'Invalid cache_size "200001". The cache_size must be 1. larger than the minimum size "196608", 2. aligned with cache page size "4096", 3. smaller than the kernel_heap_max_size "33554432".', msg: /not a multiple/ },
  { name: "cache_size above the heap max", mode: "hw", edit: (c) => c.mount.push({ target: "/data", type: "sefs", source: "./run/data", options: { cache_size: "64MB" } }), path: "mount[2].options.cache_size", occlum: 'Invalid cache_size "67108864". The cache_size must be 1. larger than the minimum size "196608", 2. aligned with cache page size "4096", 3. smaller than the kernel_heap_max_size "33554432".', msg: /larger than the kernel heap maximum/ },
  { name: "ext2 without disk_size", mode: "hw", edit: (c) => c.mount.push({ target: "/ext2", type: "ext2" }), path: "mount[2].options.disk_size", occlum: "The disk_size must be specified for Ext2." },
  { name: "disk_size parse", mode: "hw", edit: (c) => c.mount.push({ target: "/ext2", type: "ext2", options: { disk_size: "10gb" } }), path: "mount[2].options.disk_size", occlum: 'The disk_size "10gb" is not correct.' },
  { name: "disk_size too small", mode: "hw", edit: (c) => c.mount.push({ target: "/ext2", type: "ext2", options: { disk_size: "4GB" } }), path: "mount[2].options.disk_size", occlum: 'The disk_size "4294967296" is too small, minimum size is "5368709120".' },
  { name: "bad KSS id", mode: "hw", edit: (c) => Object.assign(c.metadata, { enable_kss: true, family_id: { high: "xyz", low: "0x0" } }), path: "metadata.family_id.high", occlum: "64 bit hex string ID required, such as 0x1234567812345678" },
];

test("every build-time error of spec 1.10 / example 5: same meaning (Occlum's text kept), position, expected", () => {
  for (const c of OCCLUM_ERRORS) {
    const text = template(c.edit);
    const issue = issueAt(errorsOf(text, c.mode), c.path);
    assert.equal(issue.occlum, c.occlum, c.name);
    if (c.msg) assert.match(issue.message, c.msg, c.name);
    if (c.hint) assert.match(issue.hint ?? "", c.hint, c.name);
    assert.ok(issue.line > 0 && issue.column > 0, c.name);
  }
});

test("error positions are the line:column of the offending value", () => {
  const text = template((c) => (c.resource_limits.user_space_size = "300mb"));
  const issue = issueAt(errorsOf(text), "resource_limits.user_space_size");
  assert.deepEqual([issue.line, issue.column], Object.values(posOf(text, '"300mb"')));
});

test("example 5: the same configs are fine in the other mode", () => {
  assert.equal(load(template((c) => (c.resource_limits.user_space_max_size = "200MB")), "edmm").resolved.userSpaceMax, 16n * GiB);
  assert.equal(load(template((c) => (c.resource_limits.init_num_of_threads = 5000)), "hw").resolved.layout.TCSNum, 32);
  const heap = load(template((c) => Object.assign(c.resource_limits, { kernel_space_heap_size: "2GB", kernel_space_heap_max_size: "512MB" })), "hw");
  assert.deepEqual([heap.resolved.layout.HeapInitSize, heap.resolved.layout.HeapMaxSize], [512n * MiB, 512n * MiB]);
  // a valid cache_size within the EDMM heap max (1 GiB) but above the non-EDMM one (32 MiB)
  const cache = template((c) => c.mount.push({ target: "/data", type: "sefs", source: "./run/data", options: { cache_size: "64MB" } }));
  assert.doesNotThrow(() => load(cache, "edmm"));
});

test("all errors are collected in one pass (Occlum stops at the first)", () => {
  const issues = errorsOf(
    template((c) => {
      c.resource_limits.kernel_space_stack_size = "1mb";
      c.resource_limits.user_space_size = "300mb";
      c.mount.push({ target: "/ext2", type: "ext2" });
    }),
  );
  assert.deepEqual(issues.map((i) => i.path), ["resource_limits.kernel_space_stack_size", "resource_limits.user_space_size", "mount[2].options.disk_size"]);
});

test("what sgx_sign would reject at signing is rejected at build", () => {
  const cases: [(c: any) => void, string, RegExp][] = [
    [(c) => (c.resource_limits.kernel_space_stack_size = "1000B"), "resource_limits.kernel_space_stack_size", /not a multiple of 4 KiB/],
    [(c) => (c.resource_limits.kernel_space_heap_size = "33KB"), "resource_limits.kernel_space_heap_size", /not a multiple of 4 KiB/],
    [(c) => (c.resource_limits.kernel_space_heap_max_size = "33KB"), "resource_limits.kernel_space_heap_max_size", /kernel heap init size 33 KiB is not a multiple of 4 KiB/],
    [(c) => (c.metadata.product_id = 65536), "metadata.product_id", /too large/],
    [(c) => (c.metadata.version_number = 70000), "metadata.version_number", /too large/],
    [(c) => (c.feature.pkru = 3), "feature.pkru", /not a PKRU mode/],
    [(c) => (c.feature.amx = 3), "feature.amx", /not an AMX mode/],
    [(c) => (c.resource_limits.max_num_of_threads = 0), "resource_limits.max_num_of_threads", /nothing could run/],
  ];
  for (const [edit, path, msg] of cases) assert.match(issueAt(errorsOf(template(edit)), path).message, msg, path);
});

test("KSS id parsing: 0x prefixes (repeated, lowercase only), +, case of digits, 64-bit limit", () => {
  const ok: [string, bigint][] = [
    ["0x0", 0n],
    ["0", 0n],
    ["0xabcdef", 0xabcdefn],
    ["0xABCDEF", 0xabcdefn],
    ["abcdef", 0xabcdefn],
    ["0x0x12", 0x12n],
    ["0x+12", 0x12n],
    ["0xffffffffffffffff", (1n << 64n) - 1n],
    ["0x00000000000000001", 1n],
    ["0x1122334455667788", 1234605616436508552n],
  ];
  for (const [s, v] of ok) assert.equal(parseKssId(s), v, s);
  for (const s of ["", "0x", "0X12", "xyz", "0x1g", "0x10000000000000000", "-1", "0x 1", " 0x1"]) assert.equal(parseKssId(s), undefined, s);
});

test("KSS ids: decimal in the config, all zero when KSS is off whatever they contain, 0X hint", () => {
  const on = load(template((c) => Object.assign(c.metadata, { enable_kss: true, family_id: { high: "0x10", low: "0xff" }, ext_prod_id: { high: "0x0x1", low: "2" } })));
  assert.deepEqual([on.resolved.layout.ISVFAMILYID_H, on.resolved.layout.ISVFAMILYID_L, on.resolved.layout.ISVEXTPRODID_H, on.resolved.layout.ISVEXTPRODID_L], [16n, 255n, 1n, 2n]);
  assert.equal(on.resolved.layout.EnableKSS, 1);
  const off = load(template((c) => (c.metadata.family_id = { high: "not hex", low: "0X1" })));
  assert.deepEqual([off.resolved.layout.EnableKSS, off.resolved.layout.ISVFAMILYID_H, off.resolved.layout.ISVFAMILYID_L], [0, 0n, 0n]);
  const upper = issueAt(errorsOf(template((c) => Object.assign(c.metadata, { enable_kss: true, ext_prod_id: { high: "0X1", low: "0x10000000000000000" } }))), "metadata.ext_prod_id.high");
  assert.match(upper.hint ?? "", /did you mean "0x1"/);
  assert.ok(issueAt(errorsOf(template((c) => Object.assign(c.metadata, { enable_kss: true, ext_prod_id: { high: "0x1", low: "0x10000000000000000" } }))), "metadata.ext_prod_id.low"));
});

test("disable_log: explicit value wins, else !debuggable", () => {
  assert.equal(load(template()).resolved.disableLog, false);
  assert.equal(load(template((c) => (c.metadata.debuggable = false))).resolved.disableLog, true);
  assert.equal(load(template((c) => Object.assign(c.metadata, { debuggable: false, disable_log: false }))).resolved.disableLog, false);
  assert.equal(load(template((c) => (c.metadata.disable_log = true))).resolved.disableLog, true);
});
