/**
 * SHA-256 (FIPS 180-4) on a small WebAssembly module of our own, for the hashes `occlum run`
 * computes at every start (the image layer's MAC, the build record, the precompiled programs'
 * digests, the loader's content key).
 *
 * Why not node:crypto: loading it costs ~8 ms of CPU and ~450 page faults (~13 µs each on
 * this VM) of a ~150 ms `occlum run` (OpenSSL's binding and ~20 internal modules), while this
 * module compiles in ~0.2 ms and hashes the ~100 KB a start needs in ~3 ms on V8's baseline
 * tier (~30 MB/s; ~130 MB/s once optimized). Inputs of 1 MiB or more still go to node:crypto
 * (OpenSSL with the CPU's SHA instructions), where its load cost is repaid. node:crypto is the
 * reference: the tests compare both on random inputs of every length around the block edges.
 *
 * The module (assembled by sha256-wasm.ts, embedded here as base64) exports compress(n) over
 * one page of memory; the JS side keeps each hasher's state and partial block, so any number of
 * hashers can interleave on the one instance.
 */

import { INPUT, MAX_BLOCKS, STATE } from "./sha256-wasm.ts";

/** assembleSha256Module()'s output (sha256.test.ts keeps the two equal). */
export const SHA256_MODULE =
  "AGFzbQEAAAABBQFgAX8AAwIBAAUDAQABBxUCCGNvbXByZXNzAAAGbWVtb3J5AgAKswgBsAgBDH9BgAghAQJAA0AgAEUNAUEAIQQD" +
  "QCAEIAEgBGooAgAiAkEId0H/gfwHcSACQQh4QYD+g3hxcjYCQCAEQQRqIgRBwABHDQALQQAhBANAIAQgBCgCeCECIAJBEXggAkET" +
  "eHMgAkEKdnMgBCgCZGogBCgCRCECIAJBB3ggAkESeHMgAkEDdnNqIAQoAkBqNgKAASAEQQRqIgRBwAFHDQALQQAoAgAhBUEAKAIE" +
  "IQZBACgCCCEHQQAoAgwhCEEAKAIQIQlBACgCFCEKQQAoAhghC0EAKAIcIQxBACEEA0AgDCAJQQZ4IAlBC3hzIAlBGXhzaiALIAkg" +
  "CiALc3FzaiAEKALAAmogBCgCQGoiAyAIaiEIIAMgBUECeCAFQQ14cyAFQRZ4c2ogBSAGcSAHIAUgBnJxcmohDCALIAhBBnggCEEL" +
  "eHMgCEEZeHNqIAogCCAJIApzcXNqIAQoAsQCaiAEKAJEaiIDIAdqIQcgAyAMQQJ4IAxBDXhzIAxBFnhzaiAMIAVxIAYgDCAFcnFy" +
  "aiELIAogB0EGeCAHQQt4cyAHQRl4c2ogCSAHIAggCXNxc2ogBCgCyAJqIAQoAkhqIgMgBmohBiADIAtBAnggC0ENeHMgC0EWeHNq" +
  "IAsgDHEgBSALIAxycXJqIQogCSAGQQZ4IAZBC3hzIAZBGXhzaiAIIAYgByAIc3FzaiAEKALMAmogBCgCTGoiAyAFaiEFIAMgCkEC" +
  "eCAKQQ14cyAKQRZ4c2ogCiALcSAMIAogC3JxcmohCSAIIAVBBnggBUELeHMgBUEZeHNqIAcgBSAGIAdzcXNqIAQoAtACaiAEKAJQ" +
  "aiIDIAxqIQwgAyAJQQJ4IAlBDXhzIAlBFnhzaiAJIApxIAsgCSAKcnFyaiEIIAcgDEEGeCAMQQt4cyAMQRl4c2ogBiAMIAUgBnNx" +
  "c2ogBCgC1AJqIAQoAlRqIgMgC2ohCyADIAhBAnggCEENeHMgCEEWeHNqIAggCXEgCiAIIAlycXJqIQcgBiALQQZ4IAtBC3hzIAtB" +
  "GXhzaiAFIAsgDCAFc3FzaiAEKALYAmogBCgCWGoiAyAKaiEKIAMgB0ECeCAHQQ14cyAHQRZ4c2ogByAIcSAJIAcgCHJxcmohBiAF" +
  "IApBBnggCkELeHMgCkEZeHNqIAwgCiALIAxzcXNqIAQoAtwCaiAEKAJcaiIDIAlqIQkgAyAGQQJ4IAZBDXhzIAZBFnhzaiAGIAdx" +
  "IAggBiAHcnFyaiEFIARBIGoiBEGAAkcNAAtBAEEAKAIAIAVqNgIAQQBBACgCBCAGajYCBEEAQQAoAgggB2o2AghBAEEAKAIMIAhq" +
  "NgIMQQBBACgCECAJajYCEEEAQQAoAhQgCmo2AhRBAEEAKAIYIAtqNgIYQQBBACgCHCAMajYCHCABQcAAaiEBIABBAWshAAwACwsL" +
  "C4gCAQBBwAILgAKYL4pCkUQ3cc/7wLWl27XpW8JWOfER8Vmkgj+S1V4cq5iqB9gBW4MSvoUxJMN9DFV0Xb5y/rHegKcG3Jt08ZvB" +
  "wWmb5IZHvu/GncEPzKEMJG8s6S2qhHRK3KmwXNqI+XZSUT6YbcYxqMgnA7DHf1m/8wvgxkeRp9VRY8oGZykpFIUKtyc4IRsu/G0s" +
  "TRMNOFNUcwpluwpqdi7JwoGFLHKSoei/oktmGqhwi0vCo1FsxxnoktEkBpnWhTUO9HCgahAWwaQZCGw3Hkx3SCe1vLA0swwcOUqq" +
  "2E5Pypxb828uaO6Cj3RvY6V4FHjIhAgCx4z6/76Q62xQpPej+b7yeHHG";

const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

interface Engine { compress(n: number): void; mem: Uint8Array; words: Int32Array }
let engine: Engine | undefined;
function getEngine(): Engine {
  if (engine) return engine;
  const inst = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(SHA256_MODULE, "base64")));
  const memory = inst.exports["memory"] as WebAssembly.Memory;
  engine = { compress: inst.exports["compress"] as (n: number) => void, mem: new Uint8Array(memory.buffer), words: new Int32Array(memory.buffer, STATE, 8) };
  return engine;
}

const utf8 = new TextEncoder();

/**
 * Inputs at least this large go to node:crypto (OpenSSL, ~1.5 GB/s with the CPU's SHA
 * instructions): its load cost is repaid, while this engine runs at baseline-compiler speed
 * (~30 MB/s) until V8 has optimized it.
 */
const LARGE = 1 << 20;

type NodeHash = { update(data: Uint8Array | string): unknown; digest(): Buffer };

/** An incremental SHA-256, shaped like node:crypto's Hash for the calls we make. */
export class Sha256 {
  readonly #state = Int32Array.from(IV);
  readonly #partial = new Uint8Array(64);
  readonly #large: NodeHash | undefined;
  #partialLen = 0;
  #length = 0; // bytes hashed so far
  #done = false;

  /** `expectedBytes`: how much will be hashed, if known (large inputs use node:crypto). */
  constructor(expectedBytes = 0) {
    if (expectedBytes >= LARGE) this.#large = process.getBuiltinModule("node:crypto").createHash("sha256");
  }

  update(data: Uint8Array | string): this {
    if (this.#done) throw new Error("Sha256: update after digest");
    if (this.#large) {
      this.#large.update(data);
      return this;
    }
    const bytes = typeof data === "string" ? utf8.encode(data) : data;
    this.#length += bytes.length;
    let off = 0;
    if (this.#partialLen > 0) {
      const take = Math.min(64 - this.#partialLen, bytes.length);
      this.#partial.set(bytes.subarray(0, take), this.#partialLen);
      this.#partialLen += take;
      off = take;
      if (this.#partialLen < 64) return this;
      this.#run(this.#partial, 1);
      this.#partialLen = 0;
    }
    while (bytes.length - off >= 64) {
      const blocks = Math.min((bytes.length - off) >> 6, MAX_BLOCKS);
      this.#run(bytes.subarray(off, off + (blocks << 6)), blocks);
      off += blocks << 6;
    }
    this.#partial.set(bytes.subarray(off), 0);
    this.#partialLen = bytes.length - off;
    return this;
  }

  digest(): Buffer;
  digest(encoding: "hex"): string;
  digest(encoding?: "hex"): Buffer | string {
    if (this.#done) throw new Error("Sha256: digest called twice");
    if (this.#large) {
      this.#done = true;
      const out = this.#large.digest();
      return encoding === "hex" ? out.toString("hex") : out;
    }
    const bits = this.#length * 8;
    const tail = new Uint8Array(this.#partialLen < 56 ? 64 : 128);
    tail.set(this.#partial.subarray(0, this.#partialLen));
    tail[this.#partialLen] = 0x80;
    const view = new DataView(tail.buffer);
    view.setUint32(tail.length - 8, Math.floor(bits / 2 ** 32));
    view.setUint32(tail.length - 4, bits >>> 0);
    this.#run(tail, tail.length >> 6);
    this.#done = true;
    const out = Buffer.alloc(32);
    for (let i = 0; i < 8; i++) out.writeInt32BE(this.#state[i]!, 4 * i);
    return encoding === "hex" ? out.toString("hex") : out;
  }

  #run(blocks: Uint8Array, n: number): void {
    const e = getEngine();
    e.mem.set(blocks, INPUT);
    e.words.set(this.#state);
    e.compress(n);
    this.#state.set(e.words);
  }
}

export const createSha256 = (expectedBytes = 0): Sha256 => new Sha256(expectedBytes);
/** SHA-256 of `data` (a string is hashed as UTF-8), lowercase hex. */
export const sha256Hex = (data: Uint8Array | string): string => new Sha256(data.length).update(data).digest("hex");
