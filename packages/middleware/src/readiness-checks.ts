/** A named dependency check behind `/readyz` (a database ping, a downstream call). Liveness never runs it. */
export interface ReadinessCheckInput {
  /** Shown in the probe body. */
  readonly name: string;
  /** Resolves when healthy, throws (or rejects) when not. `signal` aborts when the check times out. */
  readonly check: (signal: AbortSignal) => Promise<unknown> | unknown;
  /** A run that takes longer counts as failed; the probe never waits longer than this. @defaultValue `1000` */
  readonly timeoutMs?: number;
  /** How long a result is reused before the check runs again. @defaultValue `2000` */
  readonly ttlMs?: number;
  /** A failing critical check makes `/readyz` 503; a non-critical one is only reported. @defaultValue `true` */
  readonly critical?: boolean;
}

export interface ReadinessCheck {
  readonly name: string;
  readonly check: (signal: AbortSignal) => Promise<unknown> | unknown;
  readonly timeoutMs: number;
  readonly ttlMs: number;
  readonly critical: boolean;
}

/** One check's result as the probe body shows it. */
export interface CheckResult {
  readonly ok: boolean;
  readonly critical: boolean;
  /** Why it failed (`'timed out after 1000 ms'`, the error message), truncated to keep probe bodies small. */
  readonly error?: string;
  /** How old the result is. */
  readonly ageMs: number;
}

interface Entry {
  result?: { ok: boolean; error?: string; at: number };
  running?: Promise<void>;
}

const MAX_ERROR_LENGTH = 200;

/**
 * Runs readiness checks with a per-check timeout, a cached result with a TTL, and single flight: concurrent probes
 * share one run. A hung check costs at most its timeout, after which the probe answers and the run is abandoned
 * (its signal is aborted).
 */
export class ReadinessChecks {
  readonly #checks: readonly ReadinessCheck[];
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(checks: readonly ReadinessCheck[], now: () => number = performance.now.bind(performance)) {
    this.#checks = checks;
    this.#now = now;
    for (const { name } of checks) this.#entries.set(name, {});
  }

  get size(): number {
    return this.#checks.length;
  }

  /** Every check's result, fresh or from cache; `ok` is false when a critical check fails. */
  async evaluate(): Promise<{ ok: boolean; checks: Record<string, CheckResult> }> {
    await Promise.all(this.#checks.map((check) => this.#refresh(check)));
    const now = this.#now();
    const checks: Record<string, CheckResult> = {};
    let ok = true;
    for (const { name, critical } of this.#checks) {
      const result = this.#entries.get(name)?.result;
      const passed = result?.ok === true;
      if (critical && !passed) ok = false;
      checks[name] = {
        ok: passed,
        critical,
        ...(result?.error === undefined ? {} : { error: result.error }),
        ageMs: result === undefined ? 0 : Math.round(now - result.at),
      };
    }
    return { ok, checks };
  }

  #refresh(check: ReadinessCheck): Promise<void> {
    const entry = this.#entries.get(check.name) as Entry;
    if (entry.running) return entry.running;
    if (entry.result && this.#now() - entry.result.at < check.ttlMs) return Promise.resolve();
    entry.running = this.#run(check).then((result) => {
      entry.result = { ...result, at: this.#now() };
      entry.running = undefined;
    });
    return entry.running;
  }

  async #run(check: ReadinessCheck): Promise<{ ok: boolean; error?: string }> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<{ ok: boolean; error: string }>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error('readiness check timed out'));
        resolve({ ok: false, error: `timed out after ${check.timeoutMs} ms` });
      }, check.timeoutMs);
      timer.unref();
    });
    const run = (async () => {
      try {
        await check.check(controller.signal);
        return { ok: true };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { ok: false, error: message.slice(0, MAX_ERROR_LENGTH) };
      }
    })();
    try {
      return await Promise.race([run, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
