/**
 * The EDMM mismatch cases of the EDMM guide's note 4: the EDMM decision is taken at build time,
 * the platform is what `occlum run` finds.
 *
 * Our platform can always commit on demand, so "EDMM off at run time" is a switch:
 *   OCCLUM_EDMM=0   run as on a platform without EDMM (SGX1);
 *   OCCLUM_EDMM=1   or unset: the platform supports EDMM (the default);
 *   anything else   refused with one clear line.
 * OCCLUM_EDMM_MISMATCH=error makes an EDMM build on a non-EDMM platform refuse to start.
 *
 * | build \ platform | EDMM                          | no EDMM                                      |
 * |------------------|-------------------------------|----------------------------------------------|
 * | EDMM             | EDMM (Init at boot, Max cap)   | starts static with the Init sizes (see below)  |
 * | non-EDMM         | static, info line (note 4a)    | static                                       |
 *
 * EDMM build without EDMM: the guide says the enclave still starts but "undefined errors may
 * occur ... explicit errors or panics due to insufficient memory": on SGX1 only what the EDMM
 * layout commits at load exists (reserved memory = user_space_size, HeapInitSize, TCSNum), and
 * the user region, heap growth and extra TCSs that need EDMM never come. We start with exactly
 * that static layout, say so at boot, and every allocation beyond it is a clean ENOMEM / EAGAIN
 * inside the guest instead of undefined behaviour (that TCSNum is what SGX1 gets is our reading).
 */
import { occlumSize, type VmLimits } from "./limits.ts";

export type MismatchCase = "edmm" | "static" | "static-build-on-edmm-platform" | "edmm-build-without-edmm";

export interface RuntimeMode {
  readonly case: MismatchCase;
  /** The mode the memory manager runs in. */
  readonly edmm: boolean;
  /** The limits to boot vm/ with (the built ones, or the static Init layout). */
  readonly limits: VmLimits;
  /** Lines to print at boot ("info: ..." / "warning: ..."). */
  readonly messages: readonly string[];
  /** Set when the LibOS must not start: one line, to print before exiting non-zero. */
  readonly fatal: string | undefined;
}

export type PlatformEdmm = { readonly ok: true; readonly edmm: boolean; readonly source: string } | { readonly ok: false; readonly message: string };

/** Reads the runtime switch (OCCLUM_EDMM). */
export function platformEdmm(env: Readonly<Record<string, string | undefined>>): PlatformEdmm {
  const v = env["OCCLUM_EDMM"];
  if (v === undefined || v === "") return { ok: true, edmm: true, source: "default" };
  if (v === "1") return { ok: true, edmm: true, source: "OCCLUM_EDMM=1" };
  if (v === "0") return { ok: true, edmm: false, source: "OCCLUM_EDMM=0" };
  return { ok: false, message: `error: OCCLUM_EDMM must be 0 (run as on a platform without EDMM) or 1 (with EDMM), not "${v}"` };
}

const REBUILD = "rebuild without EDMM (unset ENABLE_EDMM and feature.enable_edmm) to size it for this platform";

/**
 * The runtime mode from the limits the instance was built with (`built.userSpace.edmm` is the
 * build's decision) and the platform's EDMM support.
 */
export function decideRuntimeMode(built: VmLimits, platformHasEdmm: boolean, env: Readonly<Record<string, string | undefined>> = {}): RuntimeMode {
  const builtEdmm = built.userSpace.edmm;
  if (builtEdmm && platformHasEdmm) return { case: "edmm", edmm: true, limits: built, messages: [], fatal: undefined };
  if (!builtEdmm) {
    const messages = platformHasEdmm
      ? [`info: this instance was built without EDMM: running its static configuration (${occlumSize(built.userSpace.max)} of user space committed at start-up) although the platform supports EDMM`]
      : [];
    return { case: platformHasEdmm ? "static-build-on-edmm-platform" : "static", edmm: false, limits: built, messages, fatal: undefined };
  }
  const u = built.userSpace;
  const h = built.kernelHeap;
  const t = built.threads;
  if (env["OCCLUM_EDMM_MISMATCH"] === "error") {
    return {
      case: "edmm-build-without-edmm", edmm: false, limits: built, messages: [],
      fatal: `error: this instance was built for EDMM but EDMM is off at run time (OCCLUM_EDMM=0); refusing to start (OCCLUM_EDMM_MISMATCH=error): ${REBUILD}`,
    };
  }
  const limits: VmLimits = {
    userSpace: { ...u, edmm: false, max: u.init },
    kernelHeap: { ...h, edmm: false, max: h.init },
    threads: { ...t, edmm: false, max: t.init },
    kernelStack: built.kernelStack,
  };
  const text =
    `warning: this instance was built for EDMM but EDMM is off at run time (OCCLUM_EDMM=0): ` +
    `running the static layout a platform without EDMM loads: user space ${occlumSize(u.init)} (not up to ${occlumSize(u.max)}), ` +
    `kernel heap ${occlumSize(h.init)} (not up to ${occlumSize(h.max)}), ${t.init} threads (not up to ${t.max}); ` +
    `allocations beyond fail with ENOMEM, threads beyond with EAGAIN; ${REBUILD}`;
  return { case: "edmm-build-without-edmm", edmm: false, limits, messages: [text], fatal: undefined };
}
