/**
 * Child process of stacks.test.ts: runs /bin/deep (test/guest/threads/deep.c) through the LibOS
 * in this process, under whatever V8 flags the parent started it with, and prints the result as
 * one JSON line. argv: the .wasm path, then the program's arguments.
 */
import { makeInstance, run } from "../helpers.ts";

const [wasm, ...args] = process.argv.slice(2);
const inst = await makeInstance({ programs: { "/bin/deep": wasm! } });
try {
  const r = await run(inst, "/bin/deep", { args });
  process.stdout.write(JSON.stringify({ code: r.code, stdout: r.stdout, stderr: r.stderr }) + "\n");
} finally {
  await inst.cleanup();
}
