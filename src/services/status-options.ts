/** What `kubectl tikv status` (alias `stores`) was asked for. */
export interface StatusOptions {
  /** `-o`: machine output (data to stdout), or `wide` for more table columns; undefined = the human table. */
  output?: 'json' | 'yaml' | 'wide';
  /** `-w/--watch`: keep refreshing until interrupted. */
  watch: boolean;
  /** Hidden `--poll-interval`, ms: refresh period with `--watch`. */
  pollIntervalMs: number;
}
