// Traffic traces: parsing, validation, interpolation and the named profiles.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseTrace, profileTrace, TraceError, trafficAt } from '@warmscale/hpa-sim';

describe('parseTrace', () => {
  test('reads CSV with a header and comments', () => {
    assert.deepEqual(parseTrace('time,qps\n# warm\n0,50\n60, 50\n60,500\n'), [
      { time: 0, qps: 50 },
      { time: 60, qps: 50 },
      { time: 60, qps: 500 },
    ]);
  });

  test('reads JSON objects and pairs', () => {
    assert.deepEqual(parseTrace('[{"time":0,"qps":10},[30,20]]'), [
      { time: 0, qps: 10 },
      { time: 30, qps: 20 },
    ]);
  });

  test('a negative QPS names the line', () => {
    assert.throws(
      () => parseTrace('0,50\n30,-5\n'),
      new TraceError('trace line 2: qps must be a number >= 0 (got -5)'),
    );
  });

  test('unsorted times name the point', () => {
    assert.throws(
      () => parseTrace('0,50\n60,50\n30,50\n'),
      new TraceError('trace point 3: time 30 is before the previous time 60 (times must be sorted)'),
    );
  });

  test('a line with three fields is rejected', () => {
    assert.throws(() => parseTrace('0,50,1\n'), new TraceError('trace line 1: expected "time,qps" (got "0,50,1")'));
  });

  test('invalid JSON is reported as such', () => {
    assert.throws(() => parseTrace('[{"time":0,'), /^TraceError: trace: invalid JSON/);
  });

  test('an empty trace is rejected', () => {
    assert.throws(() => parseTrace('time,qps\n'), new TraceError('trace: no points'));
  });
});

describe('trafficAt', () => {
  const points = parseTrace('0,50\n60,50\n60,500\n120,100\n');
  test('is constant before the first and after the last point', () => {
    assert.deepEqual([trafficAt(points, -10), trafficAt(points, 500)], [50, 100]);
  });
  test('takes the later point at a step', () => assert.equal(trafficAt(points, 60), 500));
  test('interpolates linearly between points', () => assert.equal(trafficAt(points, 90), 300));
});

describe('profileTrace', () => {
  test('step jumps from base to peak at `at`', () => {
    assert.deepEqual(profileTrace({ profile: 'step', base: 50, peak: 500, at: 60, length: 600 }), [
      { time: 0, qps: 50 },
      { time: 60, qps: 50 },
      { time: 60, qps: 500 },
      { time: 600, qps: 500 },
    ]);
  });
  test('ramp climbs linearly over `duration`', () => {
    const ramp = profileTrace({ profile: 'ramp', base: 0, peak: 100, at: 100, duration: 100, length: 400 });
    assert.deepEqual([trafficAt(ramp, 100), trafficAt(ramp, 150), trafficAt(ramp, 300)], [0, 50, 100]);
  });
  test('spike holds the peak for `duration`, then falls back', () => {
    const spike = profileTrace({ profile: 'spike', base: 50, peak: 500, at: 60, duration: 300, length: 1200 });
    assert.deepEqual(
      [trafficAt(spike, 59), trafficAt(spike, 60), trafficAt(spike, 359), trafficAt(spike, 360)],
      [50, 500, 500, 50],
    );
  });
  test('diurnal peaks half a period in, at the trough at both ends', () => {
    const day = profileTrace({ profile: 'diurnal', base: 100, peak: 300, period: 9600 });
    assert.deepEqual([trafficAt(day, 0), trafficAt(day, 4800), trafficAt(day, 9600)], [100, 300, 100]);
  });
  test('step defaults to 50 -> 500 at 60 s, 20 minutes long', () => {
    assert.deepEqual(profileTrace({ profile: 'step' }).at(-1), { time: 1260, qps: 500 });
  });
});
