import { mb, Measurement } from './measure';

interface Row {
  label: string;
  value(measurement: Measurement): number | undefined;
  digits: number;
  /** False for figures whose ratio says nothing (a growth in %). */
  ratio?: boolean;
}

const ROWS: Row[] = [
  { label: 'orders/s', value: (m) => m.ordersPerSecond, digits: 1 },
  { label: 'confirm p50 ms', value: (m) => m.confirmP50, digits: 1 },
  { label: 'confirm p99 ms', value: (m) => m.confirmP99, digits: 1 },
  { label: 'notify p50 ms', value: (m) => m.notifyP50, digits: 1 },
  { label: 'notify p99 ms', value: (m) => m.notifyP99, digits: 1 },
  { label: '  callback answered p50 ms', value: (m) => m.callbackP50, digits: 1 },
  { label: '  callback answered p99 ms', value: (m) => m.callbackP99, digits: 1 },
  { label: 'total p50 ms', value: (m) => m.totalP50, digits: 1 },
  { label: 'total p99 ms', value: (m) => m.totalP99, digits: 1 },
  { label: 'GET polls / order', value: (m) => m.pollsPerOrder, digits: 1 },
  { label: 'SQL statements / order', value: (m) => m.statementsPerOrder, digits: 1 },
  { label: 'transactions / order', value: (m) => m.transactionsPerOrder, digits: 1 },
  { label: 'CPU ms / order', value: (m) => m.cpuMsPerOrder, digits: 2 },
  { label: 'PostgreSQL CPU ms / order', value: (m) => m.postgresCpuMsPerOrder, digits: 2 },
  { label: 'RabbitMQ CPU ms / order', value: (m) => m.brokerCpuMsPerOrder, digits: 2 },
  { label: 'RSS after warm-up MB', value: (m) => m.rssAfterWarmup && m.rssAfterWarmup / 1024 / 1024, digits: 1 },
  { label: 'RSS at end MB', value: (m) => m.rssAtEnd && m.rssAtEnd / 1024 / 1024, digits: 1 },
  { label: 'RSS growth %', value: (m) => m.rssGrowthPercent, digits: 1, ratio: false },
  { label: 'load generator CPU ms / order', value: (m) => m.loadGeneratorCpuMsPerOrder, digits: 2, ratio: false },
];

const cell = (value: number | undefined, digits: number) => (value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits));

/** backstop beside the baseline (or beside another copy of itself), each figure with its ratio to the second's. */
export function comparisonTable(backstop: Measurement, baseline: Measurement): string {
  const lines = [
    `ratio = ${backstop.system} / ${baseline.system}: above 1 is better for orders/s, below 1 is better for every other row`,
    '',
    `${'metric'.padEnd(30)} ${backstop.system.padStart(10)} ${baseline.system.padStart(10)} ${'ratio'.padStart(8)}`,
  ];
  for (const row of ROWS) {
    const [ours, theirs] = [row.value(backstop), row.value(baseline)];
    const ratio = row.ratio === false || ours === undefined || !theirs ? undefined : ours / theirs;
    lines.push(`${row.label.padEnd(30)} ${cell(ours, row.digits).padStart(10)} ${cell(theirs, row.digits).padStart(10)} ${(ratio === undefined ? '' : cell(ratio, 2)).padStart(8)}`);
  }
  return lines.join('\n');
}

/** One system's figures alone (a deployed platform, or a soak). */
export function singleTable(measurement: Measurement): string {
  const lines = [`${'metric'.padEnd(30)} ${measurement.system.padStart(10)}`];
  for (const row of ROWS) lines.push(`${row.label.padEnd(30)} ${cell(row.value(measurement), row.digits).padStart(10)}`);
  return lines.join('\n');
}

export function soakSummary(measurement: Measurement): string {
  const { rssAfterWarmup, rssAtEnd, rssPeak, rssGrowthPercent } = measurement;
  if (rssAfterWarmup === undefined || rssAtEnd === undefined) return `${measurement.system} soak: RSS not readable (no --pid, or not on this machine)`;
  return (
    `${measurement.system} soak: RSS ${mb(rssAfterWarmup)} MB after warm-up (median over the second 10% of orders), ` +
    `${mb(rssAtEnd)} MB at the end (median over the last 10%; peak ${mb(rssPeak ?? rssAtEnd)} MB): ` +
    `${rssGrowthPercent! >= 0 ? '+' : ''}${rssGrowthPercent!.toFixed(1)}% ` +
    `(${rssGrowthPercent! < 10 ? 'under' : 'NOT under'} the 10% limit)`
  );
}

export function topStatementsTable(measurement: Measurement): string {
  if (measurement.topStatements.length === 0) return '';
  const lines = [`${measurement.system}: most called statements (calls / order)`];
  for (const { callsPerOrder, query } of measurement.topStatements) {
    lines.push(`${callsPerOrder.toFixed(2).padStart(8)}  ${query.length > 150 ? `${query.slice(0, 147)}...` : query}`);
  }
  return lines.join('\n');
}

/** The figures of one run, for machines: one JSON line. */
export function jsonLine(run: number, settings: Record<string, unknown>, measurements: Measurement[]): string {
  const [backstop, baseline] = measurements;
  const ratios =
    baseline &&
    Object.fromEntries(
      ROWS.filter((row) => row.ratio !== false).map((row) => {
        const [ours, theirs] = [row.value(backstop), row.value(baseline)];
        return [row.label, ours === undefined || !theirs ? null : ours / theirs];
      }),
    );
  return JSON.stringify({ run, ...settings, ...Object.fromEntries(measurements.map((m) => [m.system, m])), ...(ratios ? { ratios } : {}) });
}

/** The median of each figure over several runs, in the shape of one run. */
export function medianOf(measurements: Measurement[]): Measurement {
  const median = (values: (number | undefined)[]) => {
    const known = values.filter((value): value is number => value !== undefined).sort((a, b) => a - b);
    if (known.length === 0) return undefined;
    const middle = Math.floor(known.length / 2);
    return known.length % 2 === 1 ? known[middle] : (known[middle - 1] + known[middle]) / 2;
  };
  const first = measurements[0];
  const numeric = Object.fromEntries(
    Object.keys(first)
      .filter((key) => typeof (first as unknown as Record<string, unknown>)[key] === 'number')
      .map((key) => [key, median(measurements.map((m) => (m as unknown as Record<string, number | undefined>)[key]))]),
  );
  return { ...first, ...numeric, topStatements: [], warnings: [] } as Measurement;
}
