/** The routes every benchmark server serves, shared by the servers and the load generator. */

/** The hello-world route of the overhead scenario: as little handler work as possible, so plugin cost shows. */
export const HELLO_PATH = '/hello';

/** The route the shed scenario's server holds its one admitted request on, unanswered. */
export const HOLD_PATH = '/hold';

/** Static routes that, with {@link STATUSES}, give the scrape scenario 50 x 5 = 250 label sets. */
export const ROUTE_COUNT = 50;
export const STATUSES: readonly number[] = [200, 201, 400, 404, 500];

export function routePath(index: number): string {
  return `/route-${index}`;
}

/** The `index`-th request of a cycle over every route and status. */
export function routeRequestPath(index: number): string {
  const route = index % ROUTE_COUNT;
  const status = STATUSES[Math.floor(index / ROUTE_COUNT) % STATUSES.length];
  return `${routePath(route)}?status=${status}`;
}

/** A path no server knows, distinct for every index: what a scanner sends. */
export function unknownPath(index: number): string {
  return `/scan-${index}-${Math.random().toString(36).slice(2, 10)}/${index}`;
}
