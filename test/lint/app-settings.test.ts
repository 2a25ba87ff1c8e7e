// hpa-sim's linter reads a few of the middleware's WARMSCALE_* variables without depending on the middleware: its
// small table must name them and default them exactly as the middleware's declaration does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APP_ENV_PREFIX, APP_SETTINGS, appEnvName } from '@warmscale/hpa-sim';
import { SETTING_LIST } from '@warmscale/middleware';

test("hpa-sim's APP_SETTINGS name and default each setting as @warmscale/middleware declares it", () => {
  for (const setting of Object.values(APP_SETTINGS)) {
    const declared = SETTING_LIST.find((s) => s.path === setting.path);
    assert.ok(declared, `${setting.path} is a middleware setting`);
    assert.equal(setting.env, declared.env, setting.path);
    assert.equal(setting.defaultValue, declared.schema.default, setting.path);
    assert.ok(setting.env.startsWith(APP_ENV_PREFIX));
  }
});

test("hpa-sim's appEnvName derives every middleware variable name as the middleware does", () => {
  for (const declared of SETTING_LIST) assert.equal(appEnvName(declared.path), declared.env, declared.path);
});
