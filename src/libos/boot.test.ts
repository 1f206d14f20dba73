import { test } from "node:test";
import assert from "node:assert/strict";
import { checkProgramPath, mergeEnv } from "./boot.ts";
import { parseLogLevel, LogLevel, Logger } from "./log.ts";
import { hostExitCode } from "./process/exit.ts";

test("env: defaults not overridden first, then the untrusted names the host sets (spec 3.5)", () => {
  const env = mergeEnv({ default: ["A=1", "B=2", "C=3"], untrusted: ["B", "D", "E"] }, { B: "host", D: "d", X: "no" });
  assert.deepEqual(env, ["A=1", "C=3", "B=host", "D=d"]);
});

test("program paths: absolute, no '..', under an entry point component-wise", () => {
  assert.equal(checkProgramPath("/bin/app", ["/bin"]), "/bin/app");
  assert.equal(checkProgramPath("/bin//./app", ["/bin/"]), "/bin/app");
  assert.equal(checkProgramPath("/usr/local/bin/x", ["/bin", "/usr/local"]), "/usr/local/bin/x");
  assert.throws(() => checkProgramPath("bin/app", ["/bin"]), /must be absolute/);
  assert.throws(() => checkProgramPath("/bin/../etc/x", ["/bin"]), /\.\./);
  assert.throws(() => checkProgramPath("/binary/app", ["/bin"]), /NOT a valid entry point/);
  assert.throws(() => checkProgramPath("/etc/app", []), /NOT a valid entry point/);
});

test("exit codes: status & 0x7F, 128 + signal", () => {
  assert.equal(hostExitCode({ kind: "exit", code: 0 }), 0);
  assert.equal(hostExitCode({ kind: "exit", code: 200 }), 72);
  assert.equal(hostExitCode({ kind: "exit", code: 256 + 3 }), 3);
  assert.equal(hostExitCode({ kind: "signal", signo: 11 }), 139);
});

test("OCCLUM_LOG_LEVEL: Occlum's names and aliases, case-insensitive, unknown = off", () => {
  assert.equal(parseLogLevel(undefined), LogLevel.off);
  assert.equal(parseLogLevel("TRACE"), LogLevel.trace);
  assert.equal(parseLogLevel("panic"), LogLevel.error);
  assert.equal(parseLogLevel("fatal"), LogLevel.error);
  assert.equal(parseLogLevel("Warning"), LogLevel.warn);
  assert.equal(parseLogLevel("verbose"), LogLevel.off);
  let out = "";
  const log = new Logger(LogLevel.warn, (l) => (out += l));
  log.info("hidden");
  log.warn("shown");
  log.error("also");
  assert.equal(out, "[W] shown\n[E] also\n");
});
