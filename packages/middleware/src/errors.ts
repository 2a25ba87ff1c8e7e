/** Thrown for an invalid option or `WARMSCALE_*` variable; the message names it and what was expected. */
export class WarmscaleOptionError extends TypeError {
  override name = 'WarmscaleOptionError';
}
