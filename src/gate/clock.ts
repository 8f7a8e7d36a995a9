/** Time as the gate sees it; injected so tests drive it. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Polling backoff: 1 s, doubling, at most 10 s. */
export const BACKOFF_START_MS = 1000;
export const BACKOFF_MAX_MS = 10_000;

/** The next delay after `ms`. */
export const nextBackoff = (ms: number): number => Math.min(ms * 2, BACKOFF_MAX_MS);

/** The gate's --timeout: every wait is cut to what is left of it, so the gate never runs past it. */
export class Deadline {
  readonly at: number;

  constructor(
    readonly clock: Clock,
    readonly timeoutMs: number,
  ) {
    this.at = clock.now() + timeoutMs;
  }

  remaining(): number {
    return Math.max(0, this.at - this.clock.now());
  }

  expired(): boolean {
    return this.remaining() === 0;
  }

  /** Sleeps `ms`, or what is left if that is less. False (without sleeping) when nothing is left. */
  async wait(ms: number): Promise<boolean> {
    const left = this.remaining();
    if (left === 0) return false;
    await this.clock.sleep(Math.min(ms, left));
    return true;
  }
}
