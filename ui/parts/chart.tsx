/** A small time-series chart (uPlot): x in seconds since the epoch, one line per series. */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export interface Series {
  readonly label: string;
  readonly color: string;
  readonly values: ReadonlyArray<number | null>;
}

export const Chart = (props: {
  readonly title: string;
  readonly times: ReadonlyArray<number>;
  readonly series: ReadonlyArray<Series>;
}) => {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const data = [props.times, ...props.series.map((s) => s.values)] as unknown as uPlot.AlignedData;

  useEffect(() => {
    const element = host.current;
    if (element === null) return;
    const width = (): number => Math.max(240, element.clientWidth);
    plot.current = new uPlot(
      {
        width: width(),
        height: 180,
        series: [{}, ...props.series.map((s) => ({ label: s.label, stroke: s.color, width: 2 }))],
        axes: [{}, { size: 40 }],
      },
      data,
      element,
    );
    const resize = (): void => plot.current?.setSize({ width: width(), height: 180 });
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      plot.current?.destroy();
      plot.current = undefined;
    };
    // Series are fixed for a chart's life; data changes go through setData below.
  }, []);

  useEffect(() => plot.current?.setData(data));

  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={host} />
    </figure>
  );
};
