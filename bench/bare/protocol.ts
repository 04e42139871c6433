/** Messages between the bare page and its worker (bench/bare/). */
export interface BareLoad {
  type: 'load';
  /** The graph's URL, its external-data files (as the graph names them → URL), the feeds' index and binary. */
  model: string;
  externalData: Array<{ path: string; data: string }>;
  feedsIndex: string;
  feedsBin: string;
  threads: number;
}
export interface BareRun {
  type: 'run';
  n: number;
}
export type BareRequest = BareLoad | BareRun;
export type BareReply =
  { type: 'loaded'; loadMs: number; threads: number; version: string } | { type: 'ran'; times: number[] } | { type: 'error'; message: string };
