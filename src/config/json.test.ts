import assert from "node:assert/strict";
import { test } from "node:test";
import { JsonSyntaxError, parseJson, toPlain } from "./json.ts";

function syntaxError(text: string): JsonSyntaxError {
  try {
    parseJson(text);
  } catch (e) {
    assert.ok(e instanceof JsonSyntaxError);
    return e;
  }
  assert.fail(`parsed: ${text}`);
}

test("parses what JSON.parse parses, with positions of every value and key", () => {
  const text = '{\n  "a": [1, -2.5e3, "x\\u00e9\\n"],\n  "b": {"c": null, "d": true}\n}';
  const node = parseJson(text);
  assert.deepEqual(toPlain(node), JSON.parse(text));
  assert.equal(node.kind, "object");
  if (node.kind !== "object") return;
  const a = node.entries[0]!;
  assert.deepEqual(a.keyPos, { line: 2, column: 3 });
  assert.deepEqual({ line: a.value.line, column: a.value.column }, { line: 2, column: 8 });
  const b = node.entries[1]!.value;
  assert.equal(b.kind, "object");
  if (b.kind === "object") assert.deepEqual({ line: b.entries[1]!.value.line, column: b.entries[1]!.value.column }, { line: 3, column: 25 });
});

test("numbers keep their source text", () => {
  const n = parseJson("18446744073709551617");
  assert.deepEqual(n.kind === "number" && n.raw, "18446744073709551617");
});

test("strict JSON: the usual hand-editing slips are errors with a position and a hint", () => {
  const cases: [string, RegExp, number, number, RegExp?][] = [
    ['{"a": 1,}', /trailing comma in object/, 1, 8, /remove the comma/],
    ["[1, 2,]", /trailing comma in array/, 1, 6],
    ['{"a": 1 // note\n}', /comments are not allowed/, 1, 9],
    ['{"a": 1 /* x */}', /comments are not allowed/, 1, 9],
    ["{'a': 1}", /double-quoted key/, 1, 2, /single quotes/],
    ['{"a": True}', /expected value, found True/, 1, 7, /did you mean true/],
    ['{"a": 1} x', /trailing characters/, 1, 10],
    ['{"a": 1 "b": 2}', /expected ',' or '}'/, 1, 9, /add a comma/],
    ['{"a": "x\ny"}', /control character/, 1, 9],
    ['{"a": 0x10}', /invalid number/, 1, 7, /no hex numbers/],
    ['{"a": 01}', /invalid number/, 1, 7],
    ['{"a": "\\q"}', /invalid escape/, 1, 8],
    ['{"a": "\\ud800"}', /lone leading surrogate/, 1, 14],
    ['{"a": 1', /end of file inside an object/, 1, 8],
    ["", /end of file/, 1, 1],
    ['\ufeff{"a": 1}', /byte-order mark/, 1, 1],
  ];
  for (const [text, msg, line, column, hint] of cases) {
    const e = syntaxError(text);
    assert.match(e.message, msg, text);
    assert.deepEqual([e.line, e.column], [line, column], `${text}: ${e.message}`);
    if (hint) assert.match(e.hint ?? "", hint, text);
  }
});

test("a repeated key is an error naming both positions", () => {
  const e = syntaxError('{\n  "a": 1,\n  "a": 2\n}');
  assert.match(e.message, /duplicate key "a" \(first at line 2, column 3\)/);
  assert.deepEqual([e.line, e.column], [3, 3]);
});

test("nesting deeper than serde_json's limit is rejected, not a stack overflow", () => {
  assert.match(syntaxError("[".repeat(200) + "]".repeat(200)).message, /too deep/);
  assert.doesNotThrow(() => parseJson("[".repeat(100) + "]".repeat(100)));
});
