import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const RULES = join(__dirname, '..', 'deploy', 'prometheus', 'alerts.yml');
/** Metrics a rule may name that Prometheus makes itself, not the platform. */
const PROMETHEUS_OWN = new Set(['up']);
/** Words of PromQL that read like metric names. */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'inf', 'nan']);

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The metric names an expression reads: what is left once strings, label matchers and lists, ranges and function names are taken out. */
export function metricsIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:\\.|[^"\\])*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\boffset\s+-?[\dsmhdwy]+/g, ' ');
  const names = new Set<string>();
  for (const match of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const isFunction = bare.slice(match.index! + match[0].length).trimStart().startsWith('(');
    if (!isFunction && !KEYWORDS.has(match[0].toLowerCase())) names.add(match[0]);
  }
  return [...names];
}

/** Every metric name /metrics declares (`# TYPE`), a histogram's series (`_bucket`, `_sum`, `_count`) with it. */
function servedMetrics(exposition: string): Set<string> {
  const served = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    served.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) served.add(name + suffix);
  }
  return served;
}

function rules(): Rule[] {
  const file = parse(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
  return file.groups.flatMap((group) => group.rules);
}

/** deploy/prometheus/alerts.yml: a rules file Prometheus loads, over metrics the platform serves. */
describe('the Prometheus alerting rules', () => {
  it('reads metric names out of PromQL', () => {
    expect(metricsIn('sum by (handler) (rate(backstop_runs_total{outcome=~"failed|poison"}[15m])) > 10 and on (job) up == 0')).toEqual(['backstop_runs_total', 'up']);
    expect(metricsIn('histogram_quantile(0.99, sum by (le, route) (rate(a_seconds_bucket{route="/orders"}[5m]))) > 1')).toEqual(['a_seconds_bucket']);
    expect(metricsIn('max(delta(b[15m])) / ignoring (x) c offset 5m > bool 0')).toEqual(['b', 'c']);
  });

  it('has an alert name, an expression, a severity and a summary in every rule', () => {
    const all = rules();
    expect(all.length).toBeGreaterThan(0);
    for (const rule of all) {
      expect({ alert: rule.alert, problems: problemsOf(rule) }).toEqual({ alert: rule.alert, problems: [] });
    }
    expect(new Set(all.map((rule) => rule.alert)).size).toBe(all.length);
  });

  it('passes promtool check rules', async () => {
    let output: { stdout: string };
    try {
      output = await promisify(execFile)('promtool', ['check', 'rules', RULES]);
    } catch (error) {
      const failure = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
      // Prometheus's own checker is the judge of its rules: without it this test cannot say, so it fails.
      if (failure.code === 'ENOENT') throw new Error('promtool is not installed: apt-get install prometheus (.ci/run does)');
      throw new Error(`promtool check rules failed:\n${failure.stdout ?? ''}${failure.stderr ?? ''}`);
    }
    expect(output.stdout).toMatch(new RegExp(`SUCCESS: ${rules().length} rules found`));
  });

  describe('against the running platform', () => {
    let world: TestWorld;
    let platform: RunningApp;

    beforeAll(async () => {
      world = await TestWorld.create('prometheus_rules');
      platform = await world.start();
    });
    afterAll(async () => {
      await platform?.close();
      await world.destroy();
    });

    it('names only metrics the platform serves on /metrics', async () => {
      const answer = await fetch(`${platform.url}/metrics`);
      expect(answer.status).toBe(200);
      const served = servedMetrics(await answer.text());
      expect(served.has('backstop_endpoints')).toBe(true);
      const unknown = rules().flatMap((rule) => metricsIn(rule.expr).filter((name) => !served.has(name) && !PROMETHEUS_OWN.has(name)).map((name) => `${rule.alert}: ${name}`));
      expect(unknown).toEqual([]);
    });

    it('serves backstop_endpoints by state, from the endpoints table', async () => {
      await world.query(`INSERT INTO endpoints (origin, state) VALUES ('https://a.example', 'ACTIVE'), ('https://b.example', 'OPEN'), ('https://c.example', 'DISABLED'), ('https://d.example', 'DISABLED')`);
      // Read at most every 5 s: the first scrape of this test may be answered from before the insert.
      const series = await waitFor(
        async () => {
          const text = await (await fetch(`${platform.url}/metrics`)).text();
          const values = Object.fromEntries([...text.matchAll(/^backstop_endpoints\{state="(\w+)"\} (\d+)$/gm)].map(([, state, value]) => [state, Number(value)]));
          return values.DISABLED === 2 ? values : undefined;
        },
        { what: 'backstop_endpoints to count the new endpoints', timeoutMs: 10_000, intervalMs: 250 },
      );
      expect(series).toEqual({ ACTIVE: 1, OPEN: 1, HALF_OPEN: 0, DISABLED: 2 });
    });
  });
});

function problemsOf(rule: Rule): string[] {
  const problems: string[] = [];
  if (!/^[A-Z][A-Za-z0-9]+$/.test(rule.alert ?? '')) problems.push('alert: a CamelCase name');
  if (typeof rule.expr !== 'string' || rule.expr.trim() === '') problems.push('expr: an expression');
  if (rule.for !== undefined && !/^\d+[smhd]$/.test(rule.for)) problems.push('for: a duration');
  if (!['page', 'warning'].includes(rule.labels?.severity ?? '')) problems.push('labels.severity: page or warning');
  if (!rule.annotations?.summary || !rule.annotations.description) problems.push('annotations: a summary and a description');
  return problems;
}
