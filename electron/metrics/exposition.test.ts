import { describe, expect, it } from 'vitest';
import { ExpositionError, parseExposition, parseFloatStrict } from './exposition.ts';

const GOOD = `# HELP http_request_duration_seconds Duration of HTTP requests.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{method="GET",route="/",status_code="200",le="0.005"} 3
http_request_duration_seconds_bucket{method="GET",route="/",status_code="200",le="0.01"} 7
http_request_duration_seconds_bucket{method="GET",route="/",status_code="200",le="+Inf"} 10
http_request_duration_seconds_sum{method="GET",route="/",status_code="200"} 0.08
http_request_duration_seconds_count{method="GET",route="/",status_code="200"} 10
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 1.5e+00 1700000000000
# a free comment
nodejs_heap{space="new \\"young\\"\\nline",path="C:\\\\x",} 42
up NaN
temp -Inf
`;

describe('parseExposition', () => {
  it('parses families, types, labels, escapes, timestamps and special floats', () => {
    const e = parseExposition(GOOD);
    const h = e.families.get('http_request_duration_seconds')!;
    expect(h.type).toBe('histogram');
    expect(h.help).toBe('Duration of HTTP requests.');
    expect(h.samples).toHaveLength(5);
    expect(h.samples[2]).toEqual({ name: 'http_request_duration_seconds_bucket', labels: { method: 'GET', route: '/', status_code: '200', le: '+Inf' }, value: 10 });
    const cpu = e.families.get('process_cpu_seconds_total')!;
    expect(cpu.type).toBe('counter');
    expect(cpu.samples[0]).toMatchObject({ value: 1.5, timestampMs: 1700000000000 });
    expect(e.families.get('nodejs_heap')!.samples[0]!.labels).toEqual({ space: 'new "young"\nline', path: 'C:\\x' });
    expect(Number.isNaN(e.families.get('up')!.samples[0]!.value)).toBe(true);
    expect(e.families.get('temp')!.samples[0]!.value).toBe(-Infinity);
    expect(e.samples).toHaveLength(9);
  });

  it('accepts CRLF, tabs, blank lines, OpenMetrics EOF and exemplars', () => {
    const text = '# TYPE a counter\r\na_total\t3\r\n\r\nb{x="1"} 2 # {trace_id="abc"} 1.0 1.6\n# EOF\nignored 1\n';
    const e = parseExposition(text);
    expect(e.families.get('a')!.samples[0]!.value).toBe(3);
    expect(e.families.get('b')!.samples[0]!.value).toBe(2);
    expect(e.families.has('ignored')).toBe(false);
  });

  it('groups suffixed samples under their TYPE’d family', () => {
    const e = parseExposition('# TYPE rpc summary\nrpc{quantile="0.5"} 1\nrpc_sum 3\nrpc_count 2\n');
    expect(e.families.get('rpc')!.samples.map((s) => s.name)).toEqual(['rpc', 'rpc_sum', 'rpc_count']);
    expect(e.families.has('rpc_sum')).toBe(false);
  });

  it('parses an empty exposition', () => {
    expect(parseExposition('').samples).toEqual([]);
    expect(parseExposition('\n\n# just comments\n').samples).toEqual([]);
  });

  it.each([
    ['garbage words', 'this is not metrics at all', /line 1/],
    ['html', '<html><body>Not found</body></html>', /invalid metric name/],
    ['json', '{"error":"not found"}', /invalid metric name/],
    ['missing value', 'foo{a="b"}', /missing value/],
    ['bad value', 'foo 12abc', /invalid value/],
    ['unterminated label value', 'foo{a="b} 1', /unterminated/],
    ['unterminated label set', 'foo{a="b" 1', /expected "," or "}"/],
    ['label without quotes', 'foo{a=b} 1', /expected quoted value/],
    ['bad label name', 'foo{1a="b"} 1', /invalid label name/],
    ['duplicate label', 'foo{a="1",a="2"} 1', /duplicate label/],
    ['bad escape', 'foo{a="\\q"} 1', /invalid escape/],
    ['too many fields', 'foo 1 2 3', /unexpected text/],
    ['bad timestamp', 'foo 1 soon', /invalid timestamp/],
    ['unknown type', '# TYPE foo thing\nfoo 1', /unknown type/],
    ['type after samples', 'foo 1\n# TYPE foo gauge', /after its samples/],
    ['second type', '# TYPE foo gauge\n# TYPE foo counter', /second # TYPE/],
    ['bucket without le', '# TYPE h histogram\nh_bucket{a="1"} 3', /without an "le"/],
    ['bucket with bad le', '# TYPE h histogram\nh_bucket{le="big"} 3', /invalid le/],
    ['binary', 'foo 1\n\u0000\u0001', /binary/],
  ])('rejects %s with the line number', (_what, text, msg) => {
    expect(() => parseExposition(text)).toThrow(ExpositionError);
    expect(() => parseExposition(text)).toThrow(msg);
  });

  it('names the offending line', () => {
    try {
      parseExposition('a 1\nb 2\nc{ 3\n');
      expect.unreachable();
    } catch (e) {
      expect((e as ExpositionError).line).toBe(3);
      expect((e as Error).message).toMatch(/^malformed exposition at line 3: /);
    }
  });

  it('lenient mode skips bad lines and reports them', () => {
    const e = parseExposition('a 1\nnot valid here\nb 2\n', { lenient: true });
    expect(e.samples.map((s) => s.name)).toEqual(['a', 'b']);
    expect(e.errors).toHaveLength(1);
    expect(e.errors[0]).toMatch(/^line 2: /);
  });

  it('rejects oversize lines', () => {
    expect(() => parseExposition(`a{x="${'y'.repeat(70_000)}"} 1`)).toThrow(/longer than/);
  });
});

describe('parseFloatStrict', () => {
  it.each([
    ['1', 1],
    ['-2.5', -2.5],
    ['1e3', 1000],
    ['.5', 0.5],
    ['+Inf', Infinity],
    ['inf', Infinity],
    ['-Inf', -Infinity],
  ])('%s → %s', (s, v) => expect(parseFloatStrict(s)).toBe(v));
  it.each(['', 'abc', '1,5', '0x10', '1e', '--1'])('%j → null', (s) => expect(parseFloatStrict(s)).toBeNull());
});
