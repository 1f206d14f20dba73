/**
 * Which functions need a fuel charge at entry. A function that loops is handled by its loop
 * checks (and, in the "local-counter" style, always charged: see instrument.ts). For calls, only
 * two things can make execution unbounded or very long without passing a loop check:
 *   - recursion: every function in a call-graph cycle is charged;
 *   - fan-out: an acyclic chain of loop-free functions each calling the next several times runs
 *     exponentially long. A function whose uncharged work (its own code size plus that of the
 *     uncharged functions it calls, per call site) exceeds `workLimit` bytes is charged.
 * Indirect calls (call_indirect, call_ref, their tail forms) may reach any function whose
 * reference is taken (element segments, ref.func) and whose type matches the call's (else the
 * call traps): they go through one virtual node per class of equivalent function types
 * (module-info.ts funcTypeClasses), or, when the types are not classified, one for all.
 * Why by type: libc's qsort calls its comparator through a wrapper that itself calls through
 * the table; with one node for all, the wrapper sat in a cycle with every function of the table
 * and was charged on every comparison.
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
  /**
   * The class of each type index (funcTypeClasses) and each defined function's type index: an
   * indirect call (an Ev.CallType event) reaches only address-taken functions of its class.
   * Absent: every indirect call (sawIndirect) may reach every address-taken function.
   */
  typed?: { classOf: Int32Array; count: number; funcTypes: Uint32Array };
  /** Output, when given: 1 for each defined function in a call-graph cycle. */
  cyclic?: Uint8Array;
}

/** Returns, per defined function, 1 when it gets an entry charge. */
export function chargedFunctions(g: CallGraph, workLimit: number): Uint8Array {
  const n = g.count;
  // Virtual nodes n + k: "any address-taken function of type class k"; the last, T: "any at all".
  const typed = g.typed;
  const classes = typed?.count ?? 0;
  const T = n + classes;
  const N = T + 1;
  const d = g.events.data;
  // Adjacency in CSR form; duplicates kept (each call site counts for fan-out).
  const deg = new Uint32Array(N + 1);
  const forEachEdge = (f: number, visit: (to: number) => void): void => {
    for (let e = g.firstEvent[f]!, last = g.firstEvent[f + 1]!; e < last; e++) {
      const kind = d[e * 4];
      if (kind === Ev.FuncRef) {
        const to = d[e * 4 + 3]! - g.firstDefined;
        if (to < n) visit(to); // (an out-of-range index: the engine rejects the module anyway)
      } else if (kind === Ev.CallType && typed) {
        const k = typed.classOf[d[e * 4 + 3]!] ?? -1;
        visit(k >= 0 ? n + k : T); // (not a function type: the engine rejects the module)
      }
    }
    if (g.sawIndirect[f] && !typed) visit(T);
  };
  // Address-taken f is reached from T and from its class's node.
  const classOfFunc = (f: number): number => (typed ? typed.classOf[typed.funcTypes[f]!] ?? -1 : -1);
  for (let f = 0; f < n; f++) forEachEdge(f, () => deg[f + 1]!++);
  for (let f = 0; f < n; f++) {
    if (!g.addressTaken[f]) continue;
    deg[T + 1]!++;
    const k = classOfFunc(f);
    if (k >= 0) deg[n + k + 1]!++;
  }
  for (let i = 0; i < N; i++) deg[i + 1]! += deg[i]!;
  const adj = new Uint32Array(deg[N]!);
  const fill = deg.slice(0, N);
  for (let f = 0; f < n; f++) forEachEdge(f, (to) => { adj[fill[f]!++] = to; });
  for (let f = 0; f < n; f++) {
    if (!g.addressTaken[f]) continue;
    adj[fill[T]!++] = f;
    const k = classOfFunc(f);
    if (k >= 0) adj[fill[n + k]!++] = f;
  }

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
      if (v >= n) continue;
      if (g.forced[v] || (cyclic && g.sawCall[v])) charged[v] = 1;
      if (cyclic && g.cyclic) g.cyclic[v] = 1;
    }
    // Callees are finished before callers (Tarjan emits SCCs in reverse topological order).
    for (const v of members) {
      const virtual = v >= n;
      if (!virtual && charged[v]) continue; // work[v] = 0: its callers' units stay short
      let w = virtual ? 0 : g.size[v]!;
      for (let e = deg[v]!; e < deg[v + 1]!; e++) {
        const to = adj[e]!;
        const c = to < n && charged[to] ? 0 : work[to]!;
        w = virtual ? Math.max(w, c) : w + c;
      }
      if (!virtual && g.sawCall[v] && w > workLimit) {
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
