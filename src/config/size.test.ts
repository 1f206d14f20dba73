import assert from "node:assert/strict";
import { test } from "node:test";
import { describeSizeError, formatBytes, parseSize, suggestSize } from "./size.ts";

test("the size-string table of spec 1.8", () => {
  const ok: [string, bigint][] = [
    ["1MB", 1048576n],
    ["1 MB", 1048576n],
    [" 2GB ", 2147483648n],
    ["256KB", 262144n],
    ["1B", 1n],
    ["0B", 0n],
    ["+4MB", 4194304n],
    ["1TB", 1099511627776n],
  ];
  for (const [s, bytes] of ok) assert.deepEqual(parseSize(s), { ok: true, bytes }, s);
  const bad: [string, string][] = [
    ["1mb", "No unit"],
    ["1M", "No unit"],
    ["1024", "No unit"],
    ["1.5GB", "No number"],
    ["1KiB", "No number"],
    ["1kB", "No number"],
    ["MB", "No number"],
    ["-1MB", "No number"],
  ];
  for (const [s, error] of bad) assert.deepEqual(parseSize(s), { ok: false, error }, s);
});

test("more edge cases of the Rust parser: whitespace, +, hex, underscores, empty", () => {
  assert.deepEqual(parseSize("\t3 KB\n"), { ok: true, bytes: 3072n });
  assert.deepEqual(parseSize("007MB"), { ok: true, bytes: 7n << 20n });
  for (const s of ["", "B", "++1MB", "0x10MB", "1_000MB", "1,000MB", "1e3MB", "+MB", "1 000MB"]) {
    assert.equal(parseSize(s).ok, false, s);
  }
  assert.deepEqual(parseSize(""), { ok: false, error: "No unit" });
});

test("BigInt-safe: TB-scale values exact, 64-bit overflow rejected instead of wrapping", () => {
  assert.deepEqual(parseSize("16777215TB"), { ok: true, bytes: 16777215n << 40n });
  assert.deepEqual(parseSize("16777216TB"), { ok: false, error: "Too large" });
  assert.deepEqual(parseSize("18446744073709551615B"), { ok: true, bytes: (1n << 64n) - 1n });
  // usize::from_str itself overflows: Occlum says "No number"
  assert.deepEqual(parseSize("18446744073709551616B"), { ok: false, error: "No number" });
  assert.deepEqual(parseSize("9007199254740993B"), { ok: true, bytes: 9007199254740993n });
});

test("suggestions for the usual slips", () => {
  const cases: [string, string | undefined][] = [
    ["1mb", "1MB"],
    ["300mb", "300MB"],
    ["1Mb", "1MB"],
    ["1kB", "1KB"],
    ["1M", "1MB"],
    ["4 m", "4MB"],
    ["1KiB", "1KB"],
    ["2GiB", "2GB"],
    ["1.5GB", "1536MB"],
    ["0.5MB", "512KB"],
    ["1_000MB", "1000MB"],
    ["1024", undefined],
    ["-1MB", undefined],
    ["MB", undefined],
    ["1.1B", undefined],
    ["1MB", undefined],
  ];
  for (const [s, want] of cases) assert.equal(suggestSize(s), want, s);
  for (const [s, want] of cases) if (want !== undefined) assert.equal(parseSize(want).ok, true, want);
});

test("error descriptions carry the suggestion, or a unit hint for bare numbers", () => {
  assert.deepEqual(describeSizeError("300mb", "No unit"), {
    message: '"300mb" is not a size',
    expected: 'e.g. "300MB": a number followed by KB, MB, GB, TB or B, case-sensitive',
    hint: 'did you mean "300MB"?',
  });
  assert.match(describeSizeError("1024", "No unit").hint ?? "", /"1024B" for bytes, "1024MB" for megabytes/);
  assert.match(describeSizeError("99999999TB", "Too large").message, /too large/);
});

test("formatBytes: binary units, exact when possible", () => {
  assert.equal(formatBytes(0n), "0 B");
  assert.equal(formatBytes(1023n), "1023 B");
  assert.equal(formatBytes(33554432n), "32 MiB");
  assert.equal(formatBytes(314572800n), "300 MiB");
  assert.equal(formatBytes(1n << 30n), "1 GiB");
  assert.equal(formatBytes(17n << 30n), "17 GiB");
  assert.equal(formatBytes(1536n), "1.5 KiB");
  assert.equal(formatBytes((1n << 20n) + 1n), "1 MiB");
  assert.equal(formatBytes(1n << 40n), "1 TiB");
});
