import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { goByteSize, goDuration, goFloat, goJson, goQuote, goTime, GoUint64, RawJson, renderJson } from './go-format.ts';

describe('Go wire formatting (what PD puts on the wire)', () => {
  it('renders MarshalIndent with two spaces and a trailing newline, like unrolled/render', () => {
    assert.equal(renderJson({ a: 1, b: [true, null], c: {}, d: [] }), '{\n  "a": 1,\n  "b": [\n    true,\n    null\n  ],\n  "c": {},\n  "d": []\n}\n');
    assert.equal(renderJson('The scheduler is created.'), '"The scheduler is created."\n');
    assert.equal(renderJson(null), 'null\n');
  });

  it('omits undefined members (omitempty) and keeps field order', () => {
    assert.equal(goJson({ z: 1, a: undefined, m: 'x' }), '{"z":1,"m":"x"}');
  });

  it('writes uint64 values beyond 2^53 with every digit', () => {
    assert.equal(goJson({ id: new GoUint64(18446744073709551615n) }), '{"id":18446744073709551615}');
    assert.equal(goJson({ ns: new GoUint64(1732000123456789012n) }), '{"ns":1732000123456789012}');
  });

  it('splices raw JSON verbatim', () => {
    assert.equal(goJson([new RawJson('{"x":1}')]), '[{"x":1}]');
  });

  it('escapes <, > and & as Go does', () => {
    assert.equal(goQuote('a<b>&c'), '"a\\u003cb\\u003e\\u0026c"');
  });

  it('formats floats as encoding/json does', () => {
    assert.equal(goFloat(1), '1');
    assert.equal(goFloat(0.8), '0.8');
    assert.equal(goFloat(1e21), '1e+21');
    assert.equal(goFloat(1e-7), '1e-07');
  });

  it('formats durations like time.Duration.String()', () => {
    assert.equal(goDuration(0), '0s');
    assert.equal(goDuration(30n * 60n * 1_000_000_000n), '30m0s');
    assert.equal(goDuration(3_600_000_000_000n), '1h0m0s');
    assert.equal(goDuration(123_456_000_000n), '2m3.456s');
    assert.equal(goDuration(500_000_000n), '500ms');
    assert.equal(goDuration(10_000_000n), '10ms');
    assert.equal(goDuration(1_500n), '1.5µs');
    assert.equal(goDuration(48n * 3_600_000_000_000n), '48h0m0s');
  });

  it('formats times as RFC 3339 with trimmed nanoseconds in UTC', () => {
    assert.equal(goTime(1732096800n * 1_000_000_000n), '2024-11-20T10:00:00Z');
    assert.equal(goTime(1732096923456789000n), '2024-11-20T10:02:03.456789Z');
    assert.equal(goTime(0n), '1970-01-01T00:00:00Z');
  });

  it('formats byte sizes like docker/go-units BytesSize', () => {
    assert.equal(goByteSize(0), '0B');
    assert.equal(goByteSize(500 * 1024 ** 3), '500GiB');
    assert.equal(goByteSize(2_000_398_934_016), '1.819TiB');
    assert.equal(goByteSize(1536), '1.5KiB');
  });
});
