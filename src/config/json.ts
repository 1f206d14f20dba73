/**
 * A strict JSON parser that keeps the line:column of every value and key.
 *
 * Occlum reads Occlum.json with serde_json: RFC 8259 JSON only (no comments, no trailing commas,
 * no single quotes), and serde's derived structs reject a repeated field. We accept exactly the
 * same language and reject a repeated key in any object (a second value silently winning is
 * never what the author meant). Numbers keep their source text, so integer checks are exact.
 * Errors name the position and, for the usual hand-editing slips, how to fix them.
 */

export interface JsonPos {
  readonly line: number;
  readonly column: number;
}

export type JsonNode =
  | (JsonPos & { readonly kind: "object"; readonly entries: readonly JsonEntry[] })
  | (JsonPos & { readonly kind: "array"; readonly items: readonly JsonNode[] })
  | (JsonPos & { readonly kind: "string"; readonly value: string })
  | (JsonPos & { readonly kind: "number"; readonly raw: string })
  | (JsonPos & { readonly kind: "bool"; readonly value: boolean })
  | (JsonPos & { readonly kind: "null" });

export interface JsonEntry {
  readonly key: string;
  readonly keyPos: JsonPos;
  readonly value: JsonNode;
}

export class JsonSyntaxError extends Error {
  readonly line: number;
  readonly column: number;
  readonly hint: string | undefined;
  constructor(message: string, pos: JsonPos, hint?: string) {
    super(message);
    this.name = "JsonSyntaxError";
    this.line = pos.line;
    this.column = pos.column;
    this.hint = hint;
  }
}

/** serde_json's default recursion limit. */
const MAX_DEPTH = 128;

export function parseJson(text: string): JsonNode {
  return new Parser(text).parseDocument();
}

/** Converts a node back into a plain JS value (numbers as JS numbers). */
export function toPlain(node: JsonNode): unknown {
  switch (node.kind) {
    case "object":
      return Object.fromEntries(node.entries.map((e) => [e.key, toPlain(e.value)]));
    case "array":
      return node.items.map(toPlain);
    case "string":
    case "bool":
      return node.value;
    case "number":
      return Number(node.raw);
    case "null":
      return null;
  }
}

/** A short description of a node for messages: `"32" (a string)`, `1.5 (a number)`. */
export function describeNode(node: JsonNode): string {
  switch (node.kind) {
    case "object":
      return "an object";
    case "array":
      return "an array";
    case "string":
      return `${JSON.stringify(node.value)} (a string)`;
    case "number":
      return `${node.raw} (a number)`;
    case "bool":
      return `${node.value} (a boolean)`;
    case "null":
      return "null";
  }
}

class Parser {
  private readonly text: string;
  private i = 0;
  private readonly lineStarts: number[] = [0];

  constructor(text: string) {
    this.text = text;
    for (let k = 0; k < text.length; k++) if (text.charCodeAt(k) === 10) this.lineStarts.push(k + 1);
  }

  parseDocument(): JsonNode {
    if (this.text.charCodeAt(0) === 0xfeff) {
      this.fail("the file starts with a byte-order mark", "save the file as UTF-8 without BOM");
    }
    this.skipWs();
    const value = this.parseValue(0);
    this.skipWs();
    if (this.i < this.text.length) {
      this.fail("trailing characters after the top-level value", "remove everything after the closing }");
    }
    return value;
  }

  private pos(at = this.i): JsonPos {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: at - this.lineStarts[lo]! + 1 };
  }

  private fail(message: string, hint?: string, at = this.i): never {
    throw new JsonSyntaxError(message, this.pos(at), hint);
  }

  private skipWs(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        this.i++;
      } else if (c === 0x2f && (t[this.i + 1] === "/" || t[this.i + 1] === "*")) {
        this.fail("comments are not allowed in JSON", "remove the comment (Occlum.json is strict JSON)");
      } else {
        return;
      }
    }
  }

  private parseValue(depth: number): JsonNode {
    if (depth > MAX_DEPTH) this.fail("nesting is too deep (recursion limit exceeded)");
    const c = this.text[this.i];
    const start = this.pos();
    if (c === undefined) this.fail("unexpected end of file: expected a value");
    if (c === "{") return this.parseObject(start, depth);
    if (c === "[") return this.parseArray(start, depth);
    if (c === '"') return { kind: "string", value: this.parseString(), ...start };
    if (c === "-" || (c >= "0" && c <= "9")) return { kind: "number", raw: this.parseNumber(), ...start };
    for (const [word, node] of [
      ["true", { kind: "bool", value: true }],
      ["false", { kind: "bool", value: false }],
      ["null", { kind: "null" }],
    ] as const) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return { ...node, ...start } as JsonNode;
      }
    }
    if (c === "'") this.fail("expected value: strings use double quotes in JSON", 'replace the single quotes with "');
    if (c === "}" || c === "]") this.fail(`expected value, found '${c}'`, "remove the trailing comma before it");
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.i))?.[0];
    if (word !== undefined) {
      const lower = word.toLowerCase();
      const hint = lower === "true" || lower === "false" || lower === "null" ? `did you mean ${lower}?` : "strings need double quotes";
      this.fail(`expected value, found ${word}`, hint);
    }
    this.fail(`expected value, found '${c}'`);
  }

  private parseObject(start: JsonPos, depth: number): JsonNode {
    this.i++; // {
    const entries: JsonEntry[] = [];
    const seen = new Map<string, JsonPos>();
    this.skipWs();
    if (this.text[this.i] === "}") {
      this.i++;
      return { kind: "object", entries, ...start };
    }
    for (;;) {
      this.skipWs();
      const c = this.text[this.i];
      if (c === "}") this.fail("trailing comma in object", "remove the comma before }", this.lastComma);
      if (c !== '"') {
        if (c === undefined) this.fail("unexpected end of file inside an object", "add the missing }");
        this.fail("expected a double-quoted key", c === "'" ? 'replace the single quotes with "' : c === "," ? "remove the extra comma" : undefined);
      }
      const keyPos = this.pos();
      const key = this.parseString();
      const prev = seen.get(key);
      if (prev !== undefined) {
        this.fail(`duplicate key ${JSON.stringify(key)} (first at line ${prev.line}, column ${prev.column})`, "keep only one of them", this.offsetOf(keyPos));
      }
      seen.set(key, keyPos);
      this.skipWs();
      if (this.text[this.i] !== ":") this.fail(`expected ':' after the key ${JSON.stringify(key)}`);
      this.i++;
      this.skipWs();
      const value = this.parseValue(depth + 1);
      entries.push({ key, keyPos, value });
      this.skipWs();
      const sep = this.text[this.i];
      if (sep === ",") {
        this.lastComma = this.i;
        this.i++;
        continue;
      }
      if (sep === "}") {
        this.i++;
        return { kind: "object", entries, ...start };
      }
      if (sep === undefined) this.fail("unexpected end of file inside an object", "add the missing }");
      this.fail("expected ',' or '}' after an object member", sep === '"' ? "add a comma between the members" : undefined);
    }
  }

  private lastComma = 0;

  private offsetOf(p: JsonPos): number {
    return this.lineStarts[p.line - 1]! + p.column - 1;
  }

  private parseArray(start: JsonPos, depth: number): JsonNode {
    this.i++; // [
    const items: JsonNode[] = [];
    this.skipWs();
    if (this.text[this.i] === "]") {
      this.i++;
      return { kind: "array", items, ...start };
    }
    for (;;) {
      this.skipWs();
      if (this.text[this.i] === "]") this.fail("trailing comma in array", "remove the comma before ]", this.lastComma);
      items.push(this.parseValue(depth + 1));
      this.skipWs();
      const sep = this.text[this.i];
      if (sep === ",") {
        this.lastComma = this.i;
        this.i++;
        continue;
      }
      if (sep === "]") {
        this.i++;
        return { kind: "array", items, ...start };
      }
      if (sep === undefined) this.fail("unexpected end of file inside an array", "add the missing ]");
      this.fail("expected ',' or ']' after an array element", "add a comma between the elements");
    }
  }

  private parseString(): string {
    const t = this.text;
    const startAt = this.i;
    this.i++; // opening quote
    let out = "";
    let runStart = this.i;
    for (;;) {
      const code = t.charCodeAt(this.i);
      if (Number.isNaN(code)) this.fail("unterminated string", 'add the closing "', startAt);
      if (code === 0x22) {
        out += t.slice(runStart, this.i);
        this.i++;
        return out;
      }
      if (code < 0x20) {
        this.fail("control character in a string", code === 0x0a ? 'strings cannot span lines: close it with " or write \\n' : "escape it as \\u00XX");
      }
      if (code >= 0xd800 && code <= 0xdfff) {
        // JS strings can carry lone surrogates; UTF-8 files (what serde reads) cannot.
        const pair = code <= 0xdbff && (t.charCodeAt(this.i + 1) & 0xfc00) === 0xdc00;
        if (!pair) this.fail("invalid Unicode in a string");
        this.i += 2;
        continue;
      }
      if (code !== 0x5c) {
        this.i++;
        continue;
      }
      out += t.slice(runStart, this.i);
      const esc = t[this.i + 1];
      const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
      if (esc !== undefined && esc in simple) {
        out += simple[esc];
        this.i += 2;
      } else if (esc === "u") {
        const unit = this.hex4(this.i + 2);
        this.i += 6;
        if (unit >= 0xd800 && unit <= 0xdbff) {
          if (t[this.i] !== "\\" || t[this.i + 1] !== "u") this.fail("lone leading surrogate in hex escape");
          const low = this.hex4(this.i + 2);
          if (low < 0xdc00 || low > 0xdfff) this.fail("lone leading surrogate in hex escape");
          this.i += 6;
          out += String.fromCharCode(unit, low);
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
          this.fail("lone trailing surrogate in hex escape");
        } else {
          out += String.fromCharCode(unit);
        }
      } else {
        this.fail("invalid escape in a string", "write a backslash as \\\\");
      }
      runStart = this.i;
    }
  }

  private hex4(at: number): number {
    const s = this.text.slice(at, at + 4);
    if (!/^[0-9A-Fa-f]{4}$/.test(s)) this.fail("invalid \\u escape: expected 4 hex digits", undefined, at);
    return parseInt(s, 16);
  }

  private parseNumber(): string {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.text.slice(this.i, this.i + 400));
    if (m === null) this.fail("invalid number");
    const after = this.text[this.i + m[0].length];
    if (after !== undefined && /[0-9A-Za-z.]/.test(after)) {
      const hint = m[0] === "0" && (after === "x" || after === "X") ? "JSON has no hex numbers: write it in decimal" : undefined;
      this.fail("invalid number", hint);
    }
    this.i += m[0].length;
    return m[0];
  }
}
