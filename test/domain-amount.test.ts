// Goal: parseUsdc/formatUsdc are exact inverses on 6-decimal minor units and refuse anything else;
// method: examples for the edges and a fast-check round-trip property over the whole int64 range.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatUsdc, parseUsdc } from '../dist/index.js';

describe('parseUsdc / formatUsdc', () => {
  it('parses exact decimals into minor units', () => {
    expect(parseUsdc('1')).toBe(1_000_000n);
    expect(parseUsdc('0.000001')).toBe(1n);
    expect(parseUsdc('12.5')).toBe(12_500_000n);
    expect(parseUsdc('9223372036854.775807')).toBe(2n ** 63n - 1n);
  });

  it.each(['', '1.0000001', '-1', '1e6', ' 1', '1,5', 'abc', '.5', '1.', '0x10', '9223372036854.775808', 'NaN'])(
    'refuses %j with ERR_INVALID_ARGUMENT',
    (text) => {
      expect(() => parseUsdc(text)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    },
  );

  it('refuses non-strings and non-bigints', () => {
    expect(() => parseUsdc(1 as unknown as string)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => formatUsdc(1 as unknown as bigint)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('formats with exactly six decimals, including negatives', () => {
    expect(formatUsdc(1n)).toBe('0.000001');
    expect(formatUsdc(-1_500_000n)).toBe('-1.500000');
  });

  it('round-trips every int64 amount', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), (minor) => parseUsdc(formatUsdc(minor)) === minor),
      { numRuns: 2000 },
    );
  });
});
