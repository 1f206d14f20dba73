import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { test } from "node:test";
import { createSha256, SHA256_MODULE, sha256Hex } from "./sha256.ts";
import { assembleSha256Module } from "./sha256-wasm.ts";

const ref = (...parts: (Uint8Array | string)[]): string => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
};

test("FIPS 180-4 examples", () => {
  assert.equal(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert.equal(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.equal(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  assert.equal(sha256Hex("a".repeat(1_000_000)), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
});

test("every length around the block and padding edges equals node:crypto", () => {
  const data = randomBytes(300);
  for (let n = 0; n <= 300; n++) assert.equal(sha256Hex(data.subarray(0, n)), ref(data.subarray(0, n)), `length ${n}`);
});

test("incremental updates in random pieces, strings as UTF-8, and inputs larger than the engine's buffer", () => {
  for (let round = 0; round < 40; round++) {
    const total = round < 30 ? Math.floor(Math.random() * 5000) : 70_000 + Math.floor(Math.random() * 200_000);
    const data = randomBytes(total);
    const h = createSha256();
    const parts: Uint8Array[] = [];
    for (let off = 0; off < total;) {
      const n = Math.min(total - off, 1 + Math.floor(Math.random() * (round < 30 ? 130 : 90_000)));
      parts.push(data.subarray(off, off + n));
      off += n;
    }
    for (const p of parts) h.update(p);
    assert.equal(h.digest("hex"), ref(data), `round ${round}, ${total} bytes in ${parts.length} pieces`);
  }
  assert.equal(createSha256().update("héllo ✓ ").update("\0x").digest("hex"), ref("héllo ✓ ", "\0x"));
});

test("hashers interleave on the one engine; digest() gives bytes; misuse is an error", () => {
  const a = createSha256(), b = createSha256();
  const x = randomBytes(1000), y = randomBytes(777);
  a.update(x.subarray(0, 100)); b.update(y.subarray(0, 500)); a.update(x.subarray(100)); b.update(y.subarray(500));
  assert.deepEqual(a.digest(), createHash("sha256").update(x).digest());
  assert.equal(b.digest("hex"), ref(y));
  assert.throws(() => a.update("more"), /after digest/);
  assert.throws(() => a.digest(), /twice/);
});

test("large inputs (the node:crypto path) and small ones agree with the reference", () => {
  const data = randomBytes(3 << 20);
  assert.equal(sha256Hex(data), ref(data));
  const h = createSha256(data.length);
  h.update(data.subarray(0, 12345)).update(data.subarray(12345));
  assert.equal(h.digest("hex"), ref(data));
  assert.equal(createSha256(0).update(data).digest("hex"), ref(data)); // no hint: the wasm engine all the way
});

test("the embedded module is exactly what the assembler produces", () => {
  const assembled = Buffer.from(assembleSha256Module()).toString("base64");
  assert.ok(WebAssembly.validate(Buffer.from(SHA256_MODULE, "base64")));
  assert.equal(SHA256_MODULE, assembled, `sha256-wasm.ts changed: set SHA256_MODULE in sha256.ts to\n${assembled}`);
});
