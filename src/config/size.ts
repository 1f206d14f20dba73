/**
 * Size strings ("300MB", "1 GB", "4KB") exactly as Occlum parses them (spec 1.8), as BigInt.
 *
 * Algorithm: trim; take the first unit of KB, MB, GB, TB, B the string ends with (case-sensitive),
 * else "No unit"; the rest, trimmed, must be an unsigned decimal integer with an optional leading
 * `+` that fits in 64 bits (Rust `usize::from_str`), else "No number"; multiply by the binary unit.
 * Occlum wraps silently when value x unit overflows 64 bits; we reject it ("Too large").
 * `suggestSize` turns the common slips ("1mb", "1M", "1.5GB", "1KiB") into a valid string.
 */

export type SizeErrorKind = "No unit" | "No number" | "Too large";

export type SizeResult = { readonly ok: true; readonly bytes: bigint } | { readonly ok: false; readonly error: SizeErrorKind };

const UNITS: readonly (readonly [string, bigint])[] = [
  ["KB", 1n << 10n],
  ["MB", 1n << 20n],
  ["GB", 1n << 30n],
  ["TB", 1n << 40n],
  ["B", 1n],
];

export const U64_MAX = (1n << 64n) - 1n;

/** Rust's `str::trim` (Unicode White_Space), which differs slightly from JS's `trim`. */
function rustTrim(s: string): string {
  return s.replace(/^[\p{White_Space}]+|[\p{White_Space}]+$/gu, "");
}

export function parseSize(input: string): SizeResult {
  const s = rustTrim(input);
  const unit = UNITS.find(([u]) => s.endsWith(u));
  if (unit === undefined) return { ok: false, error: "No unit" };
  const digits = rustTrim(s.slice(0, s.length - unit[0].length));
  if (!/^\+?[0-9]+$/.test(digits)) return { ok: false, error: "No number" };
  const value = BigInt(digits.replace(/^\+/, ""));
  if (value > U64_MAX) return { ok: false, error: "No number" };
  const bytes = value * unit[1];
  if (bytes > U64_MAX) return { ok: false, error: "Too large" };
  return { ok: true, bytes };
}

/** Parses or returns undefined. */
export function sizeBytes(input: string): bigint | undefined {
  const r = parseSize(input);
  return r.ok ? r.bytes : undefined;
}

/** A valid size string that the author probably meant, or undefined when there is no good guess. */
export function suggestSize(input: string): string | undefined {
  const s = rustTrim(input).replace(/[\s_,']/g, "");
  if (parseSize(input).ok) return undefined;
  const m = /^\+?([0-9]*)(?:\.([0-9]+))?([A-Za-z]*)$/.exec(s);
  if (m === null) return undefined;
  const [, intPart = "", fracPart = "", unitText] = m;
  if (intPart === "" && fracPart === "") return undefined;
  let unit = unitText!.toUpperCase().replace(/I(?=B$)/, ""); // KiB -> KB
  if (/^[KMGT]$/.test(unit)) unit += "B";
  if (unit === "BYTES" || unit === "BYTE") unit = "B";
  if (unit === "") return undefined; // a bare number: bytes or megabytes? no safe guess
  const factor = UNITS.find(([u]) => u === unit)?.[1];
  if (factor === undefined) return undefined;
  // Exact value in bytes, then the largest unit that expresses it as an integer.
  const scale = 10n ** BigInt(fracPart.length);
  const scaled = BigInt(intPart === "" ? "0" : intPart) * scale + BigInt(fracPart === "" ? "0" : fracPart);
  if ((scaled * factor) % scale !== 0n) return undefined;
  const bytes = (scaled * factor) / scale;
  if (bytes > U64_MAX) return undefined;
  if (fracPart === "") return `${bytes / factor}${unit}`;
  for (const [u, f] of [...UNITS].sort((a, b) => (a[1] < b[1] ? 1 : -1))) {
    if (bytes % f === 0n) return `${bytes / f}${u}`;
  }
  return undefined;
}

/** Human, binary units: 33554432n -> "32 MiB", 1536n -> "1.5 KiB", 100n -> "100 B". */
export function formatBytes(bytes: bigint): string {
  const names = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
  let unit = 0;
  while (unit < names.length - 1 && bytes >= 1n << BigInt(10 * (unit + 1))) unit++;
  const factor = 1n << BigInt(10 * unit);
  const whole = bytes / factor;
  const rest = bytes % factor;
  if (rest === 0n) return `${whole} ${names[unit]}`;
  const hundredths = Number((rest * 100n + factor / 2n) / factor);
  if (hundredths === 100) return `${whole + 1n} ${names[unit]}`;
  const frac = String(hundredths).padStart(2, "0").replace(/0+$/, "");
  return frac === "" ? `${whole} ${names[unit]}` : `${whole}.${frac} ${names[unit]}`;
}

/** The "expected" text every size error shares. */
export const SIZE_EXPECTED = 'a number followed by KB, MB, GB, TB or B, case-sensitive';

/** Message, expected text and hint for a size string that failed to parse. */
export function describeSizeError(value: string, error: SizeErrorKind): { message: string; expected: string; hint?: string } {
  if (error === "Too large") {
    return { message: `${JSON.stringify(value)} is too large`, expected: "at most 16 EiB - 1 byte (2^64 - 1)" };
  }
  const guess = suggestSize(value);
  const example = guess ?? "300MB";
  let hint = guess !== undefined ? `did you mean ${JSON.stringify(guess)}?` : undefined;
  if (guess === undefined && /^\s*\+?[0-9]+\s*$/.test(value)) {
    hint = `add a unit: ${JSON.stringify(value.trim() + "B")} for bytes, ${JSON.stringify(value.trim() + "MB")} for megabytes`;
  }
  return { message: `${JSON.stringify(value)} is not a size`, expected: `e.g. ${JSON.stringify(example)}: ${SIZE_EXPECTED}`, ...(hint !== undefined ? { hint } : {}) };
}
