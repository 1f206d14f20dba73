/**
 * Which functions need a fuel charge at entry. A function that loops is handled by its loop
 * checks (and, in the "local-counter" style, always charged: see instrument.ts). For calls, only
 * two things can make execution unbounded or very long without passing a loop check:
 *   - recursion: every function in a call-graph cycle is charged;
 *   - fan-out: an acyclic chain of loop-free functions each calling the next several times runs
 *     exponentially long. A function whose uncharged work (its own code size plus that of the
 *     uncharged functions it calls, per call site) exceeds `workLimit` bytes is charged.
 * Indirect calls (call_indirect, call_ref, their tail forms) may reach any function whose
 * reference is taken (element segments, ref.func): they go through one virtual node.
 * Calls into imports end in the kernel, which is itself a preemption point.
 */

import { Ev, type EventList } from "./code-scan.ts";

export interface CallGraph {
  /** Defined functions. */
  count: number;
  /** Function index of defined function 0 (= number of imported functions). */
  firstDefined: number;
  events: EventList;
  /** Per defined function: its events are [firstEvent[i], firstEvent[i + 1]). */
  firstEvent: Uint32Array;
  sawCall: Uint8Array;
  sawIndirect: Uint8Array;
  /** Body size in bytes (a proxy for straight-line work). */
  size: Uint32Array;
  /** Per defined function: its reference is taken somewhere. */
  addressTaken: Uint8Array;
  /** Per defined function: charged at entry regardless (e.g. it has loops). */
  forced: Uint8Array;
  /** Output, when given: 1 for each defined function in a call-graph cycle. */
  cyclic?: Uint8Array;
}

/** Returns, per defined function, 1 when it gets an entry charge. */
export function chargedFunctions(g: CallGraph, workLimit: number): Uint8Array {
  const n = g.count;
  const T = n; // the virtual "any address-taken function" node
  const N = n + 1;
  const d = g.events.data;
  // Adjacency in CSR form; duplicates kept (each call site counts for fan-out).
  const deg = new Uint32Array(N + 1);
  const forEachEdge = (f: number, visit: (to: number) => void): void => {
    for (let e = g.firstEvent[f]!, last = g.firstEvent[f + 1]!; e < last; e++) {
      if (d[e * 4] !== Ev.FuncRef) continue;
      const to = d[e * 4 + 3]! - g.firstDefined;
      if (to < n) visit(to); // (an out-of-range index: the engine rejects the module anyway)
    }
    if (g.sawIndirect[f]) visit(T);
  };
  for (let f = 0; f < n; f++) forEachEdge(f, () => deg[f + 1]!++);
  for (let f = 0; f < n; f++) if (g.addressTaken[f]) deg[T + 1]!++;
  for (let i = 0; i < N; i++) deg[i + 1]! += deg[i]!;
  const adj = new Uint32Array(deg[N]!);
  const fill = deg.slice(0, N);
  for (let f = 0; f < n; f++) forEachEdge(f, (to) => { adj[fill[f]!++] = to; });
  for (let f = 0; f < n; f++) if (g.addressTaken[f]) adj[fill[T]!++] = f;

  const charged = new Uint8Array(n);
  const work = new Float64Array(N); // uncharged work an invocation contributes to its callers
  const index = new Int32Array(N).fill(-1);
  const low = new Int32Array(N);
  const onStack = new Uint8Array(N);
  const stack = new Int32Array(N);
  let sp = 0;
  const frameNode = new Int32Array(N);
  const frameEdge = new Uint32Array(N);
  let counter = 0;

  const finishScc = (root: number): void => {
    const start = stack.lastIndexOf(root, sp - 1);
    const members = stack.subarray(start, sp);
    let cyclic = members.length > 1;
    if (!cyclic) {
      const v = members[0]!;
      for (let e = deg[v]!; e < deg[v + 1]!; e++) if (adj[e] === v) cyclic = true;
    }
    for (const v of members) {
      onStack[v] = 0;
      if (v === T) continue;
      if (g.forced[v] || (cyclic && g.sawCall[v])) charged[v] = 1;
      if (cyclic && g.cyclic) g.cyclic[v] = 1;
    }
    // Callees are finished before callers (Tarjan emits SCCs in reverse topological order).
    for (const v of members) {
      if (v !== T && charged[v]) continue; // work[v] = 0: its callers' units stay short
      let w = v === T ? 0 : g.size[v]!;
      for (let e = deg[v]!; e < deg[v + 1]!; e++) {
        const to = adj[e]!;
        const c = to !== T && charged[to] ? 0 : work[to]!;
        w = v === T ? Math.max(w, c) : w + c;
      }
      if (v !== T && g.sawCall[v] && w > workLimit) {
        charged[v] = 1;
        w = 0;
      }
      work[v] = Math.min(w, workLimit + 1);
    }
    sp = start;
  };

  for (let root = 0; root < N; root++) {
    if (index[root] !== -1) continue;
    let fp = 0;
    frameNode[0] = root;
    frameEdge[0] = deg[root]!;
    index[root] = low[root] = counter++;
    stack[sp++] = root;
    onStack[root] = 1;
    while (fp >= 0) {
      const v = frameNode[fp]!;
      const e = frameEdge[fp]!;
      if (e < deg[v + 1]!) {
        frameEdge[fp] = e + 1;
        const w = adj[e]!;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack[sp++] = w;
          onStack[w] = 1;
          fp++;
          frameNode[fp] = w;
          frameEdge[fp] = deg[w]!;
        } else if (onStack[w] && index[w]! < low[v]!) {
          low[v] = index[w]!;
        }
      } else {
        if (low[v] === index[v]) finishScc(v);
        fp--;
        if (fp >= 0) {
          const parent = frameNode[fp]!;
          if (low[v]! < low[parent]!) low[parent] = low[v]!;
        }
      }
    }
  }
  return charged;
}
