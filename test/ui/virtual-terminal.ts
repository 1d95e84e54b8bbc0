import { Writable } from 'node:stream';

/**
 * A fake terminal for UI tests: a writable stream that says it is a TTY and interprets the escape sequences
 * log-update, listr2 and inquirer write (cursor up/down/column, erase line / to end of line / screen), so a test can
 * read the screen as a user would see it now. The screen is unbounded (nothing scrolls away); colours are dropped
 * from the screen but kept in `raw`.
 */
export class VirtualTerminal extends Writable {
  isTTY = true;
  columns: number;
  rows: number;
  /** Everything written, escape sequences included. */
  raw = '';
  #lines: string[][] = [[]];
  #row = 0;
  #col = 0;

  constructor(options: { columns?: number; rows?: number } = {}) {
    super({ decodeStrings: false });
    this.columns = options.columns ?? 100;
    this.rows = options.rows ?? 60;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.feed(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    callback();
  }

  /** Writes synchronously (listr2 and log-update call `write` and expect the frame to be there). */
  override write(chunk: unknown, encodingOrCallback?: unknown, callback?: unknown): boolean {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
    this.feed(text);
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (typeof done === 'function') (done as () => void)();
    return true;
  }

  /** A terminal is never ended (inquirer ends the stream it pipes into after each prompt, as with process.stderr). */
  override end(chunk?: unknown, encodingOrCallback?: unknown, callback?: unknown): this {
    if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) this.write(chunk);
    const done = [chunk, encodingOrCallback, callback].find((arg) => typeof arg === 'function');
    if (typeof done === 'function') (done as () => void)();
    return this;
  }

  /** The screen now: one string per line, trailing spaces and trailing empty lines removed. */
  screen(): string {
    const lines = this.#lines.map((line) => line.join('').replace(/\s+$/, ''));
    while (lines.length > 0 && lines.at(-1) === '') lines.pop();
    return lines.join('\n');
  }

  /** Interprets one chunk of output. */
  feed(text: string): void {
    this.raw += text;
    // eslint-disable-next-line no-control-regex -- terminal escape sequences start with ESC
    const pattern = /\u001b\[([?]?)([0-9;]*)([A-Za-z])|\u001b\][^\u0007]*\u0007|([\r\n])|([^\u001b\r\n]+)/g;
    for (const match of text.matchAll(pattern)) {
      const [, privateMode, params, command, newline, printable] = match;
      if (printable !== undefined) this.#print(printable);
      else if (newline === '\n') this.#moveTo(this.#row + 1, 0);
      else if (newline === '\r') this.#col = 0;
      else if (command !== undefined && privateMode === '') this.#csi(command, params);
    }
  }

  #csi(command: string, params: string): void {
    const n = params === '' ? 1 : Number(params.split(';')[0]) || 1;
    switch (command) {
      case 'A':
        this.#row = Math.max(0, this.#row - n);
        break;
      case 'B':
        this.#moveTo(this.#row + n, this.#col);
        break;
      case 'C':
        this.#col += n;
        break;
      case 'D':
        this.#col = Math.max(0, this.#col - n);
        break;
      case 'G':
        this.#col = n - 1;
        break;
      case 'E':
        this.#moveTo(this.#row + n, 0);
        break;
      case 'F':
        this.#row = Math.max(0, this.#row - n);
        this.#col = 0;
        break;
      case 'K': {
        const line = this.#line();
        if (params === '' || params === '0') line.length = Math.min(line.length, this.#col);
        else if (params === '2') line.length = 0;
        else if (params === '1') for (let i = 0; i < Math.min(this.#col + 1, line.length); i++) line[i] = ' ';
        break;
      }
      case 'J':
        if (params === '' || params === '0') {
          this.#line().length = Math.min(this.#line().length, this.#col);
          this.#lines.length = this.#row + 1;
        } else if (params === '2' || params === '3') {
          this.#lines = [[]];
          this.#row = 0;
          this.#col = 0;
        }
        break;
      case 'H':
      case 'f': {
        const [row, col] = params.split(';').map((p) => Number(p) || 1);
        this.#moveTo((row ?? 1) - 1, (col ?? 1) - 1);
        break;
      }
      default:
        // Colours (m) and modes do not move anything on the screen.
        break;
    }
  }

  #print(text: string): void {
    const line = this.#line();
    for (const char of text) {
      while (line.length < this.#col) line.push(' ');
      line[this.#col] = char;
      this.#col++;
    }
  }

  #moveTo(row: number, col: number): void {
    this.#row = row;
    this.#col = col;
    this.#line();
  }

  #line(): string[] {
    while (this.#lines.length <= this.#row) this.#lines.push([]);
    return this.#lines[this.#row];
  }
}

/** Lets pending promises, microtasks and immediates run (several rounds), without waiting on the clock. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Lets the event loop run until `condition` holds (a first render loads listr2's renderer modules); fails with
 * `describe()` after a generous bound. Not a timing assertion: nothing depends on how long it took.
 */
export async function until(condition: () => boolean, describe: () => string, rounds = 2_500): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (condition()) return;
    await new Promise<void>((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`condition not reached: ${describe()}`);
}
