/** Interleaving helpers: every scenario runs its variants once per round, in an order that rotates. */

/** `items` rotated by `round`, so no variant always runs first (cold box) or last (after the others heated it). */
export function rotated<T>(items: readonly T[], round: number): T[] {
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** Applies `figure` to each sample and the reference sample of the same round (e.g. a ratio against bare Fastify). */
export function perRound<S extends { readonly round: number }>(
  samples: readonly S[],
  references: readonly S[],
  figure: (sample: S, reference: S) => number,
): number[] {
  return samples.map((sample) => {
    const reference = references.find((r) => r.round === sample.round);
    if (reference === undefined) throw new Error(`no reference sample in round ${sample.round}`);
    return figure(sample, reference);
  });
}
