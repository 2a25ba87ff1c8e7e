// Kubernetes resource.Quantity parsing, limited to what an HPA manifest carries: targets, requests and tolerances.
// Grammar and rounding follow k8s.io/apimachinery/pkg/api/resource (quantity.go, suffix.go).

/** A parsed Kubernetes quantity. */
export interface Quantity {
  /** The canonical input, e.g. `"1500m"` as written. */
  readonly text: string;
  /** `Quantity.MilliValue()`: the value in milli-units, rounded up to the next integer (`"0.0001"` gives 1). */
  readonly milliValue: number;
  /** `Quantity.AsApproximateFloat64()`: the value as a float, for tolerances. */
  readonly value: number;
}

/** Thrown when a string is not a Kubernetes quantity, or its milli-value does not fit a safe JavaScript integer. */
export class QuantityError extends Error {
  override readonly name = 'QuantityError';
}

const BINARY_SUFFIXES: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
// The number part accepted by parseQuantityString: optional sign, digits with at most one decimal point.
const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?/;
const EXPONENT = /^[eE]([+-]?\d+)$/;
const FORMAT_HINT = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

function pow10(exponent: number): bigint {
  return 10n ** BigInt(exponent);
}

function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  return numerator % denominator > 0n ? quotient + 1n : quotient;
}

/**
 * Parses a quantity such as `"50"`, `"500m"`, `"1.5k"`, `"2Gi"` or `"1e3"` (port of `resource.ParseQuantity`
 * followed by `MilliValue()`). A finite JavaScript number is read as its decimal text, as a YAML integer would be.
 *
 * @throws QuantityError for anything else (`"1K"`, `"5 m"`, `""`), and when the milli-value exceeds 2^53.
 */
export function parseQuantity(input: string | number): Quantity {
  if (typeof input === 'number' && !Number.isFinite(input)) {
    throw new QuantityError(`${input} is not a quantity: ${FORMAT_HINT}`);
  }
  const text = String(input);
  const number = NUMBER.exec(text);
  const whole = number?.[2] ?? '';
  const fraction = number?.[3] ?? '';
  if (!number || whole.length + fraction.length === 0) {
    throw new QuantityError(`"${text}" is not a quantity: ${FORMAT_HINT}`);
  }
  const suffix = text.slice(number[0].length);
  const negative = number[1] === '-';
  let numerator = BigInt(`${whole}${fraction}` || '0') * 1000n;
  let denominator = pow10(fraction.length);
  const binary = BINARY_SUFFIXES[suffix];
  const decimal = DECIMAL_SUFFIXES[suffix];
  const exponent = EXPONENT.exec(suffix)?.[1];
  if (binary !== undefined) {
    numerator *= 2n ** BigInt(binary);
  } else {
    const power = decimal ?? (exponent === undefined ? undefined : Number(exponent));
    if (power === undefined) {
      throw new QuantityError(`"${text}" is not a quantity: unknown suffix "${suffix}" (${FORMAT_HINT})`);
    }
    if (power >= 0) numerator *= pow10(power);
    else denominator *= pow10(-power);
  }
  // MilliValue rounds up, so a sub-milli remainder still counts as one milli-unit.
  const milli = negative ? -(numerator / denominator) : ceilDiv(numerator, denominator);
  if (milli > BigInt(Number.MAX_SAFE_INTEGER) || milli < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new QuantityError(`"${text}" is out of range: its milli-value exceeds ${Number.MAX_SAFE_INTEGER}`);
  }
  const value = (negative ? -1 : 1) * (Number(numerator) / Number(denominator) / 1000);
  return { text, milliValue: Number(milli), value };
}

const DECIMAL_BY_POWER: readonly string[] = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

/**
 * Formats a milli-value in canonical DecimalSI form, as `resource.NewMilliQuantity(v, DecimalSI).String()` does:
 * `12000` gives `"12"`, `12500` gives `"12500m"`, `2000000` gives `"2k"`.
 */
export function formatMilliQuantity(milliValue: number): string {
  if (milliValue % 1000 !== 0) return `${milliValue}m`;
  let mantissa = milliValue / 1000;
  let power = 0;
  while (mantissa !== 0 && mantissa % 1000 === 0 && power < DECIMAL_BY_POWER.length - 1) {
    mantissa /= 1000;
    power += 1;
  }
  return `${mantissa}${DECIMAL_BY_POWER[power]}`;
}
