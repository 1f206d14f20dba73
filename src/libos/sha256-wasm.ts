/**
 * The assembler of sha256.ts's WebAssembly module (FIPS 180-4's compression function), kept
 * apart so a start decodes the finished bytes instead of running this in V8's interpreter
 * (~1-2 ms cold). sha256.test.ts checks that SHA256_MODULE in sha256.ts is exactly what this
 * produces; after a change here, put the test's printed base64 there.
 *
 * compress(n) runs the compression function over n 64-byte blocks at INPUT, updating the eight
 * state words at STATE. Memory layout (one page):
 *   STATE 0..32 state words H0..H7 | SCHED 64..320 message schedule W0..W63 |
 *   K 320..576 round constants (a data segment) | INPUT 1024..65536 input blocks.
 * Words live in memory as native (little-endian) i32; input words are byte-swapped on load
 * because SHA-256 reads its input big-endian.
 */

export const STATE = 0;
export const SCHED = 64;
export const KOFF = 320;
export const INPUT = 1024;
export const MAX_BLOCKS = (65536 - INPUT) >> 6;

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

// Opcodes (WebAssembly core spec, binary format).
const BLOCK = 0x02, LOOP = 0x03, END = 0x0b, BR = 0x0c, BR_IF = 0x0d, VOID = 0x40;
const GET = 0x20, SET = 0x21, TEE = 0x22, CONST = 0x41, EQZ = 0x45, NE = 0x47;
const LOAD = 0x28, STORE = 0x36, ADD = 0x6a, SUB = 0x6b, AND = 0x71, OR = 0x72, XOR = 0x73;
const SHR_U = 0x76, ROTL = 0x77, ROTR = 0x78;

/**
 * Appends instructions to a byte array. Plain pushes on purpose: this runs once per process in
 * V8's interpreter, where building the ~1 KB of code with array spreads cost ~30 ms.
 */
class Code {
  readonly b: number[] = [];
  op(...ops: number[]): this {
    for (const o of ops) this.b.push(o);
    return this;
  }
  get(l: number): this { return this.op(GET, l); }
  set(l: number): this { return this.op(SET, l); }
  i32(v: number): this {
    v |= 0;
    this.b.push(CONST);
    for (;;) {
      const byte = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) { this.b.push(byte); return this; }
      this.b.push(byte | 0x80);
    }
  }
  /** i32.load/i32.store with a constant offset below 2^14 (two LEB bytes at most). */
  mem(op: number, offset: number): this {
    return offset < 0x80 ? this.op(op, 2, offset) : this.op(op, 2, (offset & 0x7f) | 0x80, offset >> 7);
  }
  /** rotr(x,r1) ^ rotr(x,r2) ^ (rotr or shr)(x,r3) of local x: SHA-256's Σ and σ functions. */
  mix(x: number, r1: number, r2: number, r3: number, lastShift: boolean): this {
    return this.get(x).i32(r1).op(ROTR).get(x).i32(r2).op(ROTR, XOR).get(x).i32(r3).op(lastShift ? SHR_U : ROTR, XOR);
  }
}

/**
 * The body of compress(n). The rounds are unrolled eight at a time with the working variables
 * rotating roles instead of moving (in round t, a..h are locals V[(0-t)&7]..V[(7-t)&7], so a
 * round writes only d += t1 and h = t1 + t2): V8 first runs a module on its baseline compiler,
 * which keeps every local move as written, and a start's few hundred blocks finish before the
 * optimizing tier would take over.
 * Locals: 0 n, 1 p (block address), 2 x (scratch), 3 t1, 4 j (byte index), 5..12 the variables.
 */
function compressBody(): number[] {
  const N = 0, P = 1, X = 2, T1 = 3, J = 4;
  const V = (i: number): number => 5 + (i & 7);
  const c = new Code();
  c.i32(INPUT).set(P);
  c.op(BLOCK, VOID, LOOP, VOID).get(N).op(EQZ, BR_IF, 1);
  // W[0..15]: the block's words, big-endian (byte swap of the little-endian load).
  c.i32(0).set(J).op(LOOP, VOID);
  c.get(J).get(P).get(J).op(ADD).mem(LOAD, 0).op(TEE, X).i32(8).op(ROTL).i32(0x00ff00ff).op(AND);
  c.get(X).i32(8).op(ROTR).i32(0xff00ff00).op(AND, OR).mem(STORE, SCHED);
  c.get(J).i32(4).op(ADD, TEE, J).i32(64).op(NE, BR_IF, 0, END);
  // W[16..63] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16]; J is 4t - 64, so W[t-k] is at SCHED + J + 64 - 4k.
  c.i32(0).set(J).op(LOOP, VOID);
  c.get(J).get(J).mem(LOAD, SCHED + 56).set(X).mix(X, 17, 19, 10, true).get(J).mem(LOAD, SCHED + 36).op(ADD);
  c.get(J).mem(LOAD, SCHED + 4).set(X).mix(X, 7, 18, 3, true).op(ADD).get(J).mem(LOAD, SCHED).op(ADD).mem(STORE, SCHED + 64);
  c.get(J).i32(4).op(ADD, TEE, J).i32(192).op(NE, BR_IF, 0, END);
  for (let i = 0; i < 8; i++) c.i32(0).mem(LOAD, STATE + 4 * i).set(V(i));
  c.i32(0).set(J).op(LOOP, VOID);
  for (let r = 0; r < 8; r++) {
    const a = V(-r), b = V(1 - r), cc = V(2 - r), d = V(3 - r), e = V(4 - r), f = V(5 - r), g = V(6 - r), h = V(7 - r);
    // t1 = h + Σ1(e) + ch(e,f,g) + K[t] + W[t], with ch = g ^ (e & (f ^ g)); d += t1.
    c.get(h).mix(e, 6, 11, 25, false).op(ADD).get(g).get(e).get(f).get(g).op(XOR, AND, XOR, ADD);
    c.get(J).mem(LOAD, KOFF + 4 * r).op(ADD).get(J).mem(LOAD, SCHED + 4 * r).op(ADD, TEE, T1);
    c.get(d).op(ADD).set(d);
    // h = t1 + Σ0(a) + maj(a,b,c), with maj = (a & b) | (c & (a | b)).
    c.get(T1).mix(a, 2, 13, 22, false).op(ADD).get(a).get(b).op(AND).get(cc).get(a).get(b).op(OR, AND, OR, ADD).set(h);
  }
  c.get(J).i32(32).op(ADD, TEE, J).i32(256).op(NE, BR_IF, 0, END);
  for (let i = 0; i < 8; i++) c.i32(0).i32(0).mem(LOAD, STATE + 4 * i).get(V(i)).op(ADD).mem(STORE, STATE + 4 * i);
  c.get(P).i32(64).op(ADD).set(P).get(N).i32(1).op(SUB).set(N).op(BR, 0, END, END, END);
  return [1, 12, 0x7f, ...c.b]; // locals: one run of 12 i32
}

/** The module: compress(n) over a one-page memory holding the round constants at KOFF. */
export function assembleSha256Module(): Uint8Array<ArrayBuffer> {
  const body = compressBody();
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const uleb = (v: number): void => {
    do { out.push(v > 0x7f ? (v & 0x7f) | 0x80 : v); v >>>= 7; } while (v);
  };
  const section = (id: number, bytes: ArrayLike<number>): void => {
    out.push(id);
    uleb(bytes.length);
    for (let i = 0; i < bytes.length; i++) out.push(bytes[i]!);
  };
  const ascii = (s: string): number[] => [s.length, ...Array.from(s, (ch) => ch.charCodeAt(0))];
  section(1, [1, 0x60, 1, 0x7f, 0]); // one type: (i32) -> ()
  section(3, [1, 0]);
  section(5, [1, 0x00, 1]); // one memory: one page, no maximum
  section(7, [2, ...ascii("compress"), 0x00, 0, ...ascii("memory"), 0x02, 0]);
  const code: number[] = [];
  const len = body.length;
  code.push(1, (len & 0x7f) | 0x80, len >> 7); // one body; its size in two LEB bytes (< 16 KiB)
  for (const x of body) code.push(x);
  section(10, code);
  const k = new Uint8Array(new Int32Array(K).buffer); // little-endian, as wasm memory is
  const data: number[] = [1, 0, CONST, (KOFF & 0x7f) | 0x80, KOFF >> 7, END, (k.length & 0x7f) | 0x80, k.length >> 7];
  for (const x of k) data.push(x);
  section(11, data);
  return new Uint8Array(out);
}

