export interface Metric {
  value: number;
  unit: string;
  /** The goal; `better` says which side of it passes. */
  target?: number;
  better?: 'lower' | 'higher';
}

export type Metrics = Record<string, Metric>;

export interface BenchContext {
  /** Progress lines for the person running the benchmark. */
  log(line: string): void;
  env: Record<string, string | undefined>;
}

export interface BenchSuite {
  name: string;
  description: string;
  run(context: BenchContext): Promise<Metrics>;
}
