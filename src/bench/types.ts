export interface Metric {
  /** The median over the repetitions (a single measurement when `repetitions` is 1 or absent). */
  value: number;
  unit: string;
  /** The goal; `better` says which side of it passes. */
  target?: number;
  better?: 'lower' | 'higher';
  /** Smallest and largest value over the repetitions, so a noisy run shows as one. */
  spread?: { min: number; max: number };
  repetitions?: number;
  /** Whether `value` meets `target`; set when the results are written. */
  pass?: boolean;
  /** Why the number is what it is, when that is not obvious from its name (e.g. a ratio's inputs). */
  note?: string;
}

export type Metrics = Record<string, Metric>;

/** Raw samples kept for the plots: a latency distribution, or a cost measured against a count. */
export type PlotData =
  | { kind: 'distribution'; name: string; unit: string; samples: number[] }
  | { kind: 'series'; name: string; xLabel: string; unit: string; points: { x: number; y: number }[] };

export interface BenchContext {
  /** Progress lines for the person running the benchmark. */
  log(line: string): void;
  env: Record<string, string | undefined>;
  /** How many times each suite repeats its measurements; each metric is the median over them. */
  repetitions: number;
  /** Keeps samples for `--plot` (ignored otherwise). */
  plot(data: PlotData): void;
}

export interface BenchSuite {
  name: string;
  description: string;
  run(context: BenchContext): Promise<Metrics>;
}
