/**
 * OCCLUM_BUSY_POLL_US: how long a vCPU keeps polling host I/O after host I/O made a file ready
 * (Executor.pollHost; Linux's net.core.busy_poll, whose suggested value is 50 µs too).
 */
const BUSY_POLL_US = 50;
export const MAX_BUSY_POLL_US = 100_000;

/**
 * OCCLUM_BUSY_POLL_US as µs: unset or empty → the default (50); "0" turns busy polling off; else an
 * integer up to 100000.
 */
export function parseBusyPoll(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return BUSY_POLL_US;
  const v = value.trim();
  if (!/^\d+$/.test(v) || Number(v) > MAX_BUSY_POLL_US) {
    throw new RangeError(`OCCLUM_BUSY_POLL_US must be an integer from 0 to ${MAX_BUSY_POLL_US} (µs), not ${JSON.stringify(value)}`);
  }
  return Number(v);
}

/** The process's setting: a bad value is a warning, and the default. */
export function busyPollFromEnv(): number {
  try {
    return parseBusyPoll(process.env.OCCLUM_BUSY_POLL_US);
  } catch (e) {
    process.stderr.write(`warning: ${(e as Error).message}; polling ${BUSY_POLL_US} µs\n`);
    return BUSY_POLL_US;
  }
}
