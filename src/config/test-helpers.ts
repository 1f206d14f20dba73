/** Helpers shared by the config tests (not a test file itself). */
import assert from "node:assert/strict";
import { loadConfig, type Loaded } from "./config.ts";
import { ConfigError, type ConfigIssue } from "./errors.ts";
import { TEMPLATE_OCCLUM_JSON } from "./template.ts";

export type Mode = "hw" | "edmm" | "sim";

/** The template, changed by `edit` (which gets a plain object), written with 4-space indent. */
export function template(edit: (c: Record<string, any>) => void = () => {}): string {
  const c = JSON.parse(TEMPLATE_OCCLUM_JSON);
  edit(c);
  return JSON.stringify(c, null, 4);
}

export function load(text: string, mode: Mode = "hw", extra: { instanceDir?: string; isDirectory?: (p: string) => boolean } = {}): Loaded {
  return loadConfig(text, {
    edmm: {
      envSgxMode: mode === "sim" ? "SIM" : undefined,
      envEnableEdmm: mode === "edmm" ? "Y" : undefined,
      flagSgxMode: undefined,
      flagEnableEdmm: undefined,
    },
    ...extra,
  });
}

/** The issues of the ConfigError that loading `text` throws (fails the test if it loads). */
export function errorsOf(text: string, mode: Mode = "hw", extra: { instanceDir?: string; isDirectory?: (p: string) => boolean } = {}): readonly ConfigIssue[] {
  try {
    load(text, mode, extra);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.issues;
  }
  assert.fail("expected a ConfigError");
}

/** The single issue at `path` (fails if there is not exactly one). */
export function issueAt(issues: readonly ConfigIssue[], path: string): ConfigIssue {
  const found = issues.filter((i) => i.path === path);
  assert.equal(found.length, 1, `one issue at ${path}, got: ${JSON.stringify(issues, null, 1)}`);
  return found[0]!;
}

/** 1-based line:column of the first occurrence of `needle` in `text`. */
export function posOf(text: string, needle: string): { line: number; column: number } {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `${needle} not in text`);
  const before = text.slice(0, i);
  const line = before.split("\n").length;
  return { line, column: i - before.lastIndexOf("\n") };
}
