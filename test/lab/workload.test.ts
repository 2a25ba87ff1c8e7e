import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startBalancer } from './balancer.js';
import { loadSettings } from './settings.js';
import { restartCounts } from './timeline.js';
import { LAB_CRASH_LOOP_BACK_OFF, RestartBackOff, Workload, type WorkloadEvent } from './workload.js';

describe("the lab's kubelet", () => {
  test('RestartBackOff waits as the kubelet does: none at the first exit, then 1, 2, 4 ... up to 30 s, reset after 60 s of running', () => {
    const backOff = new RestartBackOff(LAB_CRASH_LOOP_BACK_OFF);
    // A container that exits 5 s after each restart.
    let t = 0;
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const wait = backOff.next(t);
      waits.push(wait);
      t += wait + 5_000;
    }
    assert.deepEqual(waits, [0, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    // Running 60 s after the last restart is not enough to forget; longer is.
    const restartedAt = t - 5_000;
    assert.equal(backOff.next(restartedAt + 60_000), 30_000);
    const again = restartedAt + 60_000 + 30_000;
    assert.equal(backOff.next(again + 60_001), 0);
    assert.equal(backOff.next(again + 60_001 + 100), 1_000);
  });

  test('restartCounts counts the restarts, and those that followed a failed liveness probe', () => {
    const events: WorkloadEvent[] = [
      { t: 1, kind: 'liveness-failed', pod: 'a' },
      { t: 2, kind: 'restarted', pod: 'a' },
      { t: 3, kind: 'startup-failed', pod: 'b' },
      { t: 4, kind: 'restarted', pod: 'b' },
      { t: 5, kind: 'exited', pod: 'a', detail: 'exit 1 while running' },
      { t: 6, kind: 'restarted', pod: 'a' },
      { t: 7, kind: 'liveness-failed', pod: 'b' },
    ];
    assert.deepEqual(restartCounts(events), { restarts: 3, livenessRestarts: 1 });
  });

  test('a replica failing its liveness probe is killed (SIGTERM), restarted, then restarted again after a doubling back-off', {
    timeout: 60_000,
  }, async () => {
    const chart = await loadSettings();
    // Liveness on a path the demo does not serve (404): every probe fails; no preStop, a short grace period.
    const settings = {
      ...chart,
      livenessProbe: { path: '/not-a-probe', periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 1 },
      readinessProbe: { ...chart.readinessProbe, periodSeconds: 1 },
      startupProbe: { ...chart.startupProbe, periodSeconds: 1 },
      preStopSleepSeconds: 0,
      terminationGracePeriodSeconds: 5,
    };
    const balancer = await startBalancer();
    const events: WorkloadEvent[] = [];
    const origin = performance.now();
    let restarted: () => void = () => {};
    const thirdRestart = new Promise<void>((resolve) => {
      restarted = resolve;
    });
    const workload = new Workload({
      settings,
      balancer,
      setTargets: () => {},
      propagationLagMs: 0,
      now: () => (performance.now() - origin) / 1000,
      onEvent: (event) => {
        events.push(event);
        if (event.kind === 'restarted' && event.detail === 'restart 3') restarted();
      },
      // Boot without warm-up and exit at once on SIGTERM, so each cycle takes a second or two.
      env: { WARMSCALE_WARMUP_ENABLED: 'false', WARMSCALE_SHUTDOWN_DELAY_MS: '0' },
      crashLoopBackOff: { initialMs: 200, maxMs: 10_000 },
    });
    try {
      workload.scale(1);
      await thirdRestart;
      const [pod] = workload.pods();
      const kubelet = events
        .filter((event) => ['liveness-failed', 'sigterm', 'exited', 'back-off', 'restarted'].includes(event.kind))
        .map((event) => `${event.kind}${event.detail === undefined ? '' : ` ${event.detail}`}`);
      assert.deepEqual(kubelet, [
        'liveness-failed liveness probe failed 1 times',
        'sigterm',
        'exited exit 0 (killed by the kubelet)',
        'restarted restart 1',
        'liveness-failed liveness probe failed 1 times',
        'sigterm',
        'exited exit 0 (killed by the kubelet)',
        'back-off restarting in 0.2 s',
        'restarted restart 2',
        'liveness-failed liveness probe failed 1 times',
        'sigterm',
        'exited exit 0 (killed by the kubelet)',
        'back-off restarting in 0.4 s',
        'restarted restart 3',
      ]);
      assert.equal(pod?.restarts, 3);
      assert.deepEqual(restartCounts(events), { restarts: 3, livenessRestarts: 3 });
    } finally {
      await workload.stop();
      await balancer.close();
    }
  });
});
