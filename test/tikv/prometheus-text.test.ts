import assert from 'node:assert/strict';
import { PrometheusParseError, parsePrometheusText } from '../../src/tikv/prometheus-text.ts';
import { TIKV_METRICS_150_LEADERS } from './tikv-metrics-fixtures.ts';

describe('Prometheus text parsing', () => {
  it('reads every sample of a TiKV /metrics body, skipping HELP and TYPE comments', () => {
    const samples = parsePrometheusText(TIKV_METRICS_150_LEADERS);
    assert.equal(samples.length, 12);
    assert.deepEqual(samples[0], { name: 'process_cpu_seconds_total', labels: {}, value: 1234.5 });
    assert.deepEqual(
      samples.filter((sample) => sample.name === 'tikv_raftstore_region_count').map((sample) => [sample.labels.type, sample.value]),
      [
        ['buckets', 0],
        ['leader', 150],
        ['region', 300],
      ],
    );
  });

  it('reads Go float syntax: exponents either case, NaN, +Inf and -Inf', () => {
    const [a, b, c, d, e, f] = parsePrometheusText('a 1.073741824e+09\nb 5.36870912E8\nc NaN\nd +Inf\ne -Inf\nf -.5\n');
    assert.equal(a.value, 1073741824);
    assert.equal(b.value, 536870912);
    assert.ok(Number.isNaN(c.value));
    assert.equal(d.value, Infinity);
    assert.equal(e.value, -Infinity);
    assert.equal(f.value, -0.5);
  });

  it('reads +Inf as a label value of a histogram bucket', () => {
    const [bucket] = parsePrometheusText('h_bucket{le="+Inf",type="kv_get"} 12\n');
    assert.deepEqual(bucket.labels, { le: '+Inf', type: 'kv_get' });
  });

  it('unescapes backslash, quote and newline in label values', () => {
    const info = parsePrometheusText(TIKV_METRICS_150_LEADERS, { names: ['tikv_server_info'] });
    assert.equal(info.length, 1);
    assert.equal(info[0].labels.path, 'C:\\data "tikv"\nx');
    assert.equal(info[0].labels.addr, '0.0.0.0:20160');
  });

  it('reads labels in any order, with blanks, a trailing comma and a timestamp', () => {
    const [sample] = parsePrometheusText('  m { b = "2" ,\ta="1", }  7   1732000000123\n');
    assert.deepEqual(sample, { name: 'm', labels: { a: '1', b: '2' }, value: 7, timestampMs: 1732000000123 });
  });

  it('reads CRLF line ends and OpenMetrics\' # EOF', () => {
    assert.deepEqual(parsePrometheusText('x 1\r\ny{a="b"} 2\r\n# EOF\r\n').map((sample) => sample.value), [1, 2]);
  });

  it('skips other metrics unparsed when asked for some, so a bad line elsewhere does not matter', () => {
    const samples = parsePrometheusText('broken{ 1\nwanted{type="leader"} 3\n', { names: ['wanted'] });
    assert.deepEqual(samples, [{ name: 'wanted', labels: { type: 'leader' }, value: 3 }]);
  });

  it('does not confuse a metric with another whose name it starts', () => {
    const samples = parsePrometheusText('tikv_raftstore_region_count_total{type="leader"} 9\ntikv_raftstore_region_count{type="leader"} 4\n', {
      names: ['tikv_raftstore_region_count'],
    });
    assert.deepEqual(samples.map((sample) => sample.value), [4]);
  });

  it('finds the wanted metric among comments naming it and reports a bad line with its number', () => {
    const text = '# HELP wanted help text wanted{x="1"} 5\n# TYPE wanted gauge\nother 1\n  wanted{type="leader"} 3\nwanted{type="region" 4\n';
    assert.throws(
      () => parsePrometheusText(text, { names: ['wanted'] }),
      (error: unknown) => error instanceof PrometheusParseError && error.line === 5,
    );
    assert.deepEqual(
      parsePrometheusText(text.split('\n').slice(0, 4).join('\n'), { names: ['wanted'] }),
      [{ name: 'wanted', labels: { type: 'leader' }, value: 3 }],
    );
  });

  it('gives the same samples, in order, whether filtering by name or not', () => {
    const filtered = parsePrometheusText(TIKV_METRICS_150_LEADERS, { names: ['tikv_raftstore_region_count', 'process_cpu_seconds_total'] });
    const all = parsePrometheusText(TIKV_METRICS_150_LEADERS).filter((sample) => ['tikv_raftstore_region_count', 'process_cpu_seconds_total'].includes(sample.name));
    assert.deepEqual(filtered, all);
  });

  for (const [line, reason] of [
    ['m{a="1" 2', /expected , or \}/],
    ['m{a="1"', /expected , or \}|unterminated/],
    ['m{a=1} 2', /quoted value/],
    ['m{a="\\x"} 2', /invalid escape/],
    ['m{a="1",a="2"} 3', /duplicate label a/],
    ['m one', /invalid value "one"/],
    ['m', /missing value/],
    ['m 1 soon', /invalid timestamp/],
    ['9m 1', /invalid metric name/],
    ['m 0x10', /invalid value/],
  ] as const) {
    it(`rejects ${JSON.stringify(line)} naming the line`, () => {
      assert.throws(
        () => parsePrometheusText(`ok 1\n${line}\n`),
        (error: unknown) => error instanceof PrometheusParseError && error.line === 2 && reason.test(error.message),
      );
    });
  }
});
