// Money is bigint minor units with 6 decimals. No float ever touches an amount.
import { InvalidArgumentError } from './errors.js';
import { amountMax } from './limits.js';

export const usdcDecimals = 6;
const unit = 10n ** BigInt(usdcDecimals);
const decimalPattern = /^(\d{1,19})(?:\.(\d{1,6}))?$/;

/** Parses a decimal string such as "12.345678" into minor units; refuses more than 6 decimals or garbage. */
export function parseUsdc(text: string): bigint {
  if (typeof text !== 'string') throw new InvalidArgumentError('parseUsdc expects a decimal string');
  const match = decimalPattern.exec(text);
  if (match === null) {
    throw new InvalidArgumentError(`parseUsdc: ${JSON.stringify(text)} is not a decimal with at most 6 decimals`);
  }
  const whole = BigInt(match[1] ?? '0');
  const fraction = BigInt((match[2] ?? '').padEnd(usdcDecimals, '0'));
  const value = whole * unit + fraction;
  if (value > amountMax) throw new InvalidArgumentError(`parseUsdc: ${text} exceeds the int64 amount limit`);
  return value;
}

/** Formats minor units as an exact decimal string with 6 decimals ("12.345678", "-0.000001"). */
export function formatUsdc(minor: bigint): string {
  if (typeof minor !== 'bigint') throw new InvalidArgumentError('formatUsdc expects a bigint of minor units');
  const negative = minor < 0n;
  const magnitude = negative ? -minor : minor;
  const whole = magnitude / unit;
  const fraction = (magnitude % unit).toString().padStart(usdcDecimals, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}
