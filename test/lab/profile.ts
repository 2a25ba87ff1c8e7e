// The traffic a lab run sends: phases of constant request rate (open loop) or of a fixed number of clients (closed
// loop), and the mix of demo routes each request picks from.

/** A stretch of constant traffic. */
export interface LoadPhase {
  readonly name: string;
  readonly seconds: number;
  /** Requests per second, spread evenly whatever the answers take (open loop). */
  readonly rps: number;
  /**
   * Clients each sending their next request when their last one is answered (closed loop), on top of `rps`; a client
   * retries a request its pod shed. @defaultValue 0
   */
  readonly clients?: number;
}

/** Phases in order; the run lasts their total. */
export type LoadProfile = readonly LoadPhase[];

/** One route of the mix and its share of the requests. */
export interface RouteShare {
  readonly path: string;
  readonly weight: number;
}

/**
 * The request mix: light requests, so that one machine runs the peak on one replica without saturating and latency
 * shows what scaling does (cold pods, drains) rather than the box running out of CPU. A share are catalog searches,
 * the route a cold pod pays for on its first call and that warm-up pays for before readiness.
 */
export const ROUTE_MIX: readonly RouteShare[] = [
  { path: '/work?ms=2', weight: 4 },
  { path: '/hello', weight: 4 },
  { path: '/catalog/search?q={query}', weight: 2 },
];

/** Words of catalog queries: every query is a colour and a kind, which the demo's catalog always holds. */
export const QUERY_WORDS: { readonly colors: readonly string[]; readonly kinds: readonly string[] } = {
  colors: ['red', 'blue', 'green', 'black', 'white', 'silver', 'amber', 'teal', 'olive', 'coral'],
  kinds: ['chair', 'lamp', 'table', 'shelf', 'rug', 'mug', 'vase', 'desk', 'bench', 'clock', 'frame', 'bowl'],
};

/** Idle, a step up to the peak, a plateau, a step down to a low rate until the end. */
export function stepProfile(shape: {
  readonly idleSeconds: number;
  readonly plateauSeconds: number;
  readonly tailSeconds: number;
  readonly idleRps: number;
  readonly peakRps: number;
  readonly lowRps: number;
}): LoadProfile {
  return [
    { name: 'idle', seconds: shape.idleSeconds, rps: shape.idleRps },
    { name: 'peak', seconds: shape.plateauSeconds, rps: shape.peakRps },
    { name: 'low', seconds: shape.tailSeconds, rps: shape.lowRps },
  ];
}

/**
 * Idle, a spike of `clients` closed-loop clients (the load a slow server cannot slow down: as many requests in flight
 * as there are clients), then a low rate until the end.
 */
export function spikeProfile(shape: {
  readonly idleSeconds: number;
  readonly spikeSeconds: number;
  readonly tailSeconds: number;
  readonly idleRps: number;
  readonly clients: number;
  readonly lowRps: number;
}): LoadProfile {
  return [
    { name: 'idle', seconds: shape.idleSeconds, rps: shape.idleRps },
    { name: 'spike', seconds: shape.spikeSeconds, rps: 0, clients: shape.clients },
    { name: 'low', seconds: shape.tailSeconds, rps: shape.lowRps },
  ];
}

/** The phase with the most load: the most clients, or without clients the highest rate. */
export function peakPhase<P extends { readonly rps: number; readonly clients?: number }>(
  phases: readonly P[],
): P | undefined {
  const level = (phase: P): [number, number] => [phase.clients ?? 0, phase.rps];
  return phases.reduce<P | undefined>((best, phase) => {
    if (best === undefined) return phase;
    const [clients, rps] = level(phase);
    const [bestClients, bestRps] = level(best);
    return clients > bestClients || (clients === bestClients && rps > bestRps) ? phase : best;
  }, undefined);
}

/** Closed-loop clients due at `t` seconds from the start of the load. */
export function clientsDue(profile: LoadProfile, t: number): number {
  let start = 0;
  for (const phase of profile) {
    if (t < start + phase.seconds) return t < start ? 0 : (phase.clients ?? 0);
    start += phase.seconds;
  }
  return 0;
}

export function profileSeconds(profile: LoadProfile): number {
  return profile.reduce((total, phase) => total + phase.seconds, 0);
}

/** Start and end time of each phase, in seconds from the start of the load. */
export function phaseBounds(
  profile: LoadProfile,
): Array<{ name: string; start: number; end: number; rps: number; clients?: number }> {
  let start = 0;
  return profile.map((phase) => {
    const bounds = {
      name: phase.name,
      start,
      end: start + phase.seconds,
      rps: phase.rps,
      ...(phase.clients === undefined ? {} : { clients: phase.clients }),
    };
    start += phase.seconds;
    return bounds;
  });
}

/** Requests due from time 0 to `t` seconds (the integral of the rate), so pacing never drifts. */
export function requestsDue(profile: LoadProfile, t: number): number {
  let due = 0;
  let start = 0;
  for (const phase of profile) {
    if (t <= start) break;
    due += Math.min(t - start, phase.seconds) * phase.rps;
    start += phase.seconds;
  }
  return Math.floor(due);
}

/** A small seeded generator (mulberry32), so every run sends the same sequence of routes. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An endless, deterministic sequence of request paths following {@link ROUTE_MIX}. */
export function pathSequence(seed = 1): () => string {
  const random = seededRandom(seed);
  const total = ROUTE_MIX.reduce((sum, route) => sum + route.weight, 0);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  return () => {
    let roll = random() * total;
    for (const route of ROUTE_MIX) {
      roll -= route.weight;
      if (roll < 0) return route.path.replace('{query}', `${pick(QUERY_WORDS.colors)}+${pick(QUERY_WORDS.kinds)}`);
    }
    return ROUTE_MIX[0]?.path ?? '/hello';
  };
}
