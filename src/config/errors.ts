/**
 * ConfigError: the one error type of src/config/.
 *
 * Occlum's generator stops at the first problem, prints it without saying where it is, and for
 * most semantic problems exits 0 (spec 1.10). We collect every problem we can find in one pass
 * and report each as one line that names the file, line:column, JSON path, what was expected and
 * how to fix it. `occlum` keeps the text Occlum itself would print for the same problem, so the
 * meaning of every Occlum error stays traceable (tests assert it; debug logs show it).
 */

/** One problem (or warning) found in Occlum.json. Positions are 1-based; 0 when unknown. */
export interface ConfigIssue {
  /** JSON path of the offending value, e.g. `resource_limits.user_space_size`, `mount[2].type`. */
  readonly path: string;
  readonly line: number;
  readonly column: number;
  /** What is wrong, e.g. `"300mb" is not a size`. */
  readonly message: string;
  /** What was expected, e.g. `e.g. "300MB": a number followed by KB, MB, GB, TB or B`. */
  readonly expected?: string;
  /** How to fix it, e.g. `did you mean "300MB"?`. */
  readonly hint?: string;
  /** The message Occlum prints for the same problem, when it reports one at build time. */
  readonly occlum?: string;
}

export class ConfigError extends Error {
  /** Every problem found (at least one). The first one is also this error's own fields. */
  readonly issues: readonly ConfigIssue[];
  readonly file: string;
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly expected: string | undefined;
  readonly hint: string | undefined;
  /** Warnings found before the errors stopped the pass (e.g. a misspelled optional key). */
  readonly warnings: readonly ConfigIssue[];

  constructor(file: string, issues: readonly ConfigIssue[], warnings: readonly ConfigIssue[] = []) {
    if (issues.length === 0) throw new RangeError("ConfigError needs at least one issue");
    super(issues.map((i) => formatIssue(file, i)).join("\n"));
    this.name = "ConfigError";
    this.issues = Object.freeze([...issues]);
    this.file = file;
    const first = issues[0]!;
    this.path = first.path;
    this.line = first.line;
    this.column = first.column;
    this.expected = first.expected;
    this.hint = first.hint;
    this.warnings = Object.freeze([...warnings]);
  }
}

/** `Occlum.json:12:28: resource_limits.user_space_size: "300mb" is not a size (expected ...); did you mean "300MB"?` */
export function formatIssue(file: string, issue: ConfigIssue, kind: "error" | "warning" = "error"): string {
  const where = issue.line > 0 ? `${file}:${issue.line}:${issue.column}` : file;
  const tag = kind === "warning" ? " warning:" : "";
  const path = issue.path === "" ? "" : ` ${issue.path}:`;
  let text = `${where}:${tag}${path} ${issue.message}`;
  if (issue.expected !== undefined) text += ` (expected ${issue.expected})`;
  if (issue.hint !== undefined) text += `; ${issue.hint}`;
  return text;
}

/** Appends a key to a JSON path: `a.b`, `a["odd key"]`. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return parent === "" ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

/** Edit distance with adjacent transpositions (optimal string alignment), for "did you mean". */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate within a small edit distance (or a case-insensitive match), if any. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const d = c.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word, c);
    const limit = Math.max(1, Math.min(3, Math.floor(c.length / 4)));
    if (d <= limit && d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}
