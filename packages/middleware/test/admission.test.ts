/** The admission gate and connection-age jitter as units, with a clock the test sets. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { RequestGate } from '../dist/admission.js';
import { recycleAgeMs } from '../dist/connections.js';
import { Lifecycle } from '../dist/lifecycle.js';
import { resolveOptions } from '../dist/options.js';

function gateWith(admission: Record<string, number>, now: () => number): { gate: RequestGate; lifecycle: Lifecycle } {
  const registry = new Registry();
  const options = resolveOptions({ env: {}, admission: { maxEventLoopDelayMs: 0, ...admission } });
  const lifecycle = new Lifecycle(registry);
  return { gate: new RequestGate(options.admission, lifecycle, registry, now), lifecycle };
}

test('slow start admits minShare of maxInFlight at readiness, ramps with the window, and the full cap after it', () => {
  let clock = 1000;
  const { gate, lifecycle } = gateWith({ maxInFlight: 100, slowStartMs: 10_000, slowStartMinShare: 0.1 }, () => clock);
  assert.equal(gate.cap(), 10, 'before readiness');
  lifecycle.transition('warming');
  lifecycle.transition('ready');
  const caps = [0, 500, 2500, 5000, 9999, 10_000, 60_000].map((elapsed) => {
    clock = 1000 + elapsed;
    return gate.cap();
  });
  assert.deepEqual(caps, [10, 10, 25, 50, 99, 100, 100]);
  gate.close();
});

test('slow-start aggression 2 ramps as the square root of the elapsed share', () => {
  let clock = 0;
  const { gate, lifecycle } = gateWith(
    { maxInFlight: 100, slowStartMs: 10_000, slowStartMinShare: 0.1, slowStartAggression: 2 },
    () => clock,
  );
  lifecycle.transition('warming');
  lifecycle.transition('ready');
  const caps = [100, 2500, 6400].map((elapsed) => {
    clock = elapsed;
    return gate.cap();
  });
  assert.deepEqual(caps, [10, 50, 80]);
  gate.close();
});

test('the cap counts requests in flight: the request past it is shed, and one that leaves frees its slot', () => {
  const { gate } = gateWith({ maxInFlight: 2 }, () => 0);
  assert.deepEqual([gate.enter(), gate.enter(), gate.enter()], [undefined, undefined, 'concurrency']);
  assert.equal(gate.inFlight, 3);
  gate.leave();
  assert.equal(gate.inFlight, 2);
  gate.leave();
  assert.equal(gate.enter(), undefined);
  assert.equal(gate.enter(), 'concurrency');
  gate.close();
});

test('slowStartMs without maxInFlight is refused, naming both options', () => {
  assert.throws(() => resolveOptions({ env: {}, admission: { slowStartMs: 1000 } }), {
    name: 'WarmscaleOptionError',
    message: 'admission.slowStartMs needs admission.maxInFlight > 0: slow start ramps that cap (got 1000 with no cap)',
  });
});

test('connection ages spread uniformly within ±maxAgeJitter around maxAgeMs', () => {
  assert.equal(
    recycleAgeMs(30_000, 0.1, () => 0),
    27_000,
  );
  assert.equal(
    recycleAgeMs(30_000, 0.1, () => 0.5),
    30_000,
  );
  assert.equal(
    recycleAgeMs(30_000, 0.1, () => 0.75),
    31_500,
  );
  assert.equal(
    recycleAgeMs(30_000, 0, () => 0.9),
    30_000,
  );
  const ages = Array.from({ length: 1000 }, () => recycleAgeMs(30_000, 0.1));
  assert.ok(ages.every((age) => age >= 27_000 && age < 33_000));
  assert.ok(new Set(ages).size > 990, 'ages differ');
});
