import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface Series {
  label: string;
  color: string;
  values: number[];
}

/** A small uPlot line chart; its text alternative gives the totals, which is what a reader needs. */
export function Chart({ title, times, series }: { title: string; times: number[]; series: Series[] }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const totals = series.map((line) => `${line.label}: ${line.values.reduce((sum, value) => sum + value, 0)}`).join(', ');

  useEffect(() => {
    const element = host.current!;
    const width = () => Math.max(280, element.clientWidth);
    plot.current = new uPlot(
      {
        width: width(),
        height: 200,
        series: [{}, ...series.map((line) => ({ label: line.label, stroke: line.color, width: 2 }))],
        axes: [{}, { size: 40 }],
        scales: { x: { time: true } },
      },
      [times, ...series.map((line) => line.values)],
      element,
    );
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: width(), height: 200 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
    };
  }, [series.length]);

  useEffect(() => plot.current?.setData([times, ...series.map((line) => line.values)]), [times, series]);

  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={host} role="img" aria-label={`${title}. Totals: ${totals}`} />
    </figure>
  );
}
