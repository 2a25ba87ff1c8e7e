// resource.Quantity parsing and MilliValue() rounding, for the forms HPA manifests and the adapter use.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatMilliQuantity, parseQuantity, QuantityError } from '@warmscale/hpa-sim';

describe('parseQuantity', () => {
  const cases: [string | number, number][] = [
    ['50', 50_000],
    ['500m', 500],
    ['12500m', 12_500],
    ['1.5k', 1_500_000],
    ['2Gi', 2 * 2 ** 30 * 1000],
    ['1Ki', 1_024_000],
    ['1e3', 1_000_000],
    ['1E3', 1_000_000],
    ['.5', 500],
    ['5.', 5000],
    ['+2', 2000],
    ['0.1', 100],
    ['100n', 1],
    ['0.0001', 1],
    [50, 50_000],
    [0.5, 500],
  ];
  for (const [input, milli] of cases) {
    test(`parseQuantity(${JSON.stringify(input)}).milliValue is ${milli} (rounded up)`, () => {
      assert.equal(parseQuantity(input).milliValue, milli);
    });
  }

  test('parseQuantity("0.05").value is the float tolerance 0.05', () => {
    assert.equal(parseQuantity('0.05').value, 0.05);
  });

  test('parseQuantity("1E") is an exa-quantity whose milli-value is out of range', () => {
    assert.throws(() => parseQuantity('1E'), /out of range/);
  });

  for (const bad of ['', '1K', '5 m', 'm', '1.2.3', '--1', '1e', '1Gb', 'fifty']) {
    test(`parseQuantity(${JSON.stringify(bad)}) throws a QuantityError`, () => {
      assert.throws(() => parseQuantity(bad), QuantityError);
    });
  }

  test('an unknown suffix is named in the error', () => {
    assert.throws(
      () => parseQuantity('1K'),
      new QuantityError(
        `"1K" is not a quantity: unknown suffix "K" (quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$')`,
      ),
    );
  });
});

describe('formatMilliQuantity', () => {
  const cases: [number, string][] = [
    [12_000, '12'],
    [12_500, '12500m'],
    [500, '500m'],
    [2_000_000, '2k'],
    [1_500_000, '1500'],
    [0, '0'],
  ];
  for (const [milli, text] of cases) {
    test(`formatMilliQuantity(${milli}) is "${text}" (canonical DecimalSI)`, () => {
      assert.equal(formatMilliQuantity(milli), text);
    });
  }
});
