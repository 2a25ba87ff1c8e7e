/**
 * A product catalog search with a genuine first-call cost, the kind of route that falls over on a freshly scaled-out
 * pod: the first search builds a 150,000-item catalog and its inverted index (tens of MB, hundreds of ms of CPU on one
 * core, blocking the event loop for every request on the pod), and the scoring code is still interpreted. Later
 * searches are index lookups on JIT-compiled code.
 */
export interface SearchHit {
  readonly id: number;
  readonly title: string;
  readonly score: number;
}

interface Catalog {
  readonly titles: readonly string[];
  readonly index: ReadonlyMap<string, readonly number[]>;
}

const CATALOG_SIZE = 150_000;
const COLORS = ['red', 'blue', 'green', 'black', 'white', 'silver', 'amber', 'teal', 'olive', 'coral'];
const MATERIALS = ['steel', 'oak', 'linen', 'wool', 'glass', 'cotton', 'leather', 'bamboo', 'copper', 'stone'];
const KINDS = ['chair', 'lamp', 'table', 'shelf', 'rug', 'mug', 'vase', 'desk', 'bench', 'clock', 'frame', 'bowl'];
const SIZES = ['mini', 'small', 'medium', 'large', 'xl'];

let catalog: Catalog | undefined;

function pick<T>(list: readonly T[], seed: number): T {
  return list[seed % list.length] as T;
}

function buildCatalog(): Catalog {
  const titles: string[] = [];
  const index = new Map<string, number[]>();
  for (let id = 0; id < CATALOG_SIZE; id++) {
    const h = Math.imul(id + 1, 2654435761) >>> 0;
    const title = `${pick(SIZES, h >>> 3)} ${pick(COLORS, h >>> 7)} ${pick(MATERIALS, h >>> 11)} ${pick(KINDS, h >>> 15)} ${id.toString(36)}`;
    titles.push(title);
    for (const token of title.split(' ')) {
      let postings = index.get(token);
      if (postings === undefined) {
        postings = [];
        index.set(token, postings);
      }
      postings.push(id);
    }
  }
  return { titles, index };
}

/** True until the first search has built the catalog. */
export function catalogIsCold(): boolean {
  return catalog === undefined;
}

/** Items matching every word of `query`, best first (shorter titles score higher), at most `limit`. */
export function searchCatalog(query: string, limit = 10): SearchHit[] {
  catalog ??= buildCatalog();
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  const lists = words.map((word) => catalog?.index.get(word) ?? []).sort((a, b) => a.length - b.length);
  const [shortest, ...rest] = lists;
  const others = rest.map((list) => new Set(list));
  const hits: SearchHit[] = [];
  for (const id of shortest ?? []) {
    if (!others.every((set) => set.has(id))) continue;
    const title = catalog.titles[id] as string;
    hits.push({ id, title, score: words.length / title.length });
  }
  return hits.sort((a, b) => b.score - a.score || a.id - b.id).slice(0, limit);
}
